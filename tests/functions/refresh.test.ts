import type { HttpResponse } from '../../lib/http';
import { bodyOf, claimsOf, proxyEvent, sha256, strangerRefreshToken, uniqueUsername, type EventOptions, withTestApp } from '../support/app';
import { countRequests } from '../support/dynalite';

const IDLE = 1_209_600;
const ABSOLUTE = 7_776_000;
const GRACE = 30;

const ctx = withTestApp({
  REFRESH_TOKEN_IDLE_TTL: String(IDLE),
  REFRESH_TOKEN_ABSOLUTE_TTL: String(ABSOLUTE),
  REFRESH_TOKEN_REUSE_GRACE: String(GRACE),
});
const { refresh } = ctx.handlers;

/** A new user's first session: its refresh token and session id. */
async function newSession(scope?: string): Promise<{ refreshToken: string; sid: string }> {
  const issued = await ctx.app.auth.register({ username: uniqueUsername(), password: 'correct horse battery staple', scope });
  return { refreshToken: issued.refreshToken, sid: claimsOf(issued.accessToken).sid };
}

const refreshEvent = (refreshToken: unknown, scope?: string) => proxyEvent({ body: { refresh_token: refreshToken, scope } });
const readSession = (sid: string) => ctx.dynamo.read('SessionsTable', { id: sid });
const refreshTokenOf = (response: HttpResponse) => bodyOf(response).refresh_token as string;

describe('POST /auth/refresh rotates the refresh token', () => {
  it('answers 200 with a new refresh token; the presented one becomes previousHash', async () => {
    const { refreshToken, sid } = await newSession();

    const response = await refresh(refreshEvent(refreshToken));

    expect(response.statusCode).toBe(200);
    expect(response.headers).toMatchObject({ 'Cache-Control': 'no-store', Pragma: 'no-cache' });
    const next = refreshTokenOf(response);
    expect(bodyOf(response)).toMatchObject({ token_type: 'Bearer', expires_in: 900, scope: 'profile sessions' });
    expect(next).not.toBe(refreshToken);
    expect(claimsOf(bodyOf(response).access_token as string).sid).toBe(sid);
    expect(await readSession(sid)).toMatchObject({ tokenHash: sha256(next), previousHash: sha256(refreshToken) });
  });

  it('gives the previous token, within the reuse grace, the same successor and revokes nothing', async () => {
    const { refreshToken, sid } = await newSession();
    const first = await refresh(refreshEvent(refreshToken));
    const rotated = await readSession(sid);
    ctx.app.clock.advance(GRACE);

    const retry = await refresh(refreshEvent(refreshToken));

    expect(retry.statusCode).toBe(200);
    expect(refreshTokenOf(retry)).toBe(refreshTokenOf(first));
    expect(await readSession(sid)).toEqual(rotated);
    expect((await refresh(refreshEvent(refreshTokenOf(first)))).statusCode).toBe(200);
  });

  it('treats the previous token after the grace window as theft: invalid_grant and the session is gone', async () => {
    const { refreshToken, sid } = await newSession();
    const newest = refreshTokenOf(await refresh(refreshEvent(refreshToken)));
    ctx.app.clock.advance(GRACE + 1);

    const reused = await refresh(refreshEvent(refreshToken));

    expect(reused.statusCode).toBe(400);
    expect(bodyOf(reused)).toEqual({ code: 400, error: 'invalid_grant', error_description: expect.any(String) });
    expect(await readSession(sid)).toBeUndefined();
    const withNewest = await refresh(refreshEvent(newest));
    expect(withNewest.statusCode).toBe(400);
    expect(bodyOf(withNewest)).toMatchObject({ error: 'invalid_grant' });
  });

  it('never forks the session: 50 parallel refreshes with one token get one successor', async () => {
    const { refreshToken, sid } = await newSession();

    const responses = await Promise.all(Array.from({ length: 50 }, () => refresh(refreshEvent(refreshToken))));

    expect(responses.map((response) => response.statusCode)).toEqual(Array(50).fill(200));
    const successors = new Set(responses.map(refreshTokenOf));
    expect(successors.size).toBe(1);
    const [successor] = [...successors] as [string];
    expect(await readSession(sid)).toMatchObject({ tokenHash: sha256(successor), previousHash: sha256(refreshToken) });
  });

  it('sends two DynamoDB requests at once on the happy path: the rotation (UpdateItem) and the user (GetItem)', async () => {
    const { refreshToken } = await newSession();
    const counter = countRequests(ctx.dynamo.doc);

    const response = await refresh(refreshEvent(refreshToken));

    counter.remove();
    expect(response.statusCode).toBe(200);
    expect(counter.counts).toEqual({ UpdateItem: 1, GetItem: 1 });
  });
});

describe('POST /auth/refresh and session lifetime', () => {
  it('refuses a token unused for REFRESH_TOKEN_IDLE_TTL', async () => {
    const { refreshToken } = await newSession();
    ctx.app.clock.advance(IDLE);

    const response = await refresh(refreshEvent(refreshToken));

    expect(response.statusCode).toBe(400);
    expect(bodyOf(response)).toMatchObject({ error: 'invalid_grant' });
  });

  it('extends the idle deadline at each refresh', async () => {
    const { refreshToken, sid } = await newSession();
    ctx.app.clock.advance(IDLE - 1);
    const second = refreshTokenOf(await refresh(refreshEvent(refreshToken)));
    ctx.app.clock.advance(IDLE - 1);

    const response = await refresh(refreshEvent(second));

    expect(response.statusCode).toBe(200);
    expect(await readSession(sid)).toMatchObject({ idleExpiresAt: ctx.app.clock.seconds() + IDLE });
  });

  it('never carries a session past REFRESH_TOKEN_ABSOLUTE_TTL after login, however recently refreshed', async () => {
    const loggedInAt = ctx.app.clock.seconds();
    let { refreshToken } = await newSession();
    const step = Math.floor(IDLE / 2);
    while (ctx.app.clock.seconds() + step < loggedInAt + ABSOLUTE) {
      ctx.app.clock.advance(step);
      refreshToken = refreshTokenOf(await refresh(refreshEvent(refreshToken)));
    }
    ctx.app.clock.advance(loggedInAt + ABSOLUTE - 1 - ctx.app.clock.seconds());
    const lastSecond = await refresh(refreshEvent(refreshToken));
    ctx.app.clock.advance(1);

    const response = await refresh(refreshEvent(refreshTokenOf(lastSecond)));

    expect(lastSecond.statusCode).toBe(200);
    expect(response.statusCode).toBe(400);
    expect(bodyOf(response)).toMatchObject({ error: 'invalid_grant' });
  });
});

describe('POST /auth/refresh with a scope', () => {
  it('narrows the access token scope on request', async () => {
    const { refreshToken } = await newSession();

    const response = await refresh(refreshEvent(refreshToken, 'profile'));

    expect(response.statusCode).toBe(200);
    expect(bodyOf(response).scope).toBe('profile');
    expect(claimsOf(bodyOf(response).access_token as string).scope).toBe('profile');
  });

  it.each([
    ['a scope the session was not granted', 'profile', 'profile sessions'],
    ['a scope this service does not know', 'profile sessions', 'profile admin'],
  ])('refuses %s with invalid_scope and does not consume the token', async (_case, granted, requested) => {
    const { refreshToken, sid } = await newSession(granted);
    const before = await readSession(sid);

    const widened = await refresh(refreshEvent(refreshToken, requested));

    expect(widened.statusCode).toBe(400);
    expect(bodyOf(widened)).toMatchObject({ code: 400, error: 'invalid_scope' });
    expect(await readSession(sid)).toEqual(before);
    expect((await refresh(refreshEvent(refreshToken))).statusCode).toBe(200);
  });
});

describe('POST /auth/refresh with a bad refresh token', () => {
  const cases: [string, (valid: string, accessToken: string) => EventOptions][] = [
    ['an unknown token', () => ({ body: { refresh_token: strangerRefreshToken() } })],
    ['a malformed token', () => ({ body: { refresh_token: 'not a refresh token!' } })],
    ['a truncated token', (valid) => ({ body: { refresh_token: valid.slice(0, -1) } })],
    ['a token with its first character changed', (valid) => ({ body: { refresh_token: (valid.startsWith('A') ? 'B' : 'A') + valid.slice(1) } })],
    ['an empty token', () => ({ body: { refresh_token: '' } })],
    ['no token', () => ({ body: {} })],
    ['a numeric token', () => ({ body: { refresh_token: 42 } })],
    ['a 15 KB token', () => ({ body: { refresh_token: 'A'.repeat(15 * 1024) } })],
    ['a 100 KB token', () => ({ body: { refresh_token: 'A'.repeat(100 * 1024) } })],
    ['an access token', (_valid, accessToken) => ({ body: { refresh_token: accessToken } })],
  ];

  it.each(cases)('refuses %s with a 4xx invalid_grant or invalid_request and touches no session', async (_case, request) => {
    const issued = await ctx.app.auth.register({ username: uniqueUsername(), password: 'correct horse battery staple' });
    const sid = claimsOf(issued.accessToken).sid;
    const before = await readSession(sid);

    const response = await refresh(proxyEvent(request(issued.refreshToken, issued.accessToken)));

    expect([400, 413]).toContain(response.statusCode);
    expect(bodyOf(response)).toEqual({ code: response.statusCode, error: expect.stringMatching(/^(invalid_grant|invalid_request)$/), error_description: expect.any(String) });
    expect(await readSession(sid)).toEqual(before);
    expect((await refresh(refreshEvent(issued.refreshToken))).statusCode).toBe(200);
  });
});
