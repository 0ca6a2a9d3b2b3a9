import { AuthError } from '../../client/src/index';
import { injectFault, sdkErrors } from '../support/dynalite';
import { sha256, withTestApp } from '../support/app';
import {
  ACCESS_TTL,
  authorizerWithoutTheSigningKey,
  expireTokensUnseen,
  gatedLocks,
  harness,
  SERVER_ENV,
  settle,
  signedIn,
  storedRefreshToken,
  streamOf,
  type Harness,
} from './harness';

const ctx = withTestApp(SERVER_ENV);
afterEach(() => jest.restoreAllMocks());

/** The user signs out everywhere from another device: every session of theirs ends on the server. */
async function signedOutEverywhere(h: Harness): Promise<void> {
  const laptop = h.another({ storage: undefined, onSessionEnd: undefined, onRefresh: undefined });
  await laptop.login(h.user);
  await laptop.logoutAll();
}

describe('proactive refresh', () => {
  test('refreshes once the access token is within refreshSkew of its expiry, not a millisecond before', async () => {
    const h = await signedIn(harness(ctx)); // 300 s tokens, 30 s skew
    const start = h.clock.now();

    // The expiry is judged a second early: iat is rounded down to the second, so the token may have been
    // issued up to a second after it says.
    h.clock.advance(268.999);
    await h.client.me();
    expect(h.api.calls('/auth/refresh')).toHaveLength(0);

    h.clock.advance(0.001);
    await h.client.me();
    expect(h.api.calls('/auth/refresh')).toHaveLength(1);
    expect(h.refreshed).toEqual([{ cause: 'proactive', expiresAt: start + 269_000 + (ACCESS_TTL - 1) * 1000 }]);
  });

  test('a token shorter-lived than twice the skew is refreshed at half its lifetime, not on every call', async () => {
    const h = await signedIn(harness(ctx, { client: { refreshSkew: 200 } })); // 300 s tokens

    h.clock.advance(149.499); // half of the 299 s it is sure of
    await h.client.me();
    await h.client.me();
    expect(h.api.calls('/auth/refresh')).toHaveLength(0);

    h.clock.advance(0.001);
    await h.client.me();
    await h.client.me();
    expect(h.api.calls('/auth/refresh')).toHaveLength(1);
  });

  test.each([
    ['ahead of', 600_000],
    ['behind', -600_000],
  ])('a device clock 10 minutes %s the server refreshes once per token lifetime, never per call, never too late', async (_, deviceOffset) => {
    const h = await signedIn(harness(ctx, { deviceOffset }));

    for (let second = 0; second < 900; second += 30) {
      await h.client.me();
      h.clock.advance(30);
    }

    // 300 s tokens refreshed 30 s early: at 270, 540 and 810 s. Uncorrected, a clock 10 minutes ahead would
    // refresh on every call, and one 10 minutes behind would wait for the server's 401s.
    expect(h.api.calls('/auth/refresh')).toHaveLength(3);
    expect(h.refreshed.map((event) => event.cause)).toEqual(['proactive', 'proactive', 'proactive']);
    expect(h.api.calls('/me').map((call) => call.status)).toEqual(Array(30).fill(200)); // no 401, no retry
  });
});

describe('reactive refresh', () => {
  test('a 401 invalid_token makes one refresh and one retry with the new token', async () => {
    const h = await signedIn(harness(ctx));
    expireTokensUnseen(h);

    const me = await h.client.me();

    expect(me).toMatchObject({ username: h.user.username });
    const calls = h.api.calls('/me');
    expect(calls.map((call) => call.status)).toEqual([401, 200]);
    expect(calls[1]?.headers.get('authorization')).not.toBe(calls[0]?.headers.get('authorization'));
    expect(h.api.calls('/auth/refresh')).toHaveLength(1);
    expect(h.refreshed.map((event) => event.cause)).toEqual(['reactive']);
  });

  test('a 401 after a successful refresh ends the session: no second retry, onSessionEnd once, later calls refused', async () => {
    const h = await signedIn(harness(ctx, { authorizer: await authorizerWithoutTheSigningKey(ctx) }));

    await expect(h.client.me()).rejects.toMatchObject({ code: 'invalid_token', status: 401, message: 'The access token is signed by an unknown key.' });

    expect(h.api.calls('/me')).toHaveLength(2);
    expect(h.api.calls('/auth/refresh').map((call) => call.status)).toEqual([200]);
    expect(h.ended).toEqual(['rejected']);
    expect(h.storage.items.size).toBe(0);
    const requests = h.api.requests.length;
    await expect(h.client.me()).rejects.toMatchObject({ code: 'no_session' });
    expect(h.api.requests).toHaveLength(requests);
    expect(h.ended).toEqual(['rejected']);
  });

  test('ten concurrent requests refused again after the refresh end the session once, with at most one retry each', async () => {
    const h = await signedIn(harness(ctx, { authorizer: await authorizerWithoutTheSigningKey(ctx) }));

    const results = await Promise.allSettled(Array.from({ length: 10 }, () => h.client.me()));

    expect(results.every((result) => result.status === 'rejected' && result.reason instanceof AuthError)).toBe(true);
    expect(h.api.calls('/me').length).toBeLessThanOrEqual(20);
    expect(h.api.calls('/auth/refresh')).toHaveLength(1);
    expect(h.ended).toEqual(['rejected']);
    expect(h.storage.items.size).toBe(0);
  });

  test('a request with a stream body is not sent twice; the token is renewed for the next request', async () => {
    const h = await signedIn(harness(ctx));
    const change = { password: h.user.password, new_password: 'a brand new battery staple' };
    const init = { method: 'POST', headers: { 'content-type': 'application/json' } };
    expireTokensUnseen(h);

    const response = await h.client.fetch('/auth/password', { ...init, body: streamOf(JSON.stringify(change)), duplex: 'half' });

    expect(response.status).toBe(401);
    expect(h.api.calls('/auth/password')).toHaveLength(1);
    expect(h.api.calls('/auth/refresh')).toHaveLength(1);
    expect((await h.client.fetch('/auth/password', { ...init, body: JSON.stringify(change) })).status).toBe(204);
    expect(h.api.calls('/auth/refresh')).toHaveLength(1);
  });

  test('a request with a string body is sent again, body and headers intact', async () => {
    const h = await signedIn(harness(ctx));
    const change = { password: h.user.password, new_password: 'a brand new battery staple' };
    expireTokensUnseen(h);

    const response = await h.client.fetch('/auth/password', { method: 'POST', body: JSON.stringify(change), headers: { 'content-type': 'application/json' } });

    // The handler answers 204 only to the JSON body it needs, sent as application/json.
    expect(response.status).toBe(204);
    const calls = h.api.calls('/auth/password');
    expect(calls.map((call) => [call.status, call.body])).toEqual([[401, change], [204, change]]);
    expect(calls[1]?.headers.get('content-type')).toBe('application/json');
  });
});

describe('single flight', () => {
  test('100 concurrent calls that need a refresh make exactly one refresh request', async () => {
    const h = await signedIn(harness(ctx));
    h.clock.advance(ACCESS_TTL - 20);

    const results = await Promise.all(Array.from({ length: 100 }, () => h.client.me()));

    expect(results.every((me) => me.username === h.user.username)).toBe(true);
    expect(h.api.calls('/auth/refresh')).toHaveLength(1);
    expect(new Set(h.api.calls('/me').map((call) => call.headers.get('authorization'))).size).toBe(1);
  });

  test('100 concurrent requests refused with 401 share one refresh, and each is retried once', async () => {
    const h = await signedIn(harness(ctx));
    expireTokensUnseen(h);

    const results = await Promise.all(Array.from({ length: 100 }, () => h.client.me()));

    expect(results.every((me) => me.username === h.user.username)).toBe(true);
    expect(h.api.calls('/auth/refresh')).toHaveLength(1);
    expect(h.api.calls('/me')).toHaveLength(200);
  });

  test('a caller whose fresh token was refused never gets that token back from a flight started for an older one', async () => {
    const locks = gatedLocks();
    const h = await signedIn(harness(ctx, { client: { locks } }));
    const release = h.api.holdNext('/auth/password');
    // Sent with the first token and answered late; a stream body, so that it is not retried.
    const late = h.client.fetch('/auth/password', { method: 'POST', body: streamOf('{}'), duplex: 'half' });
    h.clock.advance(ACCESS_TTL - 20);
    const second = await h.client.accessToken();
    expireTokensUnseen(h); // the first and the second token
    locks.close();
    release(); // the late 401 starts a flight for the first token, held at the lock
    while (locks.requests < 2) await settle();

    const me = h.client.me(); // sent with the second token, refused, joins that flight
    while (h.api.calls('/me')[0]?.status === undefined) await settle();
    await settle();
    locks.open();

    await expect(me).resolves.toMatchObject({ username: h.user.username });
    expect((await late).status).toBe(401);
    const retry = h.api.calls('/me')[1];
    expect(retry?.headers.get('authorization')).not.toBe(`Bearer ${second}`);
    expect(h.api.calls('/auth/refresh')).toHaveLength(2);
    expect(h.ended).toEqual([]);
  });
});

describe('lost responses and server faults', () => {
  test('a refresh whose response was lost keeps the refresh token; the next call gets the same successor, no login', async () => {
    const h = await signedIn(harness(ctx));
    const original = storedRefreshToken(h) ?? '';
    h.clock.advance(ACCESS_TTL);
    h.api.loseNextResponse('/auth/refresh');

    await expect(h.client.me()).rejects.toThrow(TypeError);
    expect(storedRefreshToken(h)).toBe(original);

    await expect(h.client.me()).resolves.toMatchObject({ username: h.user.username });
    expect(h.api.calls('/auth/refresh').map((call) => call.body)).toEqual([{ refresh_token: original }, { refresh_token: original }]);
    // The server rotated once, at the lost request; the retry inside the grace window got that successor.
    const successor = storedRefreshToken(h) ?? '';
    expect(successor).not.toBe(original);
    expect(await h.session(successor)).toMatchObject({ tokenHash: sha256(successor), previousHash: sha256(original) });
    expect(h.api.calls('/auth/login')).toHaveLength(0);
    expect(h.ended).toEqual([]);
  });

  test('inside the skew window a failed refresh falls back to the token that still works, and retries next time', async () => {
    const h = await signedIn(harness(ctx));
    h.clock.advance(ACCESS_TTL - 20); // 20 s left
    h.api.loseNextResponse('/auth/refresh');

    await expect(h.client.me()).resolves.toMatchObject({ username: h.user.username });
    await expect(h.client.me()).resolves.toMatchObject({ username: h.user.username });

    expect(h.api.calls('/auth/refresh')).toHaveLength(2);
    expect(h.refreshed).toHaveLength(1);
  });

  test('a 503 on refresh reports temporarily_unavailable with Retry-After and keeps the session', async () => {
    const h = await signedIn(harness(ctx));
    const original = storedRefreshToken(h);
    h.clock.advance(ACCESS_TTL);
    injectFault(ctx.dynamo.doc, { operation: 'UpdateItem', table: ctx.dynamo.tables.SessionsTable, error: sdkErrors.throttling, times: 1 });

    await expect(h.client.me()).rejects.toMatchObject({ code: 'temporarily_unavailable', status: 503, retryAfter: 1 });

    expect(storedRefreshToken(h)).toBe(original);
    expect(h.ended).toEqual([]);
    await expect(h.client.me()).resolves.toMatchObject({ username: h.user.username });
  });
});

describe('a login during a refresh', () => {
  test('wins: the refresh that began under the old session is ignored, success or not', async () => {
    const h = await signedIn(harness(ctx));
    h.clock.advance(ACCESS_TTL);
    const release = h.api.holdNext('/auth/refresh');
    const refreshing = h.client.accessToken(); // the old session's refresh, held on its way
    while (h.api.requests.length === 0 || h.api.requests.at(-1)?.path !== '/auth/refresh') await settle();

    await h.client.login(h.user); // a new session while the refresh is out
    const loggedIn = storedRefreshToken(h);
    const fresh = await h.client.accessToken();
    release();
    const fromRefresh = await refreshing;

    expect(fromRefresh).toBe(fresh); // the login's token, not the refresh's
    expect(storedRefreshToken(h)).toBe(loggedIn);
    expect(h.ended).toEqual([]);
  });
});

describe('session over', () => {
  test('invalid_grant on refresh clears the tokens and fires onSessionEnd once, for any number of callers', async () => {
    const h = await signedIn(harness(ctx));
    await signedOutEverywhere(h);
    h.clock.advance(ACCESS_TTL);

    const results = await Promise.allSettled(Array.from({ length: 20 }, () => h.client.me()));

    expect(results.map((result) => result.status === 'rejected' && (result.reason as AuthError).code)).toEqual(Array(20).fill('invalid_grant'));
    expect(h.api.calls('/auth/refresh')).toHaveLength(1);
    expect(h.ended).toEqual(['rejected']);
    expect(h.storage.items.size).toBe(0);
    const requests = h.api.requests.length;
    await expect(h.client.accessToken()).rejects.toMatchObject({ code: 'no_session', message: expect.stringContaining('login()') });
    await expect(h.client.sessions()).rejects.toBeInstanceOf(AuthError);
    expect(h.api.requests).toHaveLength(requests);
    expect(h.ended).toEqual(['rejected']);
  });

  test('a login after the end starts over, and the next end is reported again', async () => {
    const h = await signedIn(harness(ctx));
    await signedOutEverywhere(h);
    h.clock.advance(ACCESS_TTL);
    await expect(h.client.me()).rejects.toMatchObject({ code: 'invalid_grant' });

    await h.client.login(h.user);
    await expect(h.client.me()).resolves.toMatchObject({ username: h.user.username });
    await h.client.logout();

    expect(h.ended).toEqual(['rejected', 'logout']);
  });
});
