import { randomUUID } from 'node:crypto';
import { parseRefreshToken } from '../../lib/refresh-tokens';
import type { SessionStore } from '../../lib/sessions';
import { sha256, strangerRefreshToken, withTestApp } from '../support/app';
import { countRequests } from '../support/dynalite';

const IDLE = 1_209_600;
const ABSOLUTE = 7_776_000;
const GRACE = 30;

let store: SessionStore;

const ctx = withTestApp();
beforeAll(async () => {
  store = ctx.app.sessions;
});

const readSession = (id: string) => ctx.dynamo.read('SessionsTable', { id });
const rotate = (token: string, request = {}) => store.rotate(parseRefreshToken(token), ctx.app.clock.seconds(), request);
const start = (sub: string = randomUUID(), scopes = ['profile', 'sessions'], max?: number) =>
  store.start({ sub, clientId: 'default', scopes, credentialVersion: 1, now: ctx.app.clock.now(), maxSessions: max });

describe('starting a session', () => {
  it('stores the SHA-256 of the refresh token, never the token, with the TTL attribute', async () => {
    const now = ctx.app.clock.seconds();

    const sub = randomUUID();
    const { session, refreshToken } = await start(sub);

    const item = await readSession(session.id);
    expect(item).toMatchObject({
      id: session.id,
      sub,
      credentialVersion: 1,
      clientId: 'default',
      tokenHash: sha256(refreshToken),
      createdAt: now,
      lastUsedAt: now,
      idleExpiresAt: now + IDLE,
      absoluteExpiresAt: now + ABSOLUTE,
      expiresAt: now + IDLE,
    });
    expect(item?.scopes).toEqual(new Set(['profile', 'sessions']));
    expect(JSON.stringify(item, (_key, value: unknown) => (value instanceof Set ? [...value] : value))).not.toContain(refreshToken);
  });

  it('mints opaque refresh tokens of at least 256 random bits', async () => {
    const { refreshToken } = await start();

    expect(Buffer.from(refreshToken, 'base64url').length * 8).toBeGreaterThanOrEqual(256);
    expect(refreshToken.split('.')).toHaveLength(1); // not a JWT
  });
});

describe('rotation', () => {
  it('replaces the current hash with the successor and keeps the presented one as previousHash', async () => {
    const { session, refreshToken } = await start();
    ctx.app.clock.advance(60);

    const rotated = await rotate(refreshToken);

    expect(rotated.refreshToken).not.toBe(refreshToken);
    const item = await readSession(session.id);
    expect(item).toMatchObject({
      tokenHash: sha256(rotated.refreshToken),
      previousHash: sha256(refreshToken),
      rotatedAt: ctx.app.clock.seconds(),
      lastUsedAt: ctx.app.clock.seconds(),
    });
  });

  it('gives a retry with the previous token inside the grace window the same successor and changes nothing', async () => {
    const { session, refreshToken } = await start();
    const first = await rotate(refreshToken);
    const afterRotation = await readSession(session.id);
    ctx.app.clock.advance(GRACE);

    const retry = await rotate(refreshToken);

    expect(retry.refreshToken).toBe(first.refreshToken);
    expect(await readSession(session.id)).toEqual(afterRotation);
  });

  it('treats the previous token after the grace window as theft: the whole session is deleted', async () => {
    const { session, refreshToken } = await start();
    const { refreshToken: newest } = await rotate(refreshToken);
    ctx.app.clock.advance(GRACE + 1);

    await expect(rotate(refreshToken)).rejects.toMatchObject({ code: 'invalid_grant', status: 400 });

    expect(await readSession(session.id)).toBeUndefined();
    await expect(rotate(newest)).rejects.toMatchObject({ code: 'invalid_grant' });
  });

  it('treats a token older than the previous one as theft even inside the grace window', async () => {
    const { session, refreshToken: first } = await start();
    const { refreshToken: second } = await rotate(first);
    await rotate(second);

    await expect(rotate(first)).rejects.toMatchObject({ code: 'invalid_grant' });

    expect(await readSession(session.id)).toBeUndefined();
  });

  it('never forks the session: 50 parallel rotations of one token all get the same successor', async () => {
    const { session, refreshToken } = await start();

    const results = await Promise.all(Array.from({ length: 50 }, () => rotate(refreshToken)));

    const successors = new Set(results.map((result) => result.refreshToken));
    expect(successors.size).toBe(1);
    const [successor] = [...successors] as [string];
    expect(await readSession(session.id)).toMatchObject({ tokenHash: sha256(successor), previousHash: sha256(refreshToken) });
    await expect(rotate(successor)).resolves.toMatchObject({ session: { id: session.id } });
  });

  it('refuses a scope the session was not granted without consuming the token', async () => {
    const { session, refreshToken } = await start(randomUUID(), ['profile']);
    const before = await readSession(session.id);

    await expect(rotate(refreshToken, { scopes: ['sessions'] })).rejects.toMatchObject({ code: 'invalid_scope', status: 400 });

    expect(await readSession(session.id)).toEqual(before);
    await expect(rotate(refreshToken)).resolves.toBeDefined();
  });

  it('refuses another client id without consuming the token', async () => {
    const { session, refreshToken } = await start();
    const before = await readSession(session.id);

    await expect(rotate(refreshToken, { clientId: 'someone-else' })).rejects.toMatchObject({ code: 'invalid_grant' });

    expect(await readSession(session.id)).toEqual(before);
    await expect(rotate(refreshToken, { clientId: 'default' })).resolves.toBeDefined();
  });

  it('rejects a well-formed token of no session and touches no other session', async () => {
    const { session } = await start();
    const before = await readSession(session.id);
    const stranger = strangerRefreshToken();

    await expect(rotate(stranger)).rejects.toMatchObject({ code: 'invalid_grant' });

    expect(await readSession(session.id)).toEqual(before);
  });
});

describe('expiry', () => {
  it('ends a session after the idle TTL without a refresh', async () => {
    const { refreshToken } = await start();
    ctx.app.clock.advance(IDLE);

    await expect(rotate(refreshToken)).rejects.toMatchObject({ code: 'invalid_grant' });
  });

  it('extends the idle deadline at each refresh', async () => {
    const { session, refreshToken } = await start();
    ctx.app.clock.advance(IDLE - 60);

    const { refreshToken: next } = await rotate(refreshToken);

    expect(await readSession(session.id)).toMatchObject({ idleExpiresAt: ctx.app.clock.seconds() + IDLE });
    ctx.app.clock.advance(IDLE - 60);
    await expect(rotate(next)).resolves.toBeDefined();
  });

  it('never lets refreshes carry a session past the absolute TTL', async () => {
    const started = ctx.app.clock.seconds();
    const { session, refreshToken } = await start();
    let token = refreshToken;
    while (ctx.app.clock.seconds() + IDLE / 2 < started + ABSOLUTE) {
      ctx.app.clock.advance(IDLE / 2);
      token = (await rotate(token)).refreshToken;
    }
    const [listed] = await store.list(session.sub, ctx.app.clock.seconds());
    ctx.app.clock.advance(started + ABSOLUTE - ctx.app.clock.seconds());

    await expect(rotate(token)).rejects.toMatchObject({ code: 'invalid_grant' });

    expect(listed?.expiresAt).toBe(started + ABSOLUTE);
  });

  it('lists only live sessions, newest first', async () => {
    const sub = randomUUID();
    const old = await start(sub);
    ctx.app.clock.advance(IDLE - 10);
    const fresh = await start(sub);
    ctx.app.clock.advance(10);

    const listed = await store.list(sub, ctx.app.clock.seconds());

    expect(listed.map((session) => session.id)).toEqual([fresh.session.id]);
    expect(old.session.id).not.toBe(fresh.session.id);
  });
});

describe('revocation', () => {
  it('deletes only a session its owner names', async () => {
    const owner = randomUUID();
    const { session } = await start(owner);

    const byStranger = await store.revokeOwned(session.id, randomUUID());

    expect(byStranger).toBe(false);
    expect(await readSession(session.id)).toBeDefined();
    await expect(store.revokeOwned(session.id, owner)).resolves.toBe(true);
    expect(await readSession(session.id)).toBeUndefined();
  });

  it('deletes every session of a user but the ones kept, and no one else’s', async () => {
    const sub = randomUUID();
    const kept = await start(sub);
    const other = await start(sub);
    const someoneElse = await start();

    const removed = await store.removeAll(sub, new Set([kept.session.id]));

    expect(removed).toBe(1);
    expect(await readSession(kept.session.id)).toBeDefined();
    expect(await readSession(other.session.id)).toBeUndefined();
    expect(await readSession(someoneElse.session.id)).toBeDefined();
  });

  it('deletes a user’s sessions within its budget, 25 to a request, and the rest on the next call', async () => {
    const sub = randomUUID();
    await Promise.all(Array.from({ length: 60 }, () => start(sub)));
    const counter = countRequests(ctx.dynamo.doc);

    const removed = await store.removeAll(sub, new Set(), 50);
    const batches = counter.counts.BatchWriteItem;
    const rest = await store.removeAll(sub);
    counter.remove();

    expect([removed, rest]).toEqual([50, 10]);
    expect(batches).toBe(2);
    expect(await ctx.dynamo.scan('SessionsTable', sub)).toEqual([]);
  });

  it('moves a session of its owner to a new credential version, and no one else’s', async () => {
    const sub = randomUUID();
    const { session } = await start(sub);

    const adopted = await store.adopt(session.id, sub, 1, 2);
    const byStranger = await store.adopt(session.id, randomUUID(), 2, 3);

    expect([adopted, byStranger]).toEqual([true, false]);
    expect(await readSession(session.id)).toMatchObject({ credentialVersion: 2 });
  });

  it('treats an id that cannot be a DynamoDB key (empty, over 1 KB) as no session, not as a fault', async () => {
    const sub = randomUUID();
    const impossible = ['', 'x'.repeat(1025)];

    const answers = await Promise.all(impossible.flatMap((id) => [store.adopt(id, sub, 1, 2), store.revokeOwned(id, sub)]));

    expect(answers).toEqual([false, false, false, false]);
  });
});

describe('sessions per user', () => {
  it('ends the oldest sessions when a new one would exceed the limit', async () => {
    const sub = randomUUID();
    const started = [];
    for (let i = 0; i < 4; i += 1) {
      started.push(await start(sub, ['profile'], 3));
      ctx.app.clock.advance(1);
    }

    const live = await store.list(sub, ctx.app.clock.seconds());

    expect(live.map((session) => session.id)).toEqual(started.slice(1).reverse().map(({ session }) => session.id));
  });

  it('lists at most the limit asked for, newest first', async () => {
    const sub = randomUUID();
    for (let i = 0; i < 5; i += 1) {
      await start(sub);
      ctx.app.clock.advance(1);
    }

    const listed = await store.list(sub, ctx.app.clock.seconds(), { limit: 2 });

    expect(listed).toHaveLength(2);
    expect(listed[0]!.createdAt).toBeGreaterThan(listed[1]!.createdAt);
  });
});
