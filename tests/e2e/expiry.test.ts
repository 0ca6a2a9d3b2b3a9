/**
 * Time passing, on the real clock, against the shared server with short lifetimes (access tokens of 2 s,
 * a reuse grace of 2 s). Every other time-dependent rule is proved with the injected clock
 * (tests/integration/sessions.test.ts, tests/functions/refresh.test.ts); this journey shows them on the wire.
 */
import { parseBearerChallenge, sleep } from '../support/offline';
import { sharedServer, type SharedServer } from '../support/shared-servers';
import { expectContractError, register } from './support';

let server: SharedServer;
beforeAll(async () => {
  server = await sharedServer('short');
}, 130_000);

test('an access token expires with the contract’s exact 401; a refresh renews it; a stale refresh token ends the session', async () => {
  const { tokens } = await register(server);
  const fresh = await server.request('GET', '/me', { bearer: tokens.access_token });
  await sleep(3000); // past exp (2 s)

  const expired = await server.request('GET', '/me', { bearer: tokens.access_token });
  const renewed = await server.request('POST', '/auth/refresh', { json: { refresh_token: tokens.refresh_token } });
  const retried = await server.request('POST', '/auth/refresh', { json: { refresh_token: tokens.refresh_token } });
  const meAgain = await server.request('GET', '/me', { bearer: renewed.json.access_token });
  await sleep(3000); // past the reuse grace (2 s) of the first rotation
  const stolen = await server.request('POST', '/auth/refresh', { json: { refresh_token: tokens.refresh_token } });
  const newest = await server.request('POST', '/auth/refresh', { json: { refresh_token: renewed.json.refresh_token } });

  expect(fresh.status).toBe(200);
  expect(expired.status).toBe(401);
  // The one place the contract's literal body is written out: clients key their refresh on it.
  expect(expired.text).toBe('{"code":401,"error":"invalid_token","error_description":"The access token provided has expired."}');
  expect(parseBearerChallenge(expired.headers['www-authenticate'] as string)).toMatchObject({ error: 'invalid_token' });
  expect(renewed.status).toBe(200);
  expect(retried.json.refresh_token).toBe(renewed.json.refresh_token); // a retry inside the grace: same successor
  expect(meAgain.status).toBe(200);
  expectContractError(stolen, 400, 'invalid_grant');
  expectContractError(newest, 400, 'invalid_grant'); // reuse revoked the whole session
});
