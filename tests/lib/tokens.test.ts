import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  base64url,
  calculateJwkThumbprint,
  decodeJwt,
  decodeProtectedHeader,
  exportJWK,
  exportSPKI,
  generateKeyPair,
  generateSecret,
  importJWK,
  SignJWT,
  UnsecuredJWT,
  type CryptoKey,
  type JWK,
  type JWTHeaderParameters,
  type JWTPayload,
} from 'jose';
import type { SigningAlg } from '../../lib/config';
import { AuthError } from '../../lib/errors';
import { mintRefreshToken } from '../../lib/refresh-tokens';
import { EXPIRED_DESCRIPTION } from '../../lib/tokens';
import { TEST_AUDIENCE, TEST_GRANT, TEST_ISSUER, testSetup, type TestSetup } from '../support/keys';

const ALGS: SigningAlg[] = ['ES256', 'RS256', 'EdDSA', 'HS256'];
const ASYMMETRIC: SigningAlg[] = ['ES256', 'RS256', 'EdDSA'];
const EXPIRED = EXPIRED_DESCRIPTION;
const TTL = 900;

const seconds = (setup: TestSetup) => Math.floor(setup.clock.now / 1000);

/** The claims a genuine token of this service carries at the setup's current time. */
function genuineClaims(setup: TestSetup, overrides: JWTPayload = {}): JWTPayload {
  const iat = seconds(setup);
  return {
    iss: TEST_ISSUER,
    aud: TEST_AUDIENCE,
    sub: TEST_GRANT.sub,
    client_id: TEST_GRANT.clientId,
    scope: TEST_GRANT.scope,
    sid: TEST_GRANT.sid,
    jti: '6a8a4c5e-9a43-4b7e-8f1d-0e4c2b7d9f10',
    iat,
    exp: iat + TTL,
    ...overrides,
  };
}

/** Signs arbitrary claims and header with any key: how an attacker (or a test of one check) builds a token. */
function sign(key: CryptoKey | Uint8Array, header: JWTHeaderParameters, claims: JWTPayload): Promise<string> {
  return new SignJWT(claims).setProtectedHeader(header).sign(key);
}

/** Our own key and header: a token that differs from a genuine one only where a test says so. */
function signAsUs(setup: TestSetup, claims: JWTPayload, header: Partial<JWTHeaderParameters> = {}): Promise<string> {
  return sign(setup.keys.signing.key, { alg: setup.alg, kid: setup.keys.signing.kid, typ: 'at+jwt', ...header }, claims);
}

async function attackerKey(alg: SigningAlg): Promise<{ privateKey: CryptoKey | Uint8Array; publicJwk: JWK }> {
  if (alg === 'HS256') {
    const secret = await generateSecret('HS256', { extractable: true });
    return { privateKey: secret, publicJwk: await exportJWK(secret) };
  }
  const pair = await generateKeyPair(alg, { extractable: true });
  return { privateKey: pair.privateKey, publicJwk: await exportJWK(pair.publicKey) };
}

function expectInvalidToken(verifying: Promise<unknown>, message?: string): Promise<void> {
  return expect(verifying).rejects.toMatchObject({
    name: 'AuthError',
    code: 'invalid_token',
    status: 401,
    ...(message === undefined ? {} : { message }),
  });
}

describe.each(ALGS)('access tokens with %s', (alg) => {
  let setup: TestSetup;
  beforeAll(async () => {
    setup = await testSetup(alg);
  });

  it('verifies what it issued and returns the claims', async () => {
    const { accessToken, expiresIn } = await setup.tokens.issue(TEST_GRANT);

    const claims = await setup.tokens.verify(accessToken);

    expect(expiresIn).toBe(TTL);
    expect(claims).toEqual({
      sub: 'user-7f3a',
      scope: 'profile sessions',
      sid: 'sid-0123456789abcdefghij',
      client_id: 'jwt-auth-cli',
      exp: seconds(setup) + TTL,
      jti: expect.any(String),
    });
  });

  it('writes the RFC 9068 header: typ at+jwt, the signing kid and the configured alg, nothing else', async () => {
    const { accessToken } = await setup.tokens.issue(TEST_GRANT);

    const header = decodeProtectedHeader(accessToken);

    expect(header).toEqual({ alg, kid: setup.keys.signing.kid, typ: 'at+jwt' });
  });

  it('carries exactly iss, sub, aud, exp, iat, jti, client_id, scope and sid', async () => {
    const { accessToken } = await setup.tokens.issue(TEST_GRANT);

    const payload = decodeJwt(accessToken);

    expect(Object.keys(payload).sort()).toEqual(['aud', 'client_id', 'exp', 'iat', 'iss', 'jti', 'scope', 'sid', 'sub']);
    expect(payload).toMatchObject({
      iss: 'https://auth.example.test',
      aud: 'https://api.example.test',
      sub: 'user-7f3a',
      client_id: 'jwt-auth-cli',
      scope: 'profile sessions',
      sid: 'sid-0123456789abcdefghij',
      iat: seconds(setup),
      exp: seconds(setup) + TTL,
    });
  });

  it('gives every token its own jti', async () => {
    const first = await setup.tokens.issue(TEST_GRANT);
    const second = await setup.tokens.issue(TEST_GRANT);

    const jtis = [decodeJwt(first.accessToken).jti, decodeJwt(second.accessToken).jti];

    expect(jtis[0]).toEqual(expect.any(String));
    expect(jtis[0]).not.toBe(jtis[1]);
  });

  it('rejects an unknown kid', async () => {
    const token = await signAsUs(setup, genuineClaims(setup), { kid: 'some-other-kid' });

    await expectInvalidToken(setup.tokens.verify(token));
  });

  it.each(['../../etc/passwd', "x' OR '1'='1", 'a"b\\c', '%00', '{{kid}}', '__proto__', 'constructor'])('rejects a hostile kid %j', async (kid) => {
    const token = await signAsUs(setup, genuineClaims(setup), { kid });

    await expectInvalidToken(setup.tokens.verify(token), 'The access token is signed by an unknown key.');
  });

  it('rejects a token without a kid', async () => {
    const token = await sign(setup.keys.signing.key, { alg, typ: 'at+jwt' }, genuineClaims(setup));

    await expectInvalidToken(setup.tokens.verify(token));
  });

  it('rejects a token signed by another key that carries our kid', async () => {
    const attacker = await attackerKey(alg);
    const token = await sign(attacker.privateKey, { alg, kid: setup.keys.signing.kid, typ: 'at+jwt' }, genuineClaims(setup));

    await expectInvalidToken(setup.tokens.verify(token));
  });

  it('rejects a payload changed under a kept signature', async () => {
    const { accessToken } = await setup.tokens.issue(TEST_GRANT);
    const [header, payload, signature] = accessToken.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8')) as JWTPayload;
    const tampered = base64url.encode(JSON.stringify({ ...claims, sub: 'admin', scope: 'profile sessions admin' }));

    await expectInvalidToken(setup.tokens.verify(`${header}.${tampered}.${signature}`));
  });

  it('rejects alg none built with jose UnsecuredJWT', async () => {
    const token = new UnsecuredJWT(genuineClaims(setup)).encode();

    await expectInvalidToken(setup.tokens.verify(token));
  });

  it('rejects alg none that otherwise looks genuine (our kid, typ at+jwt, empty signature)', async () => {
    const header = base64url.encode(JSON.stringify({ alg: 'none', kid: setup.keys.signing.kid, typ: 'at+jwt' }));
    const payload = base64url.encode(JSON.stringify(genuineClaims(setup)));

    await expectInvalidToken(setup.tokens.verify(`${header}.${payload}.`));
  });

  it('rejects typ "JWT"', async () => {
    const token = await signAsUs(setup, genuineClaims(setup), { typ: 'JWT' });

    await expectInvalidToken(setup.tokens.verify(token));
  });

  it('rejects a token without typ', async () => {
    const token = await sign(setup.keys.signing.key, { alg, kid: setup.keys.signing.kid }, genuineClaims(setup));

    await expectInvalidToken(setup.tokens.verify(token));
  });

  it('rejects another issuer', async () => {
    const token = await signAsUs(setup, genuineClaims(setup, { iss: 'https://evil.example.test' }));

    await expectInvalidToken(setup.tokens.verify(token));
  });

  it('rejects another audience', async () => {
    const token = await signAsUs(setup, genuineClaims(setup, { aud: 'https://other-api.example.test' }));

    await expectInvalidToken(setup.tokens.verify(token));
  });

  it.each(['sub', 'jti', 'exp', 'iat', 'sid', 'scope', 'client_id'])('rejects a token without %s', async (claim) => {
    const claims = genuineClaims(setup);
    delete claims[claim];
    const token = await signAsUs(setup, claims);

    await expectInvalidToken(setup.tokens.verify(token));
  });

  it('never accepts a refresh token as an access token', async () => {
    const { token } = mintRefreshToken('2bbc8285-d916-4560-ad05-a9c2cf62296a');

    await expectInvalidToken(setup.tokens.verify(token));
  });
});

describe('expiry and not-before, on the injected clock', () => {
  it('accepts a token one second before exp', async () => {
    const setup = await testSetup('ES256');
    const { accessToken } = await setup.tokens.issue(TEST_GRANT);
    setup.clock.now += (TTL - 1) * 1000;

    const claims = await setup.tokens.verify(accessToken);

    expect(claims.sub).toBe('user-7f3a');
  });

  it('rejects a token at exp with the contract\'s exact description', async () => {
    const setup = await testSetup('ES256');
    const { accessToken } = await setup.tokens.issue(TEST_GRANT);
    setup.clock.now += TTL * 1000;

    await expectInvalidToken(setup.tokens.verify(accessToken), EXPIRED);
  });

  it('rejects a token long after exp with the same description', async () => {
    const setup = await testSetup('ES256');
    const { accessToken } = await setup.tokens.issue(TEST_GRANT);
    setup.clock.now += 30 * 24 * 3600 * 1000;

    await expectInvalidToken(setup.tokens.verify(accessToken), EXPIRED);
  });

  it('honours ACCESS_TOKEN_TTL', async () => {
    const setup = await testSetup('ES256', { ACCESS_TOKEN_TTL: '2' });
    const { accessToken, expiresIn } = await setup.tokens.issue(TEST_GRANT);
    setup.clock.now += 2000;

    await expectInvalidToken(setup.tokens.verify(accessToken), EXPIRED);
    expect(expiresIn).toBe(2);
  });

  it('CLOCK_SKEW=30 still accepts a token 29 seconds past exp', async () => {
    const setup = await testSetup('ES256', { CLOCK_SKEW: '30' });
    const { accessToken } = await setup.tokens.issue(TEST_GRANT);
    setup.clock.now += (TTL + 29) * 1000;

    const claims = await setup.tokens.verify(accessToken);

    expect(claims.sub).toBe('user-7f3a');
  });

  it('CLOCK_SKEW=30 rejects a token 30 seconds past exp as expired', async () => {
    const setup = await testSetup('ES256', { CLOCK_SKEW: '30' });
    const { accessToken } = await setup.tokens.issue(TEST_GRANT);
    setup.clock.now += (TTL + 30) * 1000;

    await expectInvalidToken(setup.tokens.verify(accessToken), EXPIRED);
  });

  it('rejects nbf in the future with a description other than "expired"', async () => {
    const setup = await testSetup('ES256');
    const token = await signAsUs(setup, genuineClaims(setup, { nbf: seconds(setup) + 60 }));

    const verifying = setup.tokens.verify(token);

    await expectInvalidToken(verifying);
    await expect(verifying).rejects.not.toMatchObject({ message: EXPIRED });
  });

  it('CLOCK_SKEW=30 tolerates nbf 20 seconds ahead', async () => {
    const setup = await testSetup('ES256', { CLOCK_SKEW: '30' });
    const token = await signAsUs(setup, genuineClaims(setup, { nbf: seconds(setup) + 20 }));

    const claims = await setup.tokens.verify(token);

    expect(claims.sub).toBe('user-7f3a');
  });

  it('CLOCK_SKEW=30 still rejects nbf 60 seconds ahead', async () => {
    const setup = await testSetup('ES256', { CLOCK_SKEW: '30' });
    const token = await signAsUs(setup, genuineClaims(setup, { nbf: seconds(setup) + 60 }));

    await expectInvalidToken(setup.tokens.verify(token));
  });
});

describe.each(ASYMMETRIC)('algorithm confusion against a %s key ring', (alg) => {
  let setup: TestSetup;
  beforeAll(async () => {
    setup = await testSetup(alg);
  });

  it('rejects HS256 signed with the published public JWK (JSON) as the secret', async () => {
    const publicJwk = setup.keys.publicJwks[0]!;
    const secret = new TextEncoder().encode(JSON.stringify(publicJwk));
    const token = await sign(secret, { alg: 'HS256', kid: setup.keys.signing.kid, typ: 'at+jwt' }, genuineClaims(setup));

    await expectInvalidToken(setup.tokens.verify(token));
  });

  it('rejects HS256 signed with the public key PEM as the secret', async () => {
    const publicKey = await importJWK(setup.keys.publicJwks[0]!, alg);
    const pem = await exportSPKI(publicKey as CryptoKey);
    const token = await sign(new TextEncoder().encode(pem), { alg: 'HS256', kid: setup.keys.signing.kid, typ: 'at+jwt' }, genuineClaims(setup));

    await expectInvalidToken(setup.tokens.verify(token));
  });
});

describe('headers that point at other keys are ignored', () => {
  let server: Server;
  let baseUrl: string;
  const requests: string[] = [];

  beforeAll(async () => {
    server = createServer((request, response) => {
      requests.push(request.url ?? '');
      response.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it.each(ALGS)('%s: a token signed by an attacker key named in jku, x5u and an embedded jwk is rejected, nothing fetched', async (alg) => {
    const setup = await testSetup(alg);
    const attacker = await attackerKey(alg);
    const attackerKid = alg === 'HS256' ? 'attacker' : await calculateJwkThumbprint(attacker.publicJwk);
    const pointers = { jku: `${baseUrl}/jwks.json`, x5u: `${baseUrl}/cert.pem`, ...(alg === 'HS256' ? {} : { jwk: attacker.publicJwk }) };
    const withAttackerKid = await sign(attacker.privateKey, { alg, typ: 'at+jwt', kid: attackerKid, ...pointers }, genuineClaims(setup));
    const withOurKid = await sign(attacker.privateKey, { alg, typ: 'at+jwt', kid: setup.keys.signing.kid, ...pointers }, genuineClaims(setup));

    await expectInvalidToken(setup.tokens.verify(withAttackerKid));
    await expectInvalidToken(setup.tokens.verify(withOurKid));
    expect(requests).toEqual([]);
  });

  it('a genuine token that also carries jku and x5u headers is judged by our key alone', async () => {
    const setup = await testSetup('ES256');
    const token = await signAsUs(setup, genuineClaims(setup), { jku: `${baseUrl}/jwks.json`, x5u: `${baseUrl}/cert.pem` });

    const claims = await setup.tokens.verify(token);

    expect(claims.sub).toBe('user-7f3a');
    expect(requests).toEqual([]);
  });
});

describe('signature forgeries and malformed tokens are invalid_token, never another error', () => {
  let setup: TestSetup;
  let genuine: string;
  beforeAll(async () => {
    setup = await testSetup('ES256');
    genuine = (await setup.tokens.issue(TEST_GRANT)).accessToken;
  });

  it('rejects an ES256 token with an all-zero signature (CVE-2022-21449)', async () => {
    const [header, payload] = genuine.split('.');
    const zeros = Buffer.alloc(64).toString('base64url');

    await expectInvalidToken(setup.tokens.verify(`${header}.${payload}.${zeros}`));
  });

  it('rejects an ES256 token whose signature is r = s = n (the curve order)', async () => {
    const [header, payload] = genuine.split('.');
    const n = Buffer.from('ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551', 'hex');
    const signature = Buffer.concat([n, n]).toString('base64url');

    await expectInvalidToken(setup.tokens.verify(`${header}.${payload}.${signature}`));
  });

  it('rejects a 100 KB token even when we signed it', async () => {
    const huge = await signAsUs(setup, genuineClaims(setup, { padding: 'x'.repeat(100 * 1024) }));

    await expectInvalidToken(setup.tokens.verify(huge));
  });

  it.each<[string, (token: string) => string]>([
    ['empty', () => ''],
    ['one word', () => 'token'],
    ['truncated', (token) => token.slice(0, -12)],
    ['truncated inside the payload', (token) => token.slice(0, token.indexOf('.') + 10)],
    ['two parts', (token) => token.split('.').slice(0, 2).join('.')],
    ['four parts', (token) => `${token}.${token.split('.')[2]}`],
    ['five parts', (token) => `${token}.e30.e30`],
    ['not base64url', () => '!!!.@@@.###'],
    ['standard-base64 "+" and "/" in the signature', (token) => `${token.slice(0, token.lastIndexOf('.'))}.+/${token.split('.')[2]!.slice(2)}`],
    ['header not JSON', (token) => `${base64url.encode('not json')}.${token.split('.')[1]}.${token.split('.')[2]}`],
    ['payload not JSON', (token) => `${token.split('.')[0]}.${base64url.encode('not json')}.${token.split('.')[2]}`],
    ['payload a JSON array', (token) => `${token.split('.')[0]}.${base64url.encode('[]')}.${token.split('.')[2]}`],
    ['whitespace around', (token) => ` ${token} `],
    ['dots only', () => '..'],
  ])('%s', async (_what, mangle) => {
    const token = mangle(genuine);

    const verifying = setup.tokens.verify(token);

    await expect(verifying).rejects.toBeInstanceOf(AuthError);
    await expectInvalidToken(verifying);
  });
});
