/**
 * A user's first visit, over real HTTP against `npm start`'s stack (serverless offline with the same
 * serverless.yml, bundles, authorizer and gateway responses as AWS, on dynalite).
 */
import { importJWK, SignJWT } from 'jose';
import { decodeJwtPart, parseBearerChallenge, type HttpAnswer } from '../support/offline';
import { sharedServer, type SharedServer } from '../support/shared-servers';
import { expectContractError, PASSWORD, register, uniqueName } from './support';

let server: SharedServer;
beforeAll(async () => {
  server = await sharedServer('standard');
}, 130_000);

function expectTokenResponse(answer: HttpAnswer, status: number) {
  expect(answer.status).toBe(status);
  expect(answer.json).toEqual({
    token_type: 'Bearer',
    access_token: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/),
    expires_in: 900,
    refresh_token: expect.stringMatching(/^[\w-]{43,}$/), // opaque, never a JWT
    scope: 'profile sessions',
  });
  expect(answer.headers).toMatchObject({ 'cache-control': 'no-store', pragma: 'no-cache' });
}

test('sign up, read /me, sign in elsewhere, refresh, log out', async () => {
  const username = uniqueName('Alice');

  const signUp = await server.request('POST', '/auth/register', { json: { username, password: PASSWORD } });
  const me = await server.request('GET', '/me', { headers: { authorization: `bearer ${signUp.json.access_token}` } });
  const signIn = await server.request('POST', '/auth/login', { json: { username: username.toUpperCase(), password: PASSWORD } });
  const refreshed = await server.request('POST', '/auth/refresh', { json: { refresh_token: signIn.json.refresh_token } });
  const loggedOut = await server.request('POST', '/auth/logout', { json: { refresh_token: refreshed.json.refresh_token } });
  const afterLogout = await server.request('POST', '/auth/refresh', { json: { refresh_token: refreshed.json.refresh_token } });

  expectTokenResponse(signUp, 201);
  expect(decodeJwtPart(signUp.json.access_token, 0)).toMatchObject({ typ: 'at+jwt', alg: 'ES256' });
  expect(me.status).toBe(200);
  expect(me.json).toEqual({ sub: decodeJwtPart(signUp.json.access_token, 1).sub, username, email: null, email_verified: false, scope: 'profile sessions' });
  expect(me.json.sub).not.toBe(username);
  expectTokenResponse(signIn, 200);
  expectTokenResponse(refreshed, 200);
  expect(refreshed.json.refresh_token).not.toBe(signIn.json.refresh_token);
  expect(loggedOut.status).toBe(204);
  expectContractError(afterLogout, 400, 'invalid_grant');
});

test('the local gateway answers the authorizer’s refusals as API Gateway does (serverless.yml gateway responses)', async () => {
  const { tokens } = await register(server);
  const claims = decodeJwtPart(tokens.access_token, 1);
  const key = await importJWK(server.signingKey, 'ES256');
  const wrongIssuer = await new SignJWT({ ...claims, iss: 'https://issuer.invalid' })
    .setProtectedHeader({ alg: 'ES256', kid: server.signingKey.kid!, typ: 'at+jwt' })
    .sign(key);
  const at = tokens.access_token.lastIndexOf('.') + 5;
  const badSignature = `${tokens.access_token.slice(0, at)}${tokens.access_token[at] === 'A' ? 'B' : 'A'}${tokens.access_token.slice(at + 1)}`;

  const [none, basic, garbage, forged, tampered] = await Promise.all([
    server.request('GET', '/me'),
    server.request('GET', '/me', { headers: { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` } }),
    server.request('GET', '/me', { bearer: 'not-a-jwt' }),
    server.request('GET', '/me', { bearer: wrongIssuer }),
    server.request('GET', '/me', { bearer: badSignature }),
  ]);

  for (const anonymous of [none, basic]) {
    expectContractError(anonymous, 401, 'invalid_token');
    expect(anonymous.headers['www-authenticate']).toMatch(/^Bearer realm="[^"]+"$/);
  }
  for (const refused of [garbage, forged, tampered]) {
    expectContractError(refused, 401, 'invalid_token');
    expect(parseBearerChallenge(refused.headers['www-authenticate'] as string)).toMatchObject({ error: 'invalid_token' });
  }
  expect(forged.json.error_description).toContain('iss');
});

test('bad input gets a 4xx contract error through the local stack, never a 5xx', async () => {
  const taken = (await register(server)).username;

  const answers = await Promise.all([
    server.request('POST', '/auth/register', { headers: { 'content-type': 'application/json' }, body: '{"username": "x",' }),
    server.request('POST', '/auth/register', { headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ username: uniqueName('u'), password: PASSWORD }) }),
    server.request('POST', '/auth/register', { json: { username: uniqueName('u'), password: PASSWORD, padding: 'x'.repeat(17 * 1024) } }),
    server.request('POST', '/auth/register', { json: { username: taken, password: PASSWORD } }),
  ]);

  expect(answers.map((answer) => [answer.status, answer.json?.error])).toEqual([
    [400, 'invalid_request'],
    [415, 'invalid_request'],
    [413, 'invalid_request'],
    [409, 'username_taken'],
  ]);
});
