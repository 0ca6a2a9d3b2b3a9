/**
 * Recovering and leaving an account against `npm start` (serverless offline), as a user would: the
 * messages are the .eml files the local server writes to DATA_DIR/outbox, read back and followed.
 */
import path from 'node:path';
import { createOutbox, type Outbox } from '../support/outbox';
import { sharedServer, type SharedServer } from '../support/shared-servers';
import { expectContractError, PASSWORD, register, uniqueName } from './support';

let server: SharedServer;
let outbox: Outbox;
beforeAll(async () => {
  server = await sharedServer('standard');
  outbox = createOutbox(path.join(server.dataDir, 'outbox'));
}, 130_000);

const NEW_PASSWORD = 'a brand new passphrase';

test('register with an address, verify it from the outbox, forget the password, reset it from the link: old sessions end, the new password works', async () => {
  const email = `${uniqueName('journey')}@example.com`;
  const username = uniqueName('journey');
  const registered = await server.request('POST', '/auth/register', { json: { username, password: PASSWORD, email } });
  const verification = await outbox.latest(email, 'verify_email');
  const verified = await server.request('POST', '/auth/email/verify', { json: { token: verification.token } });
  const usedAgain = await server.request('POST', '/auth/email/verify', { json: { token: verification.token } });
  const me = await server.request('GET', '/me', { bearer: registered.json.access_token });
  const otherDevice = await server.request('POST', '/auth/login', { json: { username, password: PASSWORD } });

  const forgot = await server.request('POST', '/auth/password/forgot', { json: { email } });
  const reset = await outbox.latest(email, 'reset_password');
  const token = new URL(reset.link).searchParams.get('token');
  const weak = await server.request('POST', '/auth/password/reset', { json: { token, new_password: 'password' } });
  const done = await server.request('POST', '/auth/password/reset', { json: { token, new_password: NEW_PASSWORD } });
  const replayed = await server.request('POST', '/auth/password/reset', { json: { token, new_password: NEW_PASSWORD } });

  expect(registered.status).toBe(201);
  expect(verification.link).toBe(`http://localhost:3100/verify-email?token=${verification.token}`);
  expect(verified.status).toBe(204);
  expectContractError(usedAgain, 400, 'invalid_grant');
  expect(me.json).toMatchObject({ username, email, email_verified: true });
  expect(forgot.status).toBe(202);
  expect(token).toBe(reset.token);
  expectContractError(weak, 400, 'invalid_request');
  expect(done.status).toBe(204);
  expectContractError(replayed, 400, 'invalid_grant');
  for (const old of [registered.json.refresh_token, otherDevice.json.refresh_token]) {
    expectContractError(await server.request('POST', '/auth/refresh', { json: { refresh_token: old } }), 400, 'invalid_grant');
  }
  expectContractError(await server.request('POST', '/auth/login', { json: { username, password: PASSWORD } }), 400, 'invalid_grant');
  expect((await server.request('POST', '/auth/login', { json: { username, password: NEW_PASSWORD } })).status).toBe(200);
});

test('a reset asked for nobody answers exactly as one asked for somebody; bad requests get the contract\'s 4xx', async () => {
  const { username } = await register(server);
  const nobody = await server.request('POST', '/auth/password/forgot', { json: { username: uniqueName('nobody') } });
  const somebody = await server.request('POST', '/auth/password/forgot', { json: { username } });
  const both = await server.request('POST', '/auth/password/forgot', { json: { username, email: 'a@example.com' } });
  const badAddress = await server.request('POST', '/auth/register', { json: { username: uniqueName('bad'), password: PASSWORD, email: 'nope@' } });
  const forged = await server.request('POST', '/auth/password/reset', { json: { token: 'A'.repeat(64), new_password: NEW_PASSWORD } });

  expect([nobody.status, nobody.text]).toEqual([somebody.status, somebody.text]);
  expect(nobody.status).toBe(202);
  expectContractError(both, 400, 'invalid_request');
  expectContractError(badAddress, 400, 'invalid_request');
  expectContractError(forged, 400, 'invalid_grant');
});

test('delete the account with its password: its tokens fail and its name is free again', async () => {
  const { username, tokens } = await register(server);
  const wrong = await server.request('DELETE', '/me', { json: { password: 'not the password' }, bearer: tokens.access_token });
  const deleted = await server.request('DELETE', '/me', { json: { password: PASSWORD }, bearer: tokens.access_token });

  expectContractError(wrong, 400, 'invalid_grant');
  expect(deleted.status).toBe(204);
  expectContractError(await server.request('POST', '/auth/refresh', { json: { refresh_token: tokens.refresh_token } }), 400, 'invalid_grant');
  expectContractError(await server.request('GET', '/me', { bearer: tokens.access_token }), 401, 'invalid_token');
  expect((await server.request('POST', '/auth/register', { json: { username, password: PASSWORD } })).status).toBe(201);
});
