/**
 * The client library (client/src) against the real local server with access tokens of 2 s
 * (`serverless offline`, as `npm start` runs it): single flight under load, a lost refresh response, and
 * a device clock ten minutes off. The library's rules are proved with a fake clock in tests/client; this
 * shows them on the wire, where only real time passes. The client's `fetch` is the real one, observed (and
 * once made to lose a response after the server answered, the one fault a real server cannot make).
 */
import { createAuthClient, type AuthClientOptions, type RefreshEvent } from '../../client/src/index';
import { sleep } from '../support/offline';
import { sharedServer, type SharedServer } from '../support/shared-servers';
import { PASSWORD, uniqueName } from './support';

let server: SharedServer;
beforeAll(async () => {
  server = await sharedServer('short');
}, 130_000);

const TTL_MS = 2000;

/** A client on the real `fetch` that counts its refresh requests and can lose the answer to the next one. */
function observedClient(options: Partial<AuthClientOptions> = {}) {
  const refreshes: RefreshEvent[] = [];
  const seen = { refreshRequests: 0, loseNextRefresh: false, inFlight: 0, mostInFlight: 0, starts: [] as number[] };
  const client = createAuthClient({
    baseUrl: server.baseUrl,
    locks: null,
    BroadcastChannel: null,
    onRefresh: (event) => refreshes.push(event),
    fetch: async (input, init) => {
      const isRefresh = String(input).endsWith('/auth/refresh');
      if (isRefresh) {
        seen.refreshRequests += 1;
        seen.starts.push(Date.now());
        seen.inFlight += 1;
        seen.mostInFlight = Math.max(seen.mostInFlight, seen.inFlight);
      }
      const response = await fetch(input, init).finally(() => {
        if (isRefresh) seen.inFlight -= 1;
      });
      if (isRefresh && seen.loseNextRefresh) {
        seen.loseNextRefresh = false;
        await response.arrayBuffer(); // the server rotated; the app never hears of it
        throw new TypeError('fetch failed: the connection dropped');
      }
      return response;
    },
    ...options,
  });
  return { client, refreshes, seen };
}

test('100 concurrent calls across an expiry share one refresh per expiry, and all 100 succeed', async () => {
  const { client, seen } = observedClient();
  await client.register({ username: uniqueName('flight'), password: PASSWORD });
  await sleep(TTL_MS + 100); // the access token has expired

  const answers = await Promise.all(Array.from({ length: 100 }, () => client.fetch('/me')));

  expect(answers.map((answer) => answer.status)).toEqual(Array(100).fill(200));
  // One refresh for the expiry. A slow machine may take longer than the new token's known-good life to serve
  // 100 calls, and then one more refresh is right; what must never happen is two at once, or one early. The
  // client counts a token good until 1 s short of its lifetime after the refresh was sent (iat is rounded
  // down), and renews a token that short-lived halfway from its arrival to then: so never sooner than
  // (2 s - 1 s) / 2 after the previous refresh started, however long the server took to answer.
  expect(seen.refreshRequests).toBeGreaterThanOrEqual(1);
  expect(seen.mostInFlight).toBe(1);
  for (let i = 1; i < seen.starts.length; i += 1) {
    expect(seen.starts[i]! - seen.starts[i - 1]!).toBeGreaterThanOrEqual((TTL_MS - 1000) / 2 - 20);
  }
});

test('a refresh whose response was lost recovers on the next call through the grace window, with no new login', async () => {
  const { client, seen } = observedClient();
  const username = uniqueName('dropped');
  await client.register({ username, password: PASSWORD });
  await sleep(TTL_MS + 100);
  seen.loseNextRefresh = true;

  const lost = await client.fetch('/me').then(
    () => 'answered',
    (error: Error) => error.message,
  );
  const next = await client.fetch('/me');

  expect(lost).toMatch(/connection dropped/);
  expect(next.status).toBe(200);
  expect(((await next.json()) as { username: string }).username).toBe(username);
  expect(seen.refreshRequests).toBe(2); // the lost one, and its retry with the same token, inside the 2 s grace
});

test('a device clock ten minutes fast or slow refreshes once per token, ahead of its expiry, as often as a right one', async () => {
  const offsets = { fast: 10 * 60_000, slow: -10 * 60_000, right: 0 };
  const devices = await Promise.all(
    Object.entries(offsets).map(async ([name, offset]) => {
      const { client, refreshes } = observedClient({ now: () => Date.now() + offset });
      await client.register({ username: uniqueName(`clock-${name}`), password: PASSWORD });
      return { name, client, refreshes, statuses: [] as number[] };
    }),
  );
  const until = Date.now() + 2.5 * TTL_MS;

  // The three devices side by side, a call every 100 ms each, for two and a half token lifetimes.
  await Promise.all(
    devices.map(async (device) => {
      while (Date.now() < until) {
        device.statuses.push((await device.client.fetch('/me')).status);
        await sleep(100);
      }
    }),
  );

  const right = devices.find((device) => device.name === 'right')!;
  for (const device of devices) {
    expect({ device: device.name, refused: device.statuses.filter((status) => status !== 200) }).toEqual({ device: device.name, refused: [] });
    // Every renewal ahead of time (none after a 401), once per token: a clock judged naively would renew on
    // every call (fast) or only after refusals (slow).
    expect(device.refreshes.map((event) => event.cause)).toEqual(device.refreshes.map(() => 'proactive'));
    expect(device.refreshes.length).toBeGreaterThanOrEqual(2);
    expect(device.refreshes.length).toBeLessThan(device.statuses.length / 3);
    expect(Math.abs(device.refreshes.length - right.refreshes.length)).toBeLessThanOrEqual(2);
  }
});
