import { EXPIRED_DESCRIPTION } from '../../lib/tokens';
import type { IssuedTokens } from '../../lib/auth';
import { bodyOf, claimsOf, proxyEvent, strangerRefreshToken, uniqueUsername, withTestApp } from '../support/app';

const ctx = withTestApp();
const { logout, refresh } = ctx.handlers;
afterEach(() => jest.restoreAllMocks());

const PASSWORD = 'correct horse battery staple';

/** A new user with `count` sessions (register, then logins). */
async function userWithSessions(count: number): Promise<{ sub: string; sessions: IssuedTokens[] }> {
  const username = uniqueUsername();
  const sessions = [await ctx.app.auth.register({ username, password: PASSWORD })];
  while (sessions.length < count) sessions.push(await ctx.app.auth.login({ username, password: PASSWORD }));
  return { sub: claimsOf(sessions[0]!.accessToken).sub, sessions };
}

const sidOf = (tokens: IssuedTokens) => claimsOf(tokens.accessToken).sid;
const readSession = (tokens: IssuedTokens) => ctx.dynamo.read('SessionsTable', { id: sidOf(tokens) });
const refreshWith = (refreshToken: string) => refresh(proxyEvent({ body: { refresh_token: refreshToken } }));

describe('POST /auth/logout with a refresh token', () => {
  it('ends that session only: 204, the item is gone and the token is refused', async () => {
    const [ending, staying] = (await userWithSessions(2)).sessions as [IssuedTokens, IssuedTokens];

    const response = await logout(proxyEvent({ body: { refresh_token: ending.refreshToken } }));

    expect(response.statusCode).toBe(204);
    expect(response.body).toBe('');
    expect(await readSession(ending)).toBeUndefined();
    const refused = await refreshWith(ending.refreshToken);
    expect(refused.statusCode).toBe(400);
    expect(bodyOf(refused)).toMatchObject({ error: 'invalid_grant' });
    expect(await readSession(staying)).toBeDefined();
  });

  it.each([
    ['an unknown', () => strangerRefreshToken()],
    ['a malformed', () => 'not-a-refresh-token'],
  ])('answers 204 to %s token and touches no session', async (_case, token) => {
    const [session] = (await userWithSessions(1)).sessions as [IssuedTokens];
    const before = await readSession(session);

    const response = await logout(proxyEvent({ body: { refresh_token: token() } }));

    expect(response.statusCode).toBe(204);
    expect(await readSession(session)).toEqual(before);
  });

  it('refuses a body with neither a refresh token nor all', async () => {
    const event = proxyEvent({ body: {} });

    const response = await logout(event);

    expect(response.statusCode).toBe(400);
    expect(bodyOf(response)).toMatchObject({ code: 400, error: 'invalid_request' });
  });
});

describe('POST /auth/logout {all: true}', () => {
  it('with a Bearer access token ends every session of that user and no one else’s', async () => {
    const alice = await userWithSessions(3);
    const bob = await userWithSessions(1);
    const event = proxyEvent({ body: { all: true } });
    event.headers.Authorization = `Bearer ${alice.sessions[0]!.accessToken}`;

    const response = await logout(event);

    expect(response.statusCode).toBe(204);
    expect(await ctx.dynamo.scan('SessionsTable', alice.sub)).toEqual([]);
    expect(await ctx.dynamo.scan('SessionsTable', bob.sub)).toHaveLength(1);
    expect((await refreshWith(alice.sessions[1]!.refreshToken)).statusCode).toBe(400);
    expect((await refreshWith(bob.sessions[0]!.refreshToken)).statusCode).toBe(200);
  });

  it('without a Bearer token answers 401 with a WWW-Authenticate challenge and ends nothing', async () => {
    const alice = await userWithSessions(1);
    const event = proxyEvent({ body: { all: true, refresh_token: alice.sessions[0]!.refreshToken } });

    const response = await logout(event);

    expect(response.statusCode).toBe(401);
    expect(bodyOf(response)).toEqual({ code: 401, error: 'invalid_token', error_description: expect.any(String) });
    expect(response.headers['WWW-Authenticate']).toMatch(/^Bearer realm="[^"]+"/);
    expect(await ctx.dynamo.scan('SessionsTable', alice.sub)).toHaveLength(1);
  });

  it.each([
    ['a forged', () => 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.'],
    ['a refresh token as', (tokens: IssuedTokens) => tokens.refreshToken],
  ])('with %s Bearer token answers 401 invalid_token and ends nothing', async (_case, bearer) => {
    const alice = await userWithSessions(1);
    const event = proxyEvent({ body: { all: true } });
    event.headers.Authorization = `Bearer ${bearer(alice.sessions[0]!)}`;

    const response = await logout(event);

    expect(response.statusCode).toBe(401);
    expect(bodyOf(response)).toMatchObject({ code: 401, error: 'invalid_token' });
    expect(response.headers['WWW-Authenticate']).toMatch(/^Bearer realm="[^"]+", error="invalid_token", error_description="[^"]+"/);
    expect(await ctx.dynamo.scan('SessionsTable', alice.sub)).toHaveLength(1);
  });

  it('with an expired Bearer token answers the contract’s exact 401 body', async () => {
    const alice = await userWithSessions(1);
    const event = proxyEvent({ body: { all: true } });
    event.headers.Authorization = `Bearer ${alice.sessions[0]!.accessToken}`;
    ctx.app.clock.advance(ctx.app.config.accessTokenTtl + 1);

    const response = await logout(event);

    expect(response.statusCode).toBe(401);
    expect(JSON.parse(response.body)).toEqual({ code: 401, error: 'invalid_token', error_description: EXPIRED_DESCRIPTION });
    expect(response.headers['WWW-Authenticate']).toContain('error="invalid_token"');
    expect(await ctx.dynamo.scan('SessionsTable', alice.sub)).toHaveLength(1);
  });

  it('needs the sessions scope: a token narrowed to profile gets 403 insufficient_scope and ends nothing', async () => {
    const alice = await userWithSessions(2);
    const narrowed = await ctx.app.auth.refresh(alice.sessions[0]!.refreshToken, 'profile');
    const event = proxyEvent({ body: { all: true } });
    event.headers.Authorization = `Bearer ${narrowed.accessToken}`;

    const response = await logout(event);

    expect(response.statusCode).toBe(403);
    expect(bodyOf(response)).toMatchObject({ code: 403, error: 'insufficient_scope' });
    expect(response.headers['WWW-Authenticate']).toContain('scope="sessions"');
    expect((await refreshWith(alice.sessions[1]!.refreshToken)).statusCode).toBe(200);
  });
});
