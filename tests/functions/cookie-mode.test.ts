import { parseCookie, parseSetCookie } from 'cookie';
import { REFRESH_COOKIES } from '../../lib/cookies';
import type { HttpResponse } from '../../lib/http';
import { bodyOf, claimsOf, proxyEvent, sha256, uniqueUsername, withTestApp } from '../support/app';

/**
 * Cookie mode through the handlers: `Refresh-Token-Transport: cookie` moves the refresh token out of every
 * body and into HttpOnly cookies, reads it back from them, and only with that header.
 */
const IDLE = 1_209_600;
const GRACE = 30;
const ctx = withTestApp({ REFRESH_TOKEN_IDLE_TTL: String(IDLE), REFRESH_TOKEN_REUSE_GRACE: String(GRACE) });
const { register, login, refresh, logout } = ctx.handlers;
const PASSWORD = 'correct horse battery staple';
const COOKIE_MODE = { 'Content-Type': 'application/json', 'Refresh-Token-Transport': 'cookie' };

/** The browser's side: what the Set-Cookie headers of an answer store, by cookie name. */
function jarOf(response: HttpResponse): Record<string, string> {
  const jar: Record<string, string> = {};
  for (const line of response.multiValueHeaders?.['Set-Cookie'] ?? []) {
    const { name, value } = parseSetCookie(line);
    jar[name] = value ?? '';
  }
  return jar;
}
const cookieHeader = (jar: Record<string, string>) => Object.entries(jar).map(([name, value]) => `${name}=${value}`).join('; ');
const withJar = (jar: Record<string, string>, body: unknown = {}, headers: Record<string, string> = COOKIE_MODE) =>
  proxyEvent({ headers: { ...headers, Cookie: cookieHeader(jar) }, body });

async function loggedIn(): Promise<{ username: string; jar: Record<string, string>; sid: string }> {
  const username = uniqueUsername();
  await ctx.app.auth.register({ username, password: PASSWORD });
  const response = await login(proxyEvent({ headers: COOKIE_MODE, body: { username, password: PASSWORD } }));
  expect(response.statusCode).toBe(200);
  return { username, jar: jarOf(response), sid: claimsOf(bodyOf(response).access_token as string).sid };
}

describe('register and login in cookie mode', () => {
  it.each([
    ['register', () => register(proxyEvent({ headers: COOKIE_MODE, body: { username: uniqueUsername(), password: PASSWORD } })), 201],
    ['login', async () => {
      const username = uniqueUsername();
      await ctx.app.auth.register({ username, password: PASSWORD });
      return login(proxyEvent({ headers: COOKIE_MODE, body: { username, password: PASSWORD } }));
    }, 200],
  ])('%s puts the refresh token in both cookies and in no body', async (_route, run, status) => {
    const response = await run();

    expect(response.statusCode).toBe(status);
    expect(bodyOf(response)).not.toHaveProperty('refresh_token');
    expect(Object.keys(bodyOf(response)).sort()).toEqual(['access_token', 'expires_in', 'scope', 'token_type']);
    const jar = jarOf(response);
    expect(jar[REFRESH_COOKIES.refresh.name]).toMatch(/^[\w-]{86}$/);
    expect(jar[REFRESH_COOKIES.logout.name]).toBe(jar[REFRESH_COOKIES.refresh.name]);
    const sid = claimsOf(bodyOf(response).access_token as string).sid;
    expect(await ctx.dynamo.read('SessionsTable', { id: sid })).toMatchObject({ tokenHash: sha256(jar[REFRESH_COOKIES.refresh.name]!) });
  });

  it('gives the cookies the session\'s remaining life as Max-Age', async () => {
    const username = uniqueUsername();
    await ctx.app.auth.register({ username, password: PASSWORD });

    const response = await login(proxyEvent({ headers: COOKIE_MODE, body: { username, password: PASSWORD } }));

    const ages = (response.multiValueHeaders?.['Set-Cookie'] ?? []).map((line) => parseSetCookie(line).maxAge);
    expect(ages).toEqual([IDLE, IDLE]);
  });
});

describe('refresh in cookie mode', () => {
  it('rotates the cookie: the new token is in the cookies, the session holds its hash', async () => {
    const { jar, sid } = await loggedIn();

    const response = await refresh(withJar(jar));

    expect(response.statusCode).toBe(200);
    expect(bodyOf(response)).not.toHaveProperty('refresh_token');
    const next = jarOf(response);
    expect(next[REFRESH_COOKIES.refresh.name]).not.toBe(jar[REFRESH_COOKIES.refresh.name]);
    expect(await ctx.dynamo.read('SessionsTable', { id: sid })).toMatchObject({
      tokenHash: sha256(next[REFRESH_COOKIES.refresh.name]!),
      previousHash: sha256(jar[REFRESH_COOKIES.refresh.name]!),
    });
  });

  it('keeps reuse detection: an old cookie after the grace window ends the session', async () => {
    const { jar, sid } = await loggedIn();
    const newer = jarOf(await refresh(withJar(jar)));
    ctx.app.clock.advance(GRACE + 1);

    const replayed = await refresh(withJar(jar));

    expect(replayed.statusCode).toBe(400);
    expect(bodyOf(replayed).error).toBe('invalid_grant');
    expect(await ctx.dynamo.read('SessionsTable', { id: sid })).toBeUndefined();
    expect((await refresh(withJar(newer))).statusCode).toBe(400);
  });

  it('without a cookie: 400 invalid_grant (log in again)', async () => {
    const response = await refresh(withJar({}));

    expect(response.statusCode).toBe(400);
    expect(bodyOf(response)).toMatchObject({ error: 'invalid_grant' });
  });

  it('refuses a refresh token in the body as well: 400 invalid_request, and the cookie is not spent', async () => {
    const { jar, sid } = await loggedIn();
    const before = await ctx.dynamo.read('SessionsTable', { id: sid });

    const response = await refresh(withJar(jar, { refresh_token: jar[REFRESH_COOKIES.refresh.name] }));

    expect(response.statusCode).toBe(400);
    expect(bodyOf(response).error).toBe('invalid_request');
    expect(await ctx.dynamo.read('SessionsTable', { id: sid })).toEqual(before);
  });

  it('reads no cookie without the header (a cross-site form cannot send it): the cookie is not spent', async () => {
    const { jar, sid } = await loggedIn();
    const before = await ctx.dynamo.read('SessionsTable', { id: sid });

    const forged = await refresh(withJar(jar, {}, { 'Content-Type': 'application/json' }));

    expect(forged.statusCode).toBe(400);
    expect(bodyOf(forged)).toMatchObject({ error: 'invalid_request' });
    expect(forged.multiValueHeaders).toBeUndefined();
    expect(await ctx.dynamo.read('SessionsTable', { id: sid })).toEqual(before);
  });

  it('uses the refresh path\'s cookie only: the logout cookie alone does not refresh', async () => {
    const { jar } = await loggedIn();

    const response = await refresh(withJar({ [REFRESH_COOKIES.logout.name]: jar[REFRESH_COOKIES.logout.name]! }));

    expect(response.statusCode).toBe(400);
    expect(bodyOf(response).error).toBe('invalid_grant');
  });

  it('twenty parallel refreshes with one cookie get one successor (as with bodies)', async () => {
    const { jar } = await loggedIn();

    const answers = await Promise.all(Array.from({ length: 20 }, () => refresh(withJar(jar))));

    expect(answers.map((answer) => answer.statusCode)).toEqual(Array(20).fill(200));
    expect(new Set(answers.map((answer) => jarOf(answer)[REFRESH_COOKIES.refresh.name])).size).toBe(1);
  });
});

describe('logout in cookie mode', () => {
  it('ends the cookie\'s session and clears both cookies', async () => {
    const { jar, sid } = await loggedIn();

    const response = await logout(withJar(jar));

    expect(response.statusCode).toBe(204);
    expect(await ctx.dynamo.read('SessionsTable', { id: sid })).toBeUndefined();
    expect(jarOf(response)).toEqual({ [REFRESH_COOKIES.refresh.name]: '', [REFRESH_COOKIES.logout.name]: '' });
    expect((response.multiValueHeaders?.['Set-Cookie'] ?? []).map((line) => parseSetCookie(line).maxAge)).toEqual([0, 0]);
  });

  it('clears the cookies even with no cookie or an unknown one (204, RFC 7009 §2.2)', async () => {
    const answers = await Promise.all([logout(withJar({})), logout(withJar({ [REFRESH_COOKIES.logout.name]: 'not-a-token' }))]);

    expect(answers.map((answer) => [answer.statusCode, Object.keys(jarOf(answer)).length])).toEqual([[204, 2], [204, 2]]);
  });

  it('logout everywhere with the access token clears the cookies too', async () => {
    const username = uniqueUsername();
    await ctx.app.auth.register({ username, password: PASSWORD });
    const signedIn = await login(proxyEvent({ headers: COOKIE_MODE, body: { username, password: PASSWORD } }));
    const accessToken = bodyOf(signedIn).access_token as string;

    const response = await logout(proxyEvent({ headers: { ...COOKIE_MODE, Authorization: `Bearer ${accessToken}` }, body: { all: true } }));

    expect(response.statusCode).toBe(204);
    expect(Object.values(jarOf(response))).toEqual(['', '']);
    expect((await refresh(withJar(jarOf(signedIn)))).statusCode).toBe(400);
  });

  it('leaves the body mode alone: no Set-Cookie without the header', async () => {
    const issued = await ctx.app.auth.register({ username: uniqueUsername(), password: PASSWORD });

    const response = await logout(proxyEvent({ body: { refresh_token: issued.refreshToken } }));

    expect(response.statusCode).toBe(204);
    expect(response.multiValueHeaders).toBeUndefined();
    expect(parseCookie(String(response.headers['Set-Cookie'] ?? ''))).toEqual({});
  });
});
