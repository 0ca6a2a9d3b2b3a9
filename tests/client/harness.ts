import {
  createAuthClient,
  type AuthClientOptions,
  type BroadcastChannelConstructor,
  type BroadcastChannelLike,
  type LockManagerLike,
  type RefreshEvent,
  type SessionEndReason,
  type StorageAdapter,
} from '../../client/src/index';
import { generateSigningJwk, loadKeyRing } from '../../lib/keys';
import { parseRefreshToken } from '../../lib/refresh-tokens';
import { createVerifierDeps, type VerifierDeps } from '../../lib/verifier-deps';
import { createApiFetch } from '../support/api-fetch';
import { uniqueUsername, type TestContext } from '../support/app';

export const BASE_URL = 'https://api.example.test';
/** Every client test file runs the service with 300 s access tokens; the client's refresh skew stays 30 s. */
export const ACCESS_TTL = 300;
/** withTestApp's env for the client tests: the lost-response and lockless-tab tests rely on the 30 s reuse grace. */
export const SERVER_ENV = { ACCESS_TOKEN_TTL: String(ACCESS_TTL), REFRESH_TOKEN_REUSE_GRACE: '30' };

export interface HarnessOptions {
  /** How far the device clock is ahead of the server's (negative: behind), ms. */
  deviceOffset?: number;
  client?: Partial<AuthClientOptions>;
  /** The authorizer's deps, when they should differ from the app's. */
  authorizer?: () => Promise<VerifierDeps>;
}

/**
 * The real API in process (tests/support/api-fetch.ts), one device clock (the server's injected clock plus
 * an offset the test may change), one recording storage, one user of its own, and one client with no
 * cross-tab machinery unless the test passes its own; the events the client fires are collected.
 */
export function harness(ctx: TestContext, { deviceOffset = 0, client: overrides = {}, authorizer }: HarnessOptions = {}) {
  const { clock } = ctx.app;
  // Start on a whole second, so that a token's iat is exactly the server's clock (tests share one clock).
  clock.advance(((1000 - (clock.now() % 1000)) % 1000) / 1000);
  const device = { offset: deviceOffset };
  const api = createApiFetch(ctx, { authorizer });
  const storage = recordingStorage();
  const user = { username: uniqueUsername('ada'), password: 'correct horse battery staple' };
  const ended: SessionEndReason[] = [];
  const refreshed: RefreshEvent[] = [];
  const options: AuthClientOptions = {
    baseUrl: BASE_URL,
    fetch: api.fetch,
    now: () => clock.now() + device.offset,
    storage,
    locks: null,
    BroadcastChannel: null,
    onSessionEnd: (reason) => ended.push(reason),
    onRefresh: (event) => refreshed.push(event),
    ...overrides,
  };
  const client = createAuthClient(options);
  /** Another client on the same device, storage and API, e.g. a second tab or the app after a restart. */
  const another = (more: Partial<AuthClientOptions> = {}) => createAuthClient({ ...options, ...more });
  /** The sessions table's item of the session a refresh token belongs to; undefined once it ended. */
  const session = (refreshToken: string) => ctx.dynamo.read('SessionsTable', { id: parseRefreshToken(refreshToken).sid });
  return { clock, device, api, storage, user, client, options, ended, refreshed, another, session };
}

export type Harness = ReturnType<typeof harness>;

/** The harness's user, registered through its client. */
export async function signedIn(h: Harness): Promise<Harness> {
  await h.client.register(h.user);
  return h;
}

/** The refresh token the storage holds (header mode). */
export function storedRefreshToken(h: Harness, key = 'jwt-auth'): string | undefined {
  const raw = h.storage.items.get(key);
  return raw === undefined ? undefined : (JSON.parse(raw) as { refresh_token?: string }).refresh_token;
}

/**
 * Every access token issued so far expires by the server's clock while this device still holds it fresh:
 * the device clock is set back 10 minutes (as a user or a time sync may), then a token lifetime passes.
 */
export function expireTokensUnseen(h: Harness): void {
  h.device.offset -= 600_000;
  h.clock.advance(ACCESS_TTL);
}

/**
 * The authorizer's deps after a key rotation that reached the functions that sign but not its PUBLIC_JWKS:
 * it refuses every access token the service issues, fresh or not.
 */
export async function authorizerWithoutTheSigningKey(ctx: TestContext): Promise<() => Promise<VerifierDeps>> {
  const { config, clock } = ctx.app;
  const keys = await loadKeyRing(JSON.stringify({ keys: [await generateSigningJwk(config.signingAlg)] }), config.signingAlg);
  const deps = createVerifierDeps({ config, keys, now: clock.now });
  return async () => deps;
}

/** A request body that can be read once only. */
export function streamOf(text: string): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new TextEncoder().encode(text));
      controller.close();
    },
  });
}

/** Lets every promise chain that can run, run, and any I/O that is ready, call back. */
export const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** The Web Locks API for tests: one FIFO queue per name, shared by every "tab" given the same instance. */
export function fakeLocks(): LockManagerLike {
  const tails = new Map<string, Promise<unknown>>();
  return {
    request<T>(name: string, callback: () => Promise<T>): Promise<T> {
      const run = (tails.get(name) ?? Promise.resolve()).then(callback);
      tails.set(name, run.catch(() => undefined));
      return run;
    },
  };
}

/** A lock manager whose grants can be paused, to hold a refresh in flight while the test lines up more callers. */
export function gatedLocks() {
  let open = true;
  const waiting: Array<() => void> = [];
  let requests = 0;
  return {
    get requests() {
      return requests;
    },
    close(): void {
      open = false;
    },
    open(): void {
      open = true;
      for (const grant of waiting.splice(0)) grant();
    },
    request<T>(_name: string, callback: () => Promise<T>): Promise<T> {
      requests += 1;
      return open ? callback() : new Promise<void>((resolve) => waiting.push(resolve)).then(callback);
    },
  };
}

/**
 * A BroadcastChannel class for tests: instances with one name, made by one call, hear each other (not
 * themselves). Node's own channel would do, but it delivers on a later task, after a waiting tab may already
 * hold the lock; this one delivers on a microtask, so that the tests can choose the order.
 */
export function fakeBroadcastChannel(): BroadcastChannelConstructor {
  const open = new Set<BroadcastChannelLike & { name: string }>();
  return class FakeChannel implements BroadcastChannelLike {
    onmessage: ((event: { data: unknown }) => void) | null = null;
    constructor(readonly name: string) {
      open.add(this);
    }
    postMessage(message: unknown): void {
      const data: unknown = JSON.parse(JSON.stringify(message));
      for (const other of open) if (other !== this && other.name === this.name) queueMicrotask(() => other.onmessage?.({ data }));
    }
  };
}

/** A storage adapter that also keeps every value ever written, to prove what never went to storage. */
export function recordingStorage(): StorageAdapter & { items: Map<string, string>; written: string[] } {
  const items = new Map<string, string>();
  const written: string[] = [];
  return {
    items,
    written,
    get: (key) => items.get(key) ?? null,
    set: (key, value) => {
      written.push(value);
      items.set(key, value);
    },
    remove: (key) => {
      items.delete(key);
    },
  };
}
