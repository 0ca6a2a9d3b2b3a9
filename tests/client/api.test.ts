import { AuthError, decodeUnverifiedClaims } from '../../client/src/index';
import { withTestApp } from '../support/app';
import { BASE_URL, expireTokensUnseen, harness, SERVER_ENV, signedIn, storedRefreshToken } from './harness';

const ctx = withTestApp(SERVER_ENV);

const segment = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('account calls', () => {
  test('sessions lists the user\'s sessions; endSession ends another one by id', async () => {
    const h = await signedIn(harness(ctx));
    const laptop = h.another({ storage: undefined });
    await laptop.login(h.user);

    const before = await h.client.sessions();
    const other = before.find((session) => !session.current);
    await h.client.endSession(other?.id ?? '');

    expect(before.map((session) => session.current).sort()).toEqual([false, true]);
    expect(h.api.calls(`/sessions/${other?.id}`, 'DELETE').map((call) => call.status)).toEqual([204]);
    expect(await h.client.sessions()).toHaveLength(1);
  });

  test('logoutAll asks the server with the access token, then ends the session here', async () => {
    const h = await signedIn(harness(ctx));
    const { sub } = decodeUnverifiedClaims(await h.client.accessToken()) as { sub: string };

    await h.client.logoutAll();

    const [request] = h.api.calls('/auth/logout');
    expect(request?.body).toEqual({ all: true });
    expect(request?.headers.get('authorization')).toMatch(/^Bearer /);
    expect(request?.status).toBe(204);
    expect(await ctx.dynamo.scan('SessionsTable', sub)).toEqual([]);
    expect(h.storage.items.size).toBe(0);
    expect(h.ended).toEqual(['logout']);
  });

  test('logout presents the refresh token, clears storage and reports the end once; without a session it does nothing', async () => {
    const h = await signedIn(harness(ctx));
    const refreshToken = storedRefreshToken(h) ?? '';

    await h.client.logout();
    await h.client.logout();

    expect(h.api.calls('/auth/logout').map((request) => request.body)).toEqual([{ refresh_token: refreshToken }]);
    expect(await h.session(refreshToken)).toBeUndefined();
    expect(h.ended).toEqual(['logout']);
  });

  test('logout clears this device even when the server cannot be reached, and says so', async () => {
    const h = await signedIn(harness(ctx));
    const refreshToken = storedRefreshToken(h) ?? '';
    h.api.loseNextResponse('/auth/logout');

    await expect(h.client.logout()).rejects.toThrow(TypeError);

    expect(h.storage.items.size).toBe(0);
    expect(h.ended).toEqual(['logout']);
    await expect(h.client.me()).rejects.toMatchObject({ code: 'no_session' });
    expect(await h.session(refreshToken)).toBeUndefined(); // the server did end it
  });

  test('a wrong password is an AuthError with the server\'s code and text, and starts nothing', async () => {
    const h = await signedIn(harness(ctx));
    await h.client.logout();

    const failure = h.client.login({ username: h.user.username, password: 'not the right one' });

    await expect(failure).rejects.toBeInstanceOf(AuthError);
    await expect(failure).rejects.toMatchObject({ code: 'invalid_grant', status: 400, message: 'The username or password is incorrect.' });
    expect(h.storage.items.size).toBe(0);
  });
});

describe('fetch', () => {
  test('adds the Bearer token to relative paths, absolute URLs and Request objects, and retries a bodiless Request', async () => {
    const h = await signedIn(harness(ctx));
    const token = await h.client.accessToken();

    await h.client.fetch('/me');
    await h.client.fetch(new URL('/me', BASE_URL));
    expireTokensUnseen(h);
    const response = await h.client.fetch(new Request(`${BASE_URL}/me`, { headers: { accept: 'application/json' } }));

    expect(response.status).toBe(200);
    const calls = h.api.calls('/me');
    expect(calls.slice(0, 3).map((call) => call.headers.get('authorization'))).toEqual(Array(3).fill(`Bearer ${token}`));
    expect(calls.map((call) => call.status)).toEqual([200, 200, 401, 200]);
    expect(calls[3]?.headers.get('accept')).toBe('application/json');
  });

  test('a 403 is the caller\'s to read: no refresh, no retry', async () => {
    const h = await signedIn(harness(ctx));
    await h.client.login({ ...h.user, scope: 'profile' });

    const response = await h.client.fetch('/sessions');

    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ error: 'insufficient_scope' });
    expect(h.api.calls('/sessions')).toHaveLength(1);
    expect(h.api.calls('/auth/refresh')).toHaveLength(0);
  });
});

describe('decodeUnverifiedClaims', () => {
  test('reads UTF-8 claims (and a literal %) from the payload', () => {
    const claims = { sub: 'u-1', name: 'Zoë 100% ✓ 🔑', exp: 1, iat: 0 };

    expect(decodeUnverifiedClaims(`${segment({ alg: 'ES256' })}.${segment(claims)}.sig`)).toEqual(claims);
  });

  test.each([['not-a-jwt'], ['a.b+c.d'], [`x.${segment([1, 2])}.y`], [`x.${Buffer.from('{"a":').toString('base64url')}.y`]])(
    'gives null for %s',
    (token) => {
      expect(decodeUnverifiedClaims(token)).toBeNull();
    },
  );
});
