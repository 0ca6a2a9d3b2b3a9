/**
 * Forged and misused tokens sent to a protected route. A protected route answers what the authorizer
 * decides plus the serverless.yml gateway response for that decision, so each case runs the real
 * authorizer handler on an AWS TOKEN event and renders the real ACCESS_DENIED / UNAUTHORIZED response.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { base64url, exportJWK, exportSPKI, generateKeyPair, SignJWT, UnsecuredJWT, type JWTPayload } from 'jose';
import { parse } from 'yaml';
import { makeAuthorizerHandler } from '../../functions/authorizer';
import type { PolicyResult } from '../../lib/authorizer';
import { mintRefreshToken } from '../../lib/refresh-tokens';
import { TEST_AUDIENCE, TEST_GRANT, TEST_ISSUER, testSetup, type TestSetup } from '../support/keys';
import tokenEvent from '../fixtures/authorizer-token-event.json';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { renderGatewayResponse, responseTypeFor } = require('../../scripts/local-gateway/gateway-responses.js');

const resources = parse(readFileSync(path.join(__dirname, '../../serverless.yml'), 'utf8')).resources.Resources;

let setup: TestSetup;
let attackerServer: Server;
let attackerHits = 0;
let attackerUrl: string;

beforeAll(async () => {
  setup = await testSetup('ES256');
  attackerServer = createServer((_req, res) => {
    attackerHits += 1;
    res.end('{}');
  });
  await new Promise<void>((resolve) => attackerServer.listen(0, '127.0.0.1', resolve));
  attackerUrl = `http://127.0.0.1:${(attackerServer.address() as AddressInfo).port}/jwks.json`;
});

afterAll(async () => {
  await new Promise((resolve) => attackerServer.close(resolve));
});

const now = () => Math.floor(setup.clock.now / 1000);

function claims(overrides: JWTPayload = {}): JWTPayload {
  return {
    iss: TEST_ISSUER,
    aud: TEST_AUDIENCE,
    sub: TEST_GRANT.sub,
    client_id: TEST_GRANT.clientId,
    scope: TEST_GRANT.scope,
    sid: TEST_GRANT.sid,
    jti: 'b1f2c3d4-0000-4000-8000-000000000000',
    iat: now(),
    exp: now() + 900,
    ...overrides,
  };
}

/** A token signed with our own key, differing from a genuine one only as the case says. */
function ours(payload: JWTPayload = claims(), header: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT(payload)
    .setProtectedHeader({ alg: 'ES256', kid: setup.keys.signing.kid, typ: 'at+jwt', ...header })
    .sign(setup.keys.signing.key);
}

async function attackerPair() {
  const pair = await generateKeyPair('ES256', { extractable: true });
  return { ...pair, jwk: await exportJWK(pair.publicKey) };
}

/** Sends a token to a protected route: the authorizer decides, the gateway response answers. */
async function protectedRoute(authorization: string | undefined) {
  const handler = makeAuthorizerHandler(async () => ({ config: setup.config, keys: setup.keys, tokens: setup.tokens }));
  const event = { ...structuredClone(tokenEvent), type: 'TOKEN' as const, authorizationToken: authorization };
  const outcome = authorization === undefined ? { missingToken: true } : { result: (await handler(event)) as PolicyResult };
  const type = responseTypeFor(outcome);
  if (type === undefined) return { statusCode: 200, headers: {}, body: {} };
  const rendered = renderGatewayResponse(resources, type, outcome.result?.context ?? {});
  return { ...rendered, body: JSON.parse(rendered.body) };
}

async function expectRefused(token: string) {
  const response = await protectedRoute(`Bearer ${token}`);
  expect(response.statusCode).toBe(401);
  expect(response.body).toMatchObject({ code: 401, error: 'invalid_token' });
  return response;
}

describe('a protected route refuses forged and misused access tokens with 401 invalid_token', () => {
  it('accepts a genuine token (the baseline every refusal below differs from)', async () => {
    const { accessToken } = await setup.tokens.issue(TEST_GRANT);

    const response = await protectedRoute(`Bearer ${accessToken}`);

    expect(response.statusCode).toBe(200);
  });

  it('refuses alg none', async () => {
    const unsecured = new UnsecuredJWT(claims()).encode();
    const withOurKid = `${base64url.encode(JSON.stringify({ alg: 'none', typ: 'at+jwt', kid: setup.keys.signing.kid }))}.${unsecured.split('.')[1]}.`;

    await expectRefused(unsecured);
    await expectRefused(withOurKid);
  });

  it('refuses HS256 signed with our public key as the secret (algorithm confusion)', async () => {
    const spki = await exportSPKI(setup.keys.verification.get(setup.keys.signing.kid) as never);
    const secret = new TextEncoder().encode(spki);
    const token = await new SignJWT(claims()).setProtectedHeader({ alg: 'HS256', kid: setup.keys.signing.kid, typ: 'at+jwt' }).sign(secret);

    await expectRefused(token);
  });

  it('refuses an unknown kid', async () => {
    await expectRefused(await ours(claims(), { kid: 'not-a-key-of-ours' }));
  });

  it.each(['../../etc/passwd', "x' OR '1'='1", 'a"b\\c', '%00', '{{kid}}'])('refuses a hostile kid %j', async (kid) => {
    await expectRefused(await ours(claims(), { kid }));
  });

  it.each(['jku', 'x5u'])('ignores a %s header pointing at the attacker, and fetches nothing from it', async (name) => {
    const attacker = await attackerPair();
    const token = await new SignJWT(claims()).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'evil', [name]: attackerUrl }).sign(attacker.privateKey);
    const hitsBefore = attackerHits;

    await expectRefused(token);

    expect(attackerHits).toBe(hitsBefore);
  });

  it("ignores an embedded jwk header carrying the attacker's key", async () => {
    const attacker = await attackerPair();
    const token = await new SignJWT(claims()).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', jwk: attacker.jwk }).sign(attacker.privateKey);

    await expectRefused(token);
  });

  it('refuses an ES256 signature of zeros (CVE-2022-21449)', async () => {
    const [header, payload] = (await ours()).split('.');
    await expectRefused(`${header}.${payload}.${base64url.encode(new Uint8Array(64))}`);
  });

  it('refuses a payload changed under a kept signature', async () => {
    const [header, , signature] = (await ours()).split('.');
    const forged = base64url.encode(JSON.stringify(claims({ sub: 'someone-else', scope: 'profile sessions admin' })));
    await expectRefused(`${header}.${forged}.${signature}`);
  });

  it('refuses an expired token with the exact contract body', async () => {
    const { accessToken } = await setup.tokens.issue(TEST_GRANT);
    setup.clock.now += 901_000;
    const response = await protectedRoute(`Bearer ${accessToken}`).finally(() => {
      setup.clock.now -= 901_000;
    });

    expect(response.statusCode).toBe(401);
    expect(response.body).toEqual({ code: 401, error: 'invalid_token', error_description: 'The access token provided has expired.' });
    expect(response.headers['WWW-Authenticate']).toMatch(/^Bearer realm="[^"]+", error="invalid_token", error_description="[^"]+"$/);
  });

  it('refuses nbf in the future', async () => {
    await expectRefused(await ours(claims({ nbf: now() + 60 })));
  });

  it('refuses a wrong iss', async () => {
    await expectRefused(await ours(claims({ iss: 'https://evil.example' })));
  });

  it('refuses a wrong aud', async () => {
    await expectRefused(await ours(claims({ aud: 'https://another-api.example' })));
  });

  it('refuses typ JWT instead of at+jwt', async () => {
    await expectRefused(await ours(claims(), { typ: 'JWT' }));
  });

  it('refuses a refresh token sent as Bearer', async () => {
    await expectRefused(mintRefreshToken().token);
  });

  it.each([
    ['truncated', (t: string) => t.slice(0, t.length - 10)],
    ['two-part', (t: string) => t.split('.').slice(0, 2).join('.')],
    ['four-part', (t: string) => `${t}.AAAA`],
    ['non-base64url', (t: string) => t.replace(/^.{4}/, '!@#$')],
    ['100 KB', (t: string) => `${t}${'A'.repeat(100 * 1024)}`],
  ])('refuses a %s token', async (_name, mangle) => {
    await expectRefused(mangle(await ours()));
  });

  it('refuses a token signed by another key that carries our kid', async () => {
    const attacker = await attackerPair();
    const token = await new SignJWT(claims()).setProtectedHeader({ alg: 'ES256', kid: setup.keys.signing.kid, typ: 'at+jwt' }).sign(attacker.privateKey);

    await expectRefused(token);
  });

  it.each(['bearer', 'BEARER', 'BeArEr'])('matches the %s scheme case-insensitively', async (scheme) => {
    const { accessToken } = await setup.tokens.issue(TEST_GRANT);

    const response = await protectedRoute(`${scheme} ${accessToken}`);

    expect(response.statusCode).toBe(200);
  });

  it('answers a request without a token with 401 and a challenge that has no error code', async () => {
    const response = await protectedRoute(undefined);

    expect(response.statusCode).toBe(401);
    expect(response.body).toMatchObject({ code: 401, error: 'invalid_token' });
    expect(response.headers['WWW-Authenticate']).toMatch(/^Bearer realm="[^"]+"$/);
  });
});
