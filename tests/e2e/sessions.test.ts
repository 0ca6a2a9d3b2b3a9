/** A user with two devices manages their sessions, over real HTTP against the local stack. */
import { sharedServer, type SharedServer } from '../support/shared-servers';
import { expectContractError, PASSWORD, register, sidOf, type Tokens } from './support';

let server: SharedServer;
beforeAll(async () => {
  server = await sharedServer('standard');
}, 130_000);

test('two devices: list the sessions, end the other one, then log out everywhere', async () => {
  const { username, tokens: laptop } = await register(server);
  const phone: Tokens = (await server.request('POST', '/auth/login', { json: { username, password: PASSWORD } })).json;

  const listed = await server.request('GET', '/sessions', { bearer: laptop.access_token });
  const ended = await server.request('DELETE', `/sessions/${sidOf(phone)}`, { bearer: laptop.access_token });
  const phoneRefresh = await server.request('POST', '/auth/refresh', { json: { refresh_token: phone.refresh_token } });
  const laptopRefresh = await server.request('POST', '/auth/refresh', { json: { refresh_token: laptop.refresh_token } });
  const everywhere = await server.request('POST', '/auth/logout', { json: { all: true }, bearer: laptopRefresh.json.access_token });
  const afterAll = await server.request('POST', '/auth/refresh', { json: { refresh_token: laptopRefresh.json.refresh_token } });

  expect(listed.status).toBe(200);
  expect(listed.json.sessions.map((session: { id: string; current: boolean }) => [session.id, session.current]).sort()).toEqual(
    [[sidOf(laptop), true], [sidOf(phone), false]].sort(),
  );
  expect(ended.status).toBe(204);
  expectContractError(phoneRefresh, 400, 'invalid_grant');
  expect(laptopRefresh.status).toBe(200);
  expect(everywhere.status).toBe(204);
  expectContractError(afterAll, 400, 'invalid_grant');
});
