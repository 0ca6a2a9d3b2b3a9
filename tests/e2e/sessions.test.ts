/**
 * Refresh-token sessions over real HTTP (`serverless offline start`), with lifetimes short enough to watch
 * them end: reuse grace 1 s, idle 4 s, absolute 8 s. Times are whole epoch seconds on the
 * server, so each wait below is one second longer than the bound it crosses could need.
 */
import { randomBytes } from 'node:crypto';
import { decodeJwtPart, OfflineServer, sleep, type HttpAnswer } from '../support/offline';

jest.setTimeout(60_000);

const PASSWORD = 'correct horse battery staple';
const NEW_PASSWORD = 'a brand new passphrase';
// Seconds, with a margin of about 2 s at every deadline: a loaded 2-core CI machine can be slow to answer.
const GRACE = 2;
const IDLE = 6;
const ABSOLUTE = 12;

let server: OfflineServer;

beforeAll(async () => {
  server = await OfflineServer.start({
    env: {
      // Long enough that a cold start between login and a protected call never expires the token here.
      ACCESS_TOKEN_TTL: '60',
      REFRESH_TOKEN_REUSE_GRACE: String(GRACE),
      REFRESH_TOKEN_IDLE_TTL: String(IDLE),
      REFRESH_TOKEN_ABSOLUTE_TTL: String(ABSOLUTE),
    },
  });
}, 120_000);

afterAll(async () => {
  await server?.stop();
}, 60_000);

interface Tokens {
  access_token: string;
  refresh_token: string;
  scope: string;
}

const uniqueName = () => `sessions-${randomBytes(4).toString('hex')}`;
const sidOf = (tokens: Tokens) => decodeJwtPart(tokens.access_token, 1).sid as string;

async function register(username = uniqueName()): Promise<{ username: string; tokens: Tokens }> {
  const answer = await server.request('POST', '/auth/register', { json: { username, password: PASSWORD } });
  expect(answer.status).toBe(201);
  return { username, tokens: answer.json };
}

async function login(username: string, password = PASSWORD): Promise<Tokens> {
  const answer = await server.request('POST', '/auth/login', { json: { username, password } });
  expect(answer.status).toBe(200);
  return answer.json;
}

const refresh = (refreshToken: string) => server.request('POST', '/auth/refresh', { json: { refresh_token: refreshToken } });

function expectInvalidGrant(answer: HttpAnswer) {
  expect(answer.status).toBe(400);
  expect(answer.json).toEqual({ code: 400, error: 'invalid_grant', error_description: expect.any(String) });
}

describe('refresh', () => {
  test('rotates the refresh token inside the same session', async () => {
    const { tokens } = await register();

    const answer = await refresh(tokens.refresh_token);

    expect(answer.status).toBe(200);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(answer.json).toMatchObject({ token_type: 'Bearer', expires_in: 60, scope: 'profile sessions' });
    expect(answer.json.refresh_token).not.toBe(tokens.refresh_token);
    expect(answer.json.access_token).not.toBe(tokens.access_token);
    expect(sidOf(answer.json)).toBe(sidOf(tokens));
    expect((await refresh(answer.json.refresh_token)).status).toBe(200);
  });

  test('a replay of the previous token within the grace returns the same successor and revokes nothing', async () => {
    const { tokens } = await register();
    const first = await refresh(tokens.refresh_token);

    const replay = await refresh(tokens.refresh_token);

    expect(first.status).toBe(200);
    expect(replay.status).toBe(200);
    expect(replay.json.refresh_token).toBe(first.json.refresh_token);
    expect((await refresh(first.json.refresh_token)).status).toBe(200);
  });

  test('a replay after the grace is theft: invalid_grant, and the newest token of the session fails too', async () => {
    const { tokens } = await register();
    const rotated = await refresh(tokens.refresh_token);
    await sleep((GRACE + 1) * 1000 + 200);

    const replay = await refresh(tokens.refresh_token);
    const newest = await refresh(rotated.json.refresh_token);

    expect(rotated.status).toBe(200);
    expectInvalidGrant(replay);
    expectInvalidGrant(newest);
  });

  test('a session idle for longer than REFRESH_TOKEN_IDLE_TTL is over', async () => {
    const { tokens } = await register();
    await sleep(IDLE * 1000 + 300);

    const answer = await refresh(tokens.refresh_token);

    expectInvalidGrant(answer);
  });

  test('each refresh slides the idle deadline, never past REFRESH_TOKEN_ABSOLUTE_TTL', async () => {
    const { tokens } = await register();
    await sleep(4000);
    const atFour = await refresh(tokens.refresh_token);
    await sleep(4000);
    const atEight = await refresh(atFour.json.refresh_token); // past the first idle deadline (6 s)
    await sleep((ABSOLUTE - 8) * 1000 + 1300);

    const pastAbsolute = await refresh(atEight.json.refresh_token); // idle deadline 14 s, absolute 12 s

    expect(atFour.status).toBe(200);
    expect(atEight.status).toBe(200);
    expectInvalidGrant(pastAbsolute);
  });

  test('an unknown refresh token gets invalid_grant', async () => {
    const answer = await refresh(randomBytes(48).toString('base64url'));

    expectInvalidGrant(answer);
  });
});

describe('GET /sessions and DELETE /sessions/{id}', () => {
  test('lists the live sessions of the caller, marking the current one', async () => {
    const { username, tokens: first } = await register();
    const second = await login(username);

    const answer = await server.request('GET', '/sessions', { bearer: second.access_token });

    expect(answer.status).toBe(200);
    const iso = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const session = (id: string, current: boolean) => ({ id, createdAt: iso, lastUsedAt: iso, expiresAt: iso, current });
    expect(answer.json.sessions).toEqual(expect.arrayContaining([session(sidOf(second), true), session(sidOf(first), false)]));
    expect(answer.json.sessions).toHaveLength(2);
  });

  test('does not list a session that ended by idle expiry', async () => {
    const { username, tokens: stale } = await register();
    await sleep(IDLE * 1000 + 300);
    const current = await login(username);

    const answer = await server.request('GET', '/sessions', { bearer: current.access_token });

    expect(answer.status).toBe(200);
    expect(answer.json.sessions.map((s: { id: string }) => s.id)).toEqual([sidOf(current)]);
    expect(sidOf(stale)).not.toBe(sidOf(current));
  });

  test('DELETE ends one session: 204, its refresh token stops working, the caller\'s own goes on', async () => {
    const { username, tokens: other } = await register();
    const mine = await login(username);

    const deleted = await server.request('DELETE', `/sessions/${sidOf(other)}`, { bearer: mine.access_token });
    const list = await server.request('GET', '/sessions', { bearer: mine.access_token });

    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe('');
    expect(list.json.sessions.map((s: { id: string }) => s.id)).toEqual([sidOf(mine)]);
    expectInvalidGrant(await refresh(other.refresh_token));
    expect((await refresh(mine.refresh_token)).status).toBe(200);
  });

  test('DELETE of another user\'s session is 404 not_found and leaves it alive', async () => {
    const { tokens: victim } = await register();
    const { tokens: attacker } = await register();

    const answer = await server.request('DELETE', `/sessions/${sidOf(victim)}`, { bearer: attacker.access_token });

    expect(answer.status).toBe(404);
    expect(answer.json).toEqual({ code: 404, error: 'not_found', error_description: expect.any(String) });
    expect((await refresh(victim.refresh_token)).status).toBe(200);
  });

  test('without a token, both routes answer 401 invalid_token', async () => {
    const list = await server.request('GET', '/sessions');
    const deleted = await server.request('DELETE', `/sessions/${'a'.repeat(22)}`);

    expect(list.status).toBe(401);
    expect(list.json).toMatchObject({ code: 401, error: 'invalid_token' });
    expect(deleted.status).toBe(401);
    expect(deleted.json).toMatchObject({ code: 401, error: 'invalid_token' });
  });
});

describe('logout', () => {
  test('with a refresh token ends that session only', async () => {
    const { username, tokens: ended } = await register();
    const kept = await login(username);

    const answer = await server.request('POST', '/auth/logout', { json: { refresh_token: ended.refresh_token } });

    expect(answer.status).toBe(204);
    expectInvalidGrant(await refresh(ended.refresh_token));
    expect((await refresh(kept.refresh_token)).status).toBe(200);
  });

  test('leaves the access token working until it expires: access tokens are stateless (README)', async () => {
    const { tokens } = await register();

    const answer = await server.request('POST', '/auth/logout', { json: { refresh_token: tokens.refresh_token } });
    const me = await server.request('GET', '/me', { bearer: tokens.access_token });

    expect(answer.status).toBe(204);
    expectInvalidGrant(await refresh(tokens.refresh_token));
    expect(me.status).toBe(200);
  });

  test('with an unknown refresh token is still 204', async () => {
    const answer = await server.request('POST', '/auth/logout', { json: { refresh_token: randomBytes(48).toString('base64url') } });

    expect(answer.status).toBe(204);
  });

  test('{all: true} with a Bearer token ends every session of the user, and no one else\'s', async () => {
    const { username, tokens: first } = await register();
    const second = await login(username);
    const { tokens: bystander } = await register();

    const answer = await server.request('POST', '/auth/logout', { json: { all: true }, bearer: second.access_token });

    expect(answer.status).toBe(204);
    expectInvalidGrant(await refresh(first.refresh_token));
    expectInvalidGrant(await refresh(second.refresh_token));
    expect((await refresh(bystander.refresh_token)).status).toBe(200);
  });

  test('{all: true} without a Bearer token is 401 invalid_token and ends nothing', async () => {
    const { tokens } = await register();

    const answer = await server.request('POST', '/auth/logout', { json: { all: true } });

    expect(answer.status).toBe(401);
    expect(answer.json).toMatchObject({ code: 401, error: 'invalid_token' });
    expect(answer.headers.get('www-authenticate')).toMatch(/^Bearer realm="/);
    expect((await refresh(tokens.refresh_token)).status).toBe(200);
  });
});

describe('POST /auth/password', () => {
  test('changes the password and revokes every other session of the user', async () => {
    const { username, tokens: other } = await register();
    const current = await login(username);

    const answer = await server.request('POST', '/auth/password', {
      json: { password: PASSWORD, new_password: NEW_PASSWORD },
      bearer: current.access_token,
    });

    expect(answer.status).toBe(204);
    expectInvalidGrant(await refresh(other.refresh_token));
    expect((await refresh(current.refresh_token)).status).toBe(200);
    expectInvalidGrant(await server.request('POST', '/auth/login', { json: { username, password: PASSWORD } }));
    expect((await login(username, NEW_PASSWORD)).refresh_token).toEqual(expect.any(String));
  });

  test('with a wrong current password is 400 invalid_grant and revokes nothing', async () => {
    const { username, tokens: other } = await register();
    const current = await login(username);

    const answer = await server.request('POST', '/auth/password', {
      json: { password: 'not the password', new_password: NEW_PASSWORD },
      bearer: current.access_token,
    });

    expectInvalidGrant(answer);
    expect((await refresh(other.refresh_token)).status).toBe(200);
  });
});
