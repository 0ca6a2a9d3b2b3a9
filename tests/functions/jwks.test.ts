import { webcrypto } from 'node:crypto';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JWK, type JSONWebKeySet } from 'jose';
import { makeJwksHandler } from '../../functions/jwks';
import type { SigningAlg } from '../../lib/config';
import { AuthError } from '../../lib/errors';
import type { MetadataConfig } from '../../lib/config';
import type { VerifierDeps } from '../../lib/verifier-deps';
import { bodyOf, proxyEvent } from '../support/app';
import { expectedKid, requiredPublicMembers, signingJwks, TEST_AUDIENCE, TEST_GRANT, TEST_ISSUER, testSetup, type TestSetup } from '../support/keys';

const ASYMMETRIC: SigningAlg[] = ['ES256', 'RS256', 'EdDSA'];
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

const depsOf = (setup: TestSetup) => async (): Promise<VerifierDeps<MetadataConfig>> => setup;

const thumbprint = expectedKid;

/** What GET /.well-known/jwks.json publishes for a key ring. */
async function published(setup: TestSetup): Promise<JSONWebKeySet> {
  const response = await makeJwksHandler(depsOf(setup))(proxyEvent());
  return bodyOf(response) as unknown as JSONWebKeySet;
}

/** Verifies a token the way a resource server does: with the published JWKS only. */
const verifyWithJwks = (token: string, jwks: JSONWebKeySet, alg: SigningAlg) =>
  jwtVerify(token, createLocalJWKSet(jwks), {
    algorithms: [alg],
    issuer: TEST_ISSUER,
    audience: TEST_AUDIENCE,
    typ: 'at+jwt',
    currentDate: new Date(Date.UTC(2030, 0, 1, 12, 0, 0)),
  });

describe('GET /.well-known/jwks.json', () => {
  it.each(ASYMMETRIC)('%s: publishes every accepted key of a two-key set, newest first, public members only', async (alg) => {
    const jwks = await signingJwks(alg, 2);
    const setup = await testSetup(alg, {}, jwks);
    const jwksHandler = makeJwksHandler(depsOf(setup));

    const response = await jwksHandler(proxyEvent());

    expect(response.statusCode).toBe(200);
    const { keys } = bodyOf(response) as { keys: JWK[] };
    expect(keys).toHaveLength(2);
    for (const [index, key] of keys.entries()) {
      const source = jwks[index]!;
      expect(key).toEqual({ ...requiredPublicMembers(source), kid: await thumbprint(source), use: 'sig', alg });
      for (const member of PRIVATE_MEMBERS) expect(key).not.toHaveProperty(member);
    }
  });

  it('publishes a key exported by WebCrypto (with key_ops ["sign"] and ext) as a plain public verification key', async () => {
    const pair = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
    const exported = (await webcrypto.subtle.exportKey('jwk', pair.privateKey)) as JWK;
    const setup = await testSetup('ES256', {}, [exported]);
    const jwksHandler = makeJwksHandler(depsOf(setup));

    const response = await jwksHandler(proxyEvent());

    expect(exported.key_ops).toEqual(['sign']);
    expect((bodyOf(response) as { keys: JWK[] }).keys).toEqual([
      { ...requiredPublicMembers(exported), kid: await thumbprint(exported), use: 'sig', alg: 'ES256' },
    ]);
  });

  it('lets shared caches keep it for a while: Cache-Control public with a max-age, no Pragma', async () => {
    const setup = await testSetup('ES256');
    const jwksHandler = makeJwksHandler(depsOf(setup));

    const response = await jwksHandler(proxyEvent());

    expect(response.headers['Cache-Control']).toMatch(/^public, max-age=[1-9]\d*$/);
    expect(response.headers).not.toHaveProperty('Pragma');
    expect(response.headers['Content-Type']).toBe('application/json');
  });

  it('publishes no key at all for HS256, whose secret must stay secret', async () => {
    const setup = await testSetup('HS256');
    const jwksHandler = makeJwksHandler(depsOf(setup));

    const response = await jwksHandler(proxyEvent());

    expect(response.statusCode).toBe(200);
    expect(bodyOf(response)).toEqual({ keys: [] });
    expect(response.body).not.toContain(setup.jwks[0]!.k as string);
  });

  it.each(ASYMMETRIC)('%s: is enough for a resource server to verify an access token', async (alg) => {
    const setup = await testSetup(alg);
    const { accessToken } = await setup.tokens.issue(TEST_GRANT);

    const jwks = await published(setup);

    const { payload } = await verifyWithJwks(accessToken, jwks, alg);
    expect(payload).toMatchObject({ sub: TEST_GRANT.sub, client_id: TEST_GRANT.clientId });
  });
});

describe('key rotation (SIGNING_KEYS newest first)', () => {
  let keyA: JWK;
  let keyB: JWK;
  let ringA: TestSetup;
  let ringBA: TestSetup;
  let ringB: TestSetup;
  beforeAll(async () => {
    [keyA, keyB] = (await signingJwks('ES256', 2)) as [JWK, JWK];
    ringA = await testSetup('ES256', {}, [keyA]);
    ringBA = await testSetup('ES256', {}, [keyB, keyA]);
    ringB = await testSetup('ES256', {}, [keyB]);
  });

  it('still accepts a token signed with the previous key A after B is added in front', async () => {
    const { accessToken } = await ringA.tokens.issue(TEST_GRANT);

    const claims = await ringBA.tokens.verify(accessToken);

    expect(decodeProtectedHeader(accessToken).kid).toBe(await thumbprint(keyA));
    expect(claims).toMatchObject({ sub: TEST_GRANT.sub, sid: TEST_GRANT.sid });
  });

  it('signs new tokens with the newest key B, which the ring accepts', async () => {
    const { accessToken } = await ringBA.tokens.issue(TEST_GRANT);

    const claims = await ringBA.tokens.verify(accessToken);

    expect(decodeProtectedHeader(accessToken)).toMatchObject({ alg: 'ES256', kid: await thumbprint(keyB), typ: 'at+jwt' });
    expect(claims.sub).toBe(TEST_GRANT.sub);
  });

  it('refuses a token signed with A once A is retired', async () => {
    const { accessToken } = await ringA.tokens.issue(TEST_GRANT);

    const verified = ringB.tokens.verify(accessToken);

    await expect(verified).rejects.toBeInstanceOf(AuthError);
    await expect(verified).rejects.toMatchObject({ code: 'invalid_token', status: 401 });
  });

  it('publishes B and A while both are accepted, so verifiers of the JWKS accept tokens of both', async () => {
    const fromA = (await ringA.tokens.issue(TEST_GRANT)).accessToken;
    const fromB = (await ringBA.tokens.issue(TEST_GRANT)).accessToken;

    const jwks = await published(ringBA);

    expect(jwks.keys.map((key) => key.kid)).toEqual([await thumbprint(keyB), await thumbprint(keyA)]);
    await expect(verifyWithJwks(fromA, jwks, 'ES256')).resolves.toBeDefined();
    await expect(verifyWithJwks(fromB, jwks, 'ES256')).resolves.toBeDefined();
  });

  it('stops publishing A once it is retired, so JWKS verifiers refuse its tokens too', async () => {
    const fromA = (await ringA.tokens.issue(TEST_GRANT)).accessToken;

    const jwks = await published(ringB);

    expect(jwks.keys.map((key) => key.kid)).toEqual([await thumbprint(keyB)]);
    await expect(verifyWithJwks(fromA, jwks, 'ES256')).rejects.toThrow();
  });
});
