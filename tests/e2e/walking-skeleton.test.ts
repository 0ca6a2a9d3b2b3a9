/**
 * The walking skeleton over real HTTP: `serverless offline start` (the same serverless.yml, bundles,
 * authorizer and gateway responses as AWS) on a fresh data directory, with two-second access tokens.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { exportJWK, generateKeyPair, importJWK, jwtVerify, SignJWT, type JWK } from 'jose';
import { acceptsConnections, decodeJwtPart, freePort, OfflineServer, parseBearerChallenge, sleep, type HttpAnswer } from '../support/offline';

jest.setTimeout(60_000);

const PASSWORD = 'correct horse battery staple';
const EXPIRED_BODY = '{"code":401,"error":"invalid_token","error_description":"The access token provided has expired."}';

const uniqueName = (label: string) => `${label}-${randomBytes(4).toString('hex')}`;

let server: OfflineServer;
let dataDir: string;
const others: OfflineServer[] = [];
const blockers: net.Server[] = [];

beforeAll(async () => {
  server = await OfflineServer.start({ env: { ACCESS_TOKEN_TTL: '2' } });
  dataDir = server.dataDir;
  // Warm the functions up, so a cold start never eats a two-second token's life inside a test.
  const username = uniqueName('warm');
  await server.request('POST', '/auth/register', { json: { username, password: PASSWORD } });
  const { access_token: token } = (await server.request('POST', '/auth/login', { json: { username, password: PASSWORD } })).json;
  await server.request('GET', '/me', { bearer: token });
}, 120_000);

afterAll(async () => {
  await Promise.all([server, ...others].filter(Boolean).map((s) => s.stop()));
  await Promise.all(blockers.map((blocker) => new Promise((resolve) => blocker.close(resolve))));
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
}, 60_000);

async function register(username = uniqueName('user')) {
  const answer = await server.request('POST', '/auth/register', { json: { username, password: PASSWORD } });
  expect(answer.status).toBe(201);
  return { username, tokens: answer.json as { access_token: string; refresh_token: string } };
}

async function login(username: string) {
  const answer = await server.request('POST', '/auth/login', { json: { username, password: PASSWORD } });
  expect(answer.status).toBe(200);
  return answer.json as { access_token: string; refresh_token: string };
}

/** The server's own private signing key, as the local plugin generated it into DATA_DIR. */
function serverSigningJwk(): JWK {
  const file = path.join(server.dataDir, 'signing-keys.ES256.json');
  const keys = JSON.parse(fs.readFileSync(file, 'utf8')).keys as JWK[];
  return keys[0]!;
}

/** Signs `payload` as an access token with a given private JWK (the server's, or a stranger's). */
async function signAccessToken(payload: Record<string, unknown>, jwk: JWK): Promise<string> {
  const key = await importJWK(jwk, 'ES256');
  return new SignJWT(payload).setProtectedHeader({ alg: 'ES256', kid: jwk.kid!, typ: 'at+jwt' }).sign(key);
}

function expectTokenResponse(answer: HttpAnswer) {
  expect(answer.json).toEqual({
    token_type: 'Bearer',
    access_token: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/),
    expires_in: 2,
    refresh_token: expect.stringMatching(/^[\w-]{43,}$/),
    scope: 'profile sessions',
  });
  expect(answer.headers.get('cache-control')).toBe('no-store');
  expect(answer.headers.get('pragma')).toBe('no-cache');
  expect(decodeJwtPart(answer.json.access_token, 0)).toMatchObject({ typ: 'at+jwt', alg: 'ES256' });
}

function expectRefusedToken(answer: HttpAnswer) {
  expect(answer.status).toBe(401);
  expect(answer.json).toEqual({ code: 401, error: 'invalid_token', error_description: expect.any(String) });
  const challenge = parseBearerChallenge(answer.headers.get('www-authenticate'));
  expect(challenge).toMatchObject({ realm: expect.any(String), error: 'invalid_token', error_description: expect.any(String) });
}

function expectContractError(answer: HttpAnswer, status: number, error: string) {
  expect(answer.status).toBe(status);
  expect(answer.json).toEqual({ code: status, error, error_description: expect.any(String) });
}

describe('sign-up, sign-in and a protected route', () => {
  test('register answers 201 with a token response carrying both tokens', async () => {
    const answer = await server.request('POST', '/auth/register', { json: { username: uniqueName('alice'), password: PASSWORD } });

    expect(answer.status).toBe(201);
    expectTokenResponse(answer);
    expect(answer.json.refresh_token.split('.')).toHaveLength(1); // opaque, never a JWT
  });

  test('login answers 200 with a token response', async () => {
    const { username } = await register();

    const answer = await server.request('POST', '/auth/login', { json: { username, password: PASSWORD } });

    expect(answer.status).toBe(200);
    expectTokenResponse(answer);
  });

  test('a wrong password and an unknown user get the same 400 invalid_grant', async () => {
    const { username } = await register();

    const wrongPassword = await server.request('POST', '/auth/login', { json: { username, password: 'not the password' } });
    const unknownUser = await server.request('POST', '/auth/login', { json: { username: uniqueName('nobody'), password: PASSWORD } });

    expectContractError(wrongPassword, 400, 'invalid_grant');
    expect(unknownUser.json).toEqual(wrongPassword.json);
  });

  test('GET /me with a Bearer token answers {sub, username, scope}', async () => {
    const { username } = await register();
    const tokens = await login(username);

    const answer = await server.request('GET', '/me', { bearer: tokens.access_token });

    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({ sub: decodeJwtPart(tokens.access_token, 1).sub, username, scope: 'profile sessions' });
    expect(answer.json.sub).not.toBe(username);
  });

  test('the scheme name is case-insensitive: "bearer" works too', async () => {
    const { username, tokens } = await register();

    const answer = await server.request('GET', '/me', { headers: { authorization: `bearer ${tokens.access_token}` } });

    expect(answer.status).toBe(200);
    expect(answer.json.username).toBe(username);
  });

  test('an expired access token gets 401 with the exact contract body and an RFC 6750 challenge', async () => {
    const { username } = await register();
    const tokens = await login(username);
    const fresh = await server.request('GET', '/me', { bearer: tokens.access_token });
    await sleep(3000);

    const expired = await server.request('GET', '/me', { bearer: tokens.access_token });

    expect(fresh.status).toBe(200);
    expect(expired.status).toBe(401);
    expect(expired.text).toBe(EXPIRED_BODY);
    const header = expired.headers.get('www-authenticate') ?? '';
    expect(header.startsWith('Bearer realm="')).toBe(true);
    expect(header).toContain('error="invalid_token"');
    expect(header).toContain('error_description=');
    expect(parseBearerChallenge(header)).toBeDefined();
  });
});

describe('refusals of the authorizer', () => {
  test('a request without a token gets 401 invalid_token and a challenge with the realm only', async () => {
    const answer = await server.request('GET', '/me');

    expect(answer.status).toBe(401);
    expect(answer.json).toMatchObject({ code: 401, error: 'invalid_token' });
    const header = answer.headers.get('www-authenticate') ?? '';
    expect(header).toMatch(/^Bearer realm="[^"]+"$/);
    expect(header).not.toContain('error=');
  });

  test('a request with another scheme than Bearer carries no token: 401 and the realm only (RFC 6750 §3.1)', async () => {
    const answer = await server.request('GET', '/me', { headers: { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` } });

    expect(answer.status).toBe(401);
    expect(answer.json).toMatchObject({ code: 401, error: 'invalid_token' });
    expect(answer.headers.get('www-authenticate')).toMatch(/^Bearer realm="[^"]+"$/);
  });

  test('a token forged with the server key and correct claims is accepted (the forging below is sound)', async () => {
    const { tokens } = await register();
    const payload = decodeJwtPart(tokens.access_token, 1);

    const forged = await signAccessToken({ ...payload, exp: Math.floor(Date.now() / 1000) + 60 }, serverSigningJwk());
    const answer = await server.request('GET', '/me', { bearer: forged });

    expect(answer.status).toBe(200);
  });

  const refusals: [string, (token: string) => Promise<string>][] = [
    ['garbage', async () => 'not-a-jwt'],
    ['a flipped signature character', async (token) => {
      const signatureStart = token.lastIndexOf('.') + 1;
      const flipped = token[signatureStart + 5] === 'A' ? 'B' : 'A';
      return token.slice(0, signatureStart + 5) + flipped + token.slice(signatureStart + 6);
    }],
    ['a token signed by another key', async (token) => {
      const { privateKey } = await generateKeyPair('ES256', { extractable: true });
      const jwk = { ...(await exportJWK(privateKey)), kid: decodeJwtPart(token, 0).kid as string };
      return signAccessToken({ ...decodeJwtPart(token, 1), exp: Math.floor(Date.now() / 1000) + 60 }, jwk);
    }],
    ['a wrong issuer (signed with the server key)', async (token) =>
      signAccessToken({ ...decodeJwtPart(token, 1), iss: 'https://issuer.invalid', exp: Math.floor(Date.now() / 1000) + 60 }, serverSigningJwk())],
    ['a wrong audience (signed with the server key)', async (token) =>
      signAccessToken({ ...decodeJwtPart(token, 1), aud: 'https://audience.invalid', exp: Math.floor(Date.now() / 1000) + 60 }, serverSigningJwk())],
  ];

  test.each(refusals)('%s gets 401 invalid_token', async (_, tamper) => {
    const { tokens } = await register();
    const token = await tamper(tokens.access_token);

    const answer = await server.request('GET', '/me', { bearer: token });

    expectRefusedToken(answer);
  });

  test('a wrong issuer is named in the description', async () => {
    const { tokens } = await register();
    const token = await signAccessToken(
      { ...decodeJwtPart(tokens.access_token, 1), iss: 'https://issuer.invalid', exp: Math.floor(Date.now() / 1000) + 60 },
      serverSigningJwk(),
    );

    const answer = await server.request('GET', '/me', { bearer: token });

    expect(answer.json.error_description).toContain('iss');
  });
});

describe('the key set', () => {
  test('GET /.well-known/jwks.json publishes public keys only, cacheably, and they verify issued tokens', async () => {
    const { tokens } = await register();

    const answer = await server.request('GET', '/.well-known/jwks.json');

    expect(answer.status).toBe(200);
    expect(answer.headers.get('cache-control')).toMatch(/^public, max-age=\d+$/);
    const keys = answer.json.keys as JWK[];
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) {
      for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) expect(key).not.toHaveProperty(member);
    }
    const kid = decodeJwtPart(tokens.access_token, 0).kid;
    const published = keys.find((key) => key.kid === kid)!;
    const { payload } = await jwtVerify(tokens.access_token, await importJWK(published, 'ES256'));
    expect(payload.sub).toBe(decodeJwtPart(tokens.access_token, 1).sub);
  });
});

describe('bad input to /auth/register gets a 4xx contract error, never a 5xx', () => {
  const cases: [string, () => Promise<{ headers?: Record<string, string>; body?: string; json?: unknown }>, number, string][] = [
    ['malformed JSON', async () => ({ headers: { 'content-type': 'application/json' }, body: '{"username": "x",' }), 400, 'invalid_request'],
    ['a wrong content type', async () => ({ headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ username: uniqueName('u'), password: PASSWORD }) }), 415, 'invalid_request'],
    ['a body over 16 KB', async () => ({ json: { username: uniqueName('u'), password: PASSWORD, padding: 'x'.repeat(17 * 1024) } }), 413, 'invalid_request'],
    ['a JSON array', async () => ({ json: [1, 2] }), 400, 'invalid_request'],
    ['a missing password', async () => ({ json: { username: uniqueName('u') } }), 400, 'invalid_request'],
    ['a taken username', async () => ({ json: { username: (await register()).username, password: PASSWORD } }), 409, 'username_taken'],
  ];

  test.each(cases)('%s', async (_, request, status, error) => {
    const options = await request();

    const answer = await server.request('POST', '/auth/register', options);

    expectContractError(answer, status, error);
  });
});

describe('the local server itself', () => {
  test('data survives a restart on the same DATA_DIR, and a stopped server frees its port', async () => {
    const { username } = await register();
    const { port } = server;

    await server.stop({ keepData: true });
    const portOpenAfterStop = await acceptsConnections(port);
    server = await OfflineServer.start({ port, dataDir, env: { ACCESS_TOKEN_TTL: '2' } });
    const answer = await server.request('POST', '/auth/login', { json: { username, password: PASSWORD } });

    expect(portOpenAfterStop).toBe(false);
    expect(answer.status).toBe(200);
    expect(answer.json.refresh_token).toEqual(expect.any(String));
  }, 150_000);

  test('a PORT already in use makes the process exit non-zero, saying so', async () => {
    const port = await freePort();
    const blocker = net.createServer();
    blockers.push(blocker);
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));

    const clash = await OfflineServer.spawn({ port });
    others.push(clash);
    const exit = await clash.waitForExit(90_000);

    expect(exit).toBeDefined();
    expect(exit!.code).not.toBe(0);
    expect(exit!.signal).toBeNull();
    expect(clash.output()).toContain('already in use');
  }, 120_000);
});
