import type { BroadcastChannelConstructor, SessionEndReason } from '../../client/src/index';
import { sha256, withTestApp } from '../support/app';
import { ACCESS_TTL, fakeBroadcastChannel, fakeLocks, harness, SERVER_ENV, storedRefreshToken } from './harness';

const ctx = withTestApp(SERVER_ENV);

/** Two clients on one device: one storage, one API, and (unless turned off) one lock manager and channel. */
function twoTabs({ locks = true, broadcast = true as boolean | 'node' } = {}) {
  // Node's own channel delivers on a later task, as browsers do; the fake one on a microtask.
  const channel = broadcast === 'node' ? (globalThis.BroadcastChannel as unknown as BroadcastChannelConstructor) : broadcast ? fakeBroadcastChannel() : null;
  // (A real channel is process-wide by name: its tabs get a storage key, and so a channel name, of their own.)
  const storageKey = broadcast === 'node' ? `tabs-${Math.random()}` : undefined;
  const h = harness(ctx, { client: { locks: locks ? fakeLocks() : null, BroadcastChannel: channel, storageKey } });
  const secondEnded: SessionEndReason[] = [];
  const second = h.another({ onSessionEnd: (reason) => secondEnded.push(reason), onRefresh: () => undefined });
  return { ...h, first: h.client, second, secondEnded };
}

/** The refresh tokens the refresh requests presented, in order. */
const presented = (tabs: ReturnType<typeof twoTabs>) =>
  tabs.api.calls('/auth/refresh').map((call) => (call.body as { refresh_token: string }).refresh_token);

describe('two tabs', () => {
  test('with locks and a broadcast that arrives before the lock is granted, two tabs that both need a refresh make one refresh and share its token', async () => {
    const tabs = twoTabs();
    await tabs.first.register(tabs.user);
    tabs.clock.advance(ACCESS_TTL - 20);

    const [first, second] = await Promise.all([tabs.first.accessToken(), tabs.second.accessToken()]);

    expect(tabs.api.calls('/auth/refresh')).toHaveLength(1);
    expect(second).toBe(first);
    await expect(tabs.second.me()).resolves.toMatchObject({ username: tabs.user.username });
    expect(await tabs.session(storedRefreshToken(tabs) ?? '')).toBeDefined();
  });

  test('with a broadcast that arrives only after the lock is granted (a real channel), the waiting tab waits for it: still one refresh', async () => {
    const tabs = twoTabs({ broadcast: 'node' });
    await tabs.first.register(tabs.user);
    tabs.clock.advance(ACCESS_TTL - 20);

    const [first, second] = await Promise.all([tabs.first.accessToken(), tabs.second.accessToken()]);

    expect(tabs.api.calls('/auth/refresh')).toHaveLength(1);
    expect(second).toBe(first);
  });

  test('the tab that waited for the lock presents the rotated refresh token, never the spent one', async () => {
    const tabs = twoTabs({ broadcast: false });
    await tabs.first.register(tabs.user);
    tabs.clock.advance(ACCESS_TTL - 20);

    await Promise.all([tabs.first.accessToken(), tabs.second.accessToken()]);

    // Storage saw the first token (register), then what each refresh issued.
    const [registered, issuedFirst, issuedSecond] = tabs.storage.written.map((value) => (JSON.parse(value) as { refresh_token: string }).refresh_token);
    expect(presented(tabs)).toEqual([registered, issuedFirst]);
    expect(issuedFirst).not.toBe(registered);
    expect(await tabs.session(issuedSecond ?? '')).toMatchObject({ tokenHash: sha256(issuedSecond ?? ''), previousHash: sha256(issuedFirst ?? '') });
  });

  test('without locks both tabs present the same token, and the grace window gives them one successor', async () => {
    const tabs = twoTabs({ locks: false, broadcast: false });
    await tabs.first.register(tabs.user);
    const original = storedRefreshToken(tabs) ?? '';
    tabs.clock.advance(ACCESS_TTL - 20);

    await Promise.all([tabs.first.accessToken(), tabs.second.accessToken()]);

    expect(presented(tabs)).toEqual([original, original]);
    const [one, two] = tabs.storage.written.slice(1).map((value) => (JSON.parse(value) as { refresh_token: string }).refresh_token);
    expect(two).toBe(one);
    const successor = storedRefreshToken(tabs) ?? '';
    expect(await tabs.session(successor)).toMatchObject({ tokenHash: sha256(successor), previousHash: sha256(original) });
  });

  test('a login in one tab reaches the other without a refresh', async () => {
    const tabs = twoTabs();
    await tabs.first.register(tabs.user);

    const info = await tabs.first.login(tabs.user);

    await expect(tabs.second.me()).resolves.toMatchObject({ username: tabs.user.username });
    expect(tabs.api.calls('/auth/refresh')).toHaveLength(0);
    expect(tabs.api.calls('/me')[0]?.headers.get('authorization')).toBe(`Bearer ${await tabs.first.accessToken()}`);
    expect(info.scope).toBe('profile sessions');
  });

  test('a tab opened after the login asks the others for the token instead of refreshing', async () => {
    const tabs = twoTabs({ broadcast: 'node' });
    await tabs.first.register(tabs.user);
    const opened = tabs.another({ onRefresh: undefined, onSessionEnd: undefined }); // a new page: nothing in memory

    const token = await opened.accessToken();

    expect(token).toBe(await tabs.first.accessToken());
    expect(tabs.api.calls('/auth/refresh')).toHaveLength(0);
  });

  test('a logout in one tab ends the session in the other, which then refuses calls', async () => {
    const tabs = twoTabs();
    await tabs.first.register(tabs.user);
    await tabs.second.me();

    await tabs.first.logout();

    expect(tabs.secondEnded).toEqual(['other_tab']);
    await expect(tabs.second.me()).rejects.toMatchObject({ code: 'no_session' });
    expect(tabs.api.calls('/auth/refresh')).toHaveLength(0);
  });
});
