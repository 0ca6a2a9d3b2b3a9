import { AuthError, createAuthClient, localStorageAdapter, type StorageAdapter } from '../../client/src/index';
import { sha256, withTestApp } from '../support/app';
import { ACCESS_TTL, BASE_URL, harness, SERVER_ENV, signedIn, storedRefreshToken } from './harness';

/** What cookie mode keeps in storage: that there is a session, and which issuance stored it. */
const sessionFlag = { session: true, id: expect.any(String), at: expect.any(Number) };

const ctx = withTestApp(SERVER_ENV);

const REFRESH_TOKEN = /^[A-Za-z0-9_-]{86}$/;

describe('header mode', () => {
  test('the refresh token travels in JSON bodies and rotates in storage; no access token ever goes to storage', async () => {
    const h = harness(ctx, { client: { clientId: 'web' } });
    await h.client.register({ ...h.user, email: 'ada@example.com' });
    const first = storedRefreshToken(h);
    h.clock.advance(ACCESS_TTL - 20);

    await h.client.accessToken();

    const [register, refresh] = h.api.requests;
    expect(register?.body).toEqual({ ...h.user, email: 'ada@example.com', client_id: 'web' });
    expect(refresh?.body).toEqual({ refresh_token: first, client_id: 'web' });
    expect(refresh?.headers.get('refresh-token-transport')).toBeNull();
    expect(refresh?.credentials).not.toBe('include');
    const rotated = storedRefreshToken(h) ?? '';
    expect(rotated).not.toBe(first);
    expect(await h.session(rotated)).toMatchObject({ tokenHash: sha256(rotated), clientId: 'web' });
    expect(h.storage.written).toHaveLength(2);
    expect(h.storage.written.join('\n')).not.toMatch(/eyJ/); // the start of every JWT
  });
});

describe('cookie mode', () => {
  test('token requests carry the transport header and credentials; the refresh token lives in HttpOnly cookies only', async () => {
    const h = harness(ctx, { client: { mode: 'cookie', clientId: 'web' } });
    await h.client.register(h.user);
    const first = h.api.cookies();
    h.clock.advance(ACCESS_TTL - 20);
    await h.client.me();
    const rotated = h.api.cookies()[0]?.value ?? '';

    await h.client.logout();

    // One cookie for each path that reads the token, so that it reaches no other route.
    const token = first[0]?.value ?? '';
    expect(token).toMatch(REFRESH_TOKEN);
    expect(first).toEqual([
      { name: 'jwt_auth_refresh', value: token, path: '/auth/refresh', httpOnly: true },
      { name: 'jwt_auth_logout', value: token, path: '/auth/logout', httpOnly: true },
    ]);
    const tokenRequests = h.api.requests.filter((request) => request.path.startsWith('/auth/'));
    expect(tokenRequests.map((request) => request.path)).toEqual(['/auth/register', '/auth/refresh', '/auth/logout']);
    for (const request of tokenRequests) {
      expect(request.headers.get('refresh-token-transport')).toBe('cookie');
      expect(request.credentials).toBe('include');
    }
    const [, refresh, logout] = tokenRequests;
    expect(refresh?.body).toEqual({ client_id: 'web' });
    expect(refresh?.headers.get('cookie')).toBe(`jwt_auth_refresh=${token}`);
    expect(logout?.body).toEqual({});
    expect(logout?.headers.get('cookie')).toBe(`jwt_auth_logout=${rotated}`);
    expect(rotated).not.toBe(token);
    expect(await h.session(rotated)).toBeUndefined();
    expect(h.api.cookies()).toEqual([]);
    // A flag (and the issuance's id and time, for the other tabs), never a token.
    expect(h.storage.written.map((value) => JSON.parse(value))).toEqual([sessionFlag, sessionFlag]);
    expect(h.storage.items.size).toBe(0);
    const [me] = h.api.calls('/me');
    expect(me?.headers.get('refresh-token-transport')).toBeNull();
    expect(me?.headers.get('cookie')).toBeNull();
  });

  test('a refresh token in a response body is ignored in cookie mode', async () => {
    const h = harness(ctx, { client: { mode: 'cookie' } });
    // What the API answers when something on the way drops Refresh-Token-Transport: the body mode's answer.
    const bodyMode = await h.api.fetch(`${BASE_URL}/auth/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(h.user) });
    expect(bodyMode.status).toBe(201);
    h.api.answerNext('/auth/login', bodyMode);

    await h.client.login(h.user);

    expect(h.storage.written.map((value) => JSON.parse(value))).toEqual([sessionFlag]);
  });

  test('a restarted app finds the session flag and restores the session from the cookie', async () => {
    const h = harness(ctx, { client: { mode: 'cookie' } });
    await h.client.register(h.user);

    const restarted = h.another();

    await expect(restarted.me()).resolves.toMatchObject({ username: h.user.username });
    expect(h.api.calls('/auth/refresh').map((call) => call.status)).toEqual([200]);
  });
});

describe('storage adapters', () => {
  test('localStorageAdapter keeps the refresh token across a reload, under the chosen key', async () => {
    const items = new Map<string, string>();
    const webStorage = {
      getItem: (key: string) => items.get(key) ?? null,
      setItem: (key: string, value: string) => void items.set(key, value),
      removeItem: (key: string) => void items.delete(key),
    };
    const h = await signedIn(harness(ctx, { client: { storage: localStorageAdapter(webStorage), storageKey: 'app' } }));
    expect(JSON.parse(items.get('app') ?? 'null')).toEqual({ refresh_token: expect.stringMatching(REFRESH_TOKEN), id: expect.any(String), at: expect.any(Number) });

    const reloaded = h.another();

    await expect(reloaded.me()).resolves.toMatchObject({ username: h.user.username });
    expect(h.api.calls('/auth/refresh')).toHaveLength(1);
    await reloaded.logout();
    expect(items.size).toBe(0);
  });

  test('an asynchronous adapter (the shape of Keychain or Keystore wrappers) round-trips the same way', async () => {
    const items = new Map<string, string>();
    const secure: StorageAdapter = {
      get: async (key) => items.get(key) ?? null,
      set: async (key, value) => void items.set(key, value),
      remove: async (key) => void items.delete(key),
    };
    const h = await signedIn(harness(ctx, { client: { storage: secure } }));
    const first = (JSON.parse(items.get('jwt-auth') ?? '{}') as { refresh_token: string }).refresh_token;

    const restarted = h.another();

    await expect(restarted.me()).resolves.toMatchObject({ username: h.user.username });
    const rotated = (JSON.parse(items.get('jwt-auth') ?? '{}') as { refresh_token: string }).refresh_token;
    expect(h.api.calls('/auth/refresh').map((call) => call.body)).toEqual([{ refresh_token: first }]);
    expect(await h.session(rotated)).toMatchObject({ tokenHash: sha256(rotated), previousHash: sha256(first) });
  });

  test('the default memory storage dies with the client', async () => {
    const h = await signedIn(harness(ctx, { client: { storage: undefined } }));

    const restarted = createAuthClient({ baseUrl: BASE_URL, fetch: h.api.fetch, locks: null, BroadcastChannel: null });

    await expect(restarted.me()).rejects.toMatchObject({ code: 'no_session' });
    await expect(h.client.me()).resolves.toMatchObject({ username: h.user.username });
    expect(h.api.calls('/auth/refresh')).toHaveLength(0);
  });

  test('localStorageAdapter where there is no localStorage says so', () => {
    expect(() => localStorageAdapter()).toThrow(AuthError);
  });
});
