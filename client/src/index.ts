/**
 * A client for this service's API, for browsers, React Native and Node: it logs in, keeps the access token
 * fresh (before expiry, and once more when the API says it expired), and never spends a refresh token twice.
 *
 * It uses only `fetch` and standard web APIs, reached through `globalThis` with feature detection, so one
 * source compiles against the DOM library (client/tsconfig.json) and against Node's types (the root tsconfig).
 */

/** Where the refresh token (header mode) or the session flag (cookie mode) lives between page loads. */
export interface StorageAdapter {
  get(key: string): Promise<string | null> | string | null;
  set(key: string, value: string): Promise<void> | void;
  remove(key: string): Promise<void> | void;
}

/** The part of the Web Locks API (`navigator.locks`) the client uses. */
export interface LockManagerLike {
  request<T>(name: string, callback: () => Promise<T>): Promise<T>;
}

/** The part of `BroadcastChannel` the client uses. */
export interface BroadcastChannelLike {
  postMessage(message: unknown): void;
  onmessage: ((event: { data: unknown }) => void) | null;
  /** Node only: lets the process exit while the channel listens. */
  unref?(): void;
}

export type BroadcastChannelConstructor = new (name: string) => BroadcastChannelLike;

export type Fetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** Why a session ended: the server refused it, this client logged out, or another tab did (or cleared storage). */
export type SessionEndReason = 'rejected' | 'logout' | 'other_tab';

/** A new access token: refreshed before expiry, after the API refused one, or received from another tab. */
export interface RefreshEvent {
  cause: 'proactive' | 'reactive' | 'other_tab';
  /** When the new access token expires, in this device's clock (ms since the epoch). */
  expiresAt: number;
}

export interface AuthClientOptions {
  /** The API's base URL, e.g. `https://auth.example.com` (no trailing slash needed). */
  baseUrl: string;
  /** Default: memory, so a reload means a new login. */
  storage?: StorageAdapter;
  /** The storage key, also the lock and broadcast channel name. Default `jwt-auth`. */
  storageKey?: string;
  /** Sent as `client_id` on register, login and refresh. */
  clientId?: string;
  /** Refresh this many seconds before the access token expires (at most half its lifetime). Default 30. */
  refreshSkew?: number;
  /** `header` (default): the refresh token travels in JSON bodies; `cookie`: in an HttpOnly cookie. */
  mode?: 'header' | 'cookie';
  /** Called once when a session ends; must not throw. */
  onSessionEnd?: (reason: SessionEndReason) => void;
  /** Called for each new access token other than the one login or register returns. */
  onRefresh?: (event: RefreshEvent) => void;
  fetch?: Fetch;
  /** The device clock, in ms. Default `Date.now`. */
  now?: () => number;
  /** Default `navigator.locks` where present; `null` turns cross-tab locking off. */
  locks?: LockManagerLike | null;
  /** Default the global `BroadcastChannel` where present; `null` turns cross-tab sharing off. */
  BroadcastChannel?: BroadcastChannelConstructor | null;
}

/** What login and register tell: the granted scope and when the access token expires (device clock, ms). */
export interface TokenInfo {
  scope: string;
  expiresAt: number;
}

export interface Me {
  sub: string;
  username: string;
  scope: string;
  [claim: string]: unknown;
}

export interface SessionInfo {
  id: string;
  createdAt: string;
  lastUsedAt: string;
  expiresAt: string;
  current: boolean;
  [field: string]: unknown;
}

export interface AuthClient {
  register(input: { username: string; password: string; email?: string }): Promise<TokenInfo>;
  login(input: { username: string; password: string; scope?: string }): Promise<TokenInfo>;
  /** Ends this session on the server and here; local state is cleared even when the server call fails. */
  logout(): Promise<void>;
  /** Ends every session of the user (needs the `sessions` scope), then this one here. */
  logoutAll(): Promise<void>;
  sessions(): Promise<SessionInfo[]>;
  endSession(id: string): Promise<void>;
  me(): Promise<Me>;
  /** A valid access token, refreshed first if it is about to expire. */
  accessToken(): Promise<string>;
  /** `fetch` with `Authorization: Bearer …`; paths without a scheme are relative to `baseUrl`. */
  fetch(input: string | URL | Request, init?: RequestInit): Promise<Response>;
}

/** Every failure the client reports itself: a server error code (`invalid_grant`, …) or `no_session`. */
export class AuthError extends Error {
  override name = 'AuthError';
  constructor(
    readonly code: string,
    message: string,
    readonly status = 0,
    /** Seconds, from a `Retry-After` header (429, 503). */
    readonly retryAfter?: number,
  ) {
    super(message);
  }
}

/** Kept in this page's or app's memory only: a reload or restart means a new login. */
export function memoryStorage(): StorageAdapter {
  const items = new Map<string, string>();
  return {
    get: (key) => items.get(key) ?? null,
    set: (key, value) => void items.set(key, value),
    remove: (key) => void items.delete(key),
  };
}

interface WebStorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** `localStorage` (or the Storage given): survives reloads, and is readable by any script on the origin (XSS). */
export function localStorageAdapter(store = (globalThis as unknown as { localStorage?: WebStorageLike }).localStorage): StorageAdapter {
  if (!store) throw new AuthError('unsupported', 'localStorage is not available here');
  return { get: (key) => store.getItem(key), set: (key, value) => store.setItem(key, value), remove: (key) => store.removeItem(key) };
}

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** A JWT's payload, decoded and NOT verified: good for timing and display, never for trust. */
export function decodeUnverifiedClaims(jwt: string): Record<string, unknown> | null {
  // Our own decoder: atob and TextDecoder are missing on some React Native engines.
  let bytes = '';
  let bits = 0;
  let buffer = 0;
  for (const char of jwt.split('.')[1] ?? '') {
    const value = BASE64URL.indexOf(char);
    if (value < 0) return null;
    buffer = (buffer << 6) | value;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes += String.fromCharCode((buffer >> bits) & 255);
    }
  }
  try {
    // UTF-8 bytes → text: percent-encode every byte that is not plain ASCII (and "%" itself), then decode.
    const text = decodeURIComponent(bytes.replace(/[%\x80-\xff]/g, (c) => `%${c.charCodeAt(0).toString(16)}`));
    const claims: unknown = JSON.parse(text);
    return claims && typeof claims === 'object' && !Array.isArray(claims) ? (claims as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

interface Access {
  token: string;
  /** Names this issuance: the storage record and the tabs' messages carry it. */
  id: string;
  scope: string;
  /** Device clock, ms. */
  expiresAt: number;
  refreshAt: number;
}

/** What tabs tell each other: a new access token (the refresh token is in the shared storage), or the end. */
type TabMessage = { type: 'token'; access: Access } | { type: 'ask'; id: string } | { type: 'end' };

interface Globals {
  navigator?: { locks?: LockManagerLike };
  BroadcastChannel?: BroadcastChannelConstructor;
}

const number = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);
const string = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** The `{code, error, error_description}` body of a failed response as an AuthError. */
async function errorOf(response: Response): Promise<AuthError> {
  const body = (await response.json().catch(() => null)) as { error?: unknown; error_description?: unknown } | null;
  const retryAfter = response.headers.get('retry-after');
  return new AuthError(
    string(body?.error) ?? `http_${response.status}`,
    string(body?.error_description) ?? `HTTP ${response.status}`,
    response.status,
    retryAfter && /^\d+$/.test(retryAfter) ? Number(retryAfter) : undefined,
  );
}

async function jsonOf<T>(response: Response): Promise<T> {
  if (!response.ok) throw await errorOf(response);
  return (response.status === 204 ? undefined : await response.json()) as T;
}

/** A 401 that says the access token was refused (`invalid_token`, or no code at all). */
async function tokenRefused(response: Response): Promise<boolean> {
  if (response.status !== 401) return false;
  // A cross-origin page sees WWW-Authenticate only if the API exposes it: the body decides otherwise.
  if (/invalid_token/.test(response.headers.get('www-authenticate') ?? '')) return true;
  const body = (await response.clone().json().catch(() => null)) as { error?: unknown } | null;
  return body?.error === undefined || body.error === 'invalid_token';
}

const notSignedIn = () => new AuthError('no_session', 'Not signed in: call login() or register() first');

/** A client for one API; see client/README.md. */
export function createAuthClient(options: AuthClientOptions): AuthClient {
  const base = options.baseUrl.replace(/\/+$/, '');
  const storage = options.storage ?? memoryStorage();
  const key = options.storageKey ?? 'jwt-auth';
  const skew = (options.refreshSkew ?? 30) * 1000;
  const cookie = options.mode === 'cookie';
  const now = options.now ?? Date.now;
  const send: Fetch = options.fetch ?? ((input, init) => fetch(input, init));
  const clientId = options.clientId ? { client_id: options.clientId } : {};
  const globals = globalThis as unknown as Globals;
  const locks = options.locks === undefined ? globals.navigator?.locks : options.locks;
  const Channel = options.BroadcastChannel === undefined ? globals.BroadcastChannel : options.BroadcastChannel;
  const channel = Channel ? new Channel(key) : null;

  let access: Access | null = null;
  let refreshing: Promise<string> | null = null;
  let ended = false;
  /** Counts the sessions started or ended here: a refresh that began under another one is ignored. */
  let generation = 0;
  /** Callers waiting for another tab's token, by its issuance id. */
  const waiting = new Map<string, (shared: Access) => void>();

  const tell = (message: TabMessage) => channel?.postMessage(message);
  if (channel) {
    channel.onmessage = ({ data }) => {
      const message = data as Partial<TabMessage> | null;
      if (message?.type === 'token' && typeof message.access?.token === 'string') {
        access = message.access;
        ended = false;
        waiting.get(access.id)?.(access);
        options.onRefresh?.({ cause: 'other_tab', expiresAt: access.expiresAt });
      } else if (message?.type === 'ask' && access && access.id === message.id) {
        tell({ type: 'token', access });
      } else if (message?.type === 'end' && access) void end('other_tab');
    };
    channel.unref?.();
  }

  // In cookie mode the custom header makes the server use the HttpOnly cookie, and forces a CORS preflight
  // (the CSRF protection); credentials let the browser send and store the cookie.
  const tokenInit = (body: object): RequestInit => ({
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(cookie ? { 'refresh-token-transport': 'cookie' } : {}) },
    body: JSON.stringify(body),
    credentials: cookie ? 'include' : undefined,
  });
  /** A POST to a token endpoint. */
  const post = (path: string, body: object) => send(base + path, tokenInit(body));

  /**
   * The stored refresh token (header mode) or `''` for a session flag (cookie mode), null for no session;
   * with the id and device time of the issuance that stored it.
   */
  async function storedRecord(): Promise<{ token: string | null; id?: string; at?: number }> {
    const raw = await storage.get(key);
    let record: { refresh_token?: unknown; session?: unknown; id?: unknown; at?: unknown } | null = null;
    try {
      record = raw ? JSON.parse(raw) : null;
    } catch {
      // Not ours: treated as no session.
    }
    const token = cookie ? (record?.session === true ? '' : null) : (string(record?.refresh_token) ?? null);
    return { token, id: string(record?.id), at: number(record?.at) };
  }
  const stored = async () => (await storedRecord()).token;

  /** The token another tab just stored, once its message arrives (asked for, at most a second), or null. */
  function fromOtherTab(id: string): Promise<Access | null> {
    if (access?.id === id) return Promise.resolve(access);
    tell({ type: 'ask', id });
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        waiting.delete(id);
        resolve(null);
      }, 1000);
      waiting.set(id, (shared) => {
        clearTimeout(timer);
        waiting.delete(id);
        resolve(shared);
      });
    });
  }

  /** Keeps a token response: the access token in memory, the refresh token (or the flag) in storage. */
  async function accept(response: Response, sent: number, previous?: string): Promise<Access> {
    const arrived = now();
    const body = (await response.json()) as Record<string, unknown>;
    const token = string(body.access_token);
    if (!token) throw new AuthError('invalid_response', 'The token response has no access_token', response.status);
    const claims = decodeUnverifiedClaims(token);
    const iat = number(claims?.iat);
    const exp = number(claims?.exp);
    // The device clock may be minutes off the server's, so expiry is judged in device time from the token's
    // lifetime (exp - iat), never from exp against this clock. The server issued it between `sent` and
    // `arrived`, at a time iat rounded down by up to a second: so it expires no earlier than this.
    const lifetime = exp !== undefined && iat !== undefined ? (exp - iat) * 1000 : (number(body.expires_in) ?? 0) * 1000;
    const expiresAt = Math.max(arrived, sent + lifetime - (iat === undefined ? 0 : 1000));
    const id = `${arrived.toString(36)}.${Math.random().toString(36).slice(2, 10)}`;
    // A token shorter-lived than twice the skew would otherwise be refreshed on every call.
    const next: Access = { token, id, scope: string(body.scope) ?? '', expiresAt, refreshAt: expiresAt - Math.min(skew, (expiresAt - arrived) / 2) };
    const refreshToken = cookie ? undefined : (string(body.refresh_token) ?? previous);
    const record = cookie ? { session: true } : { refresh_token: refreshToken };
    if (cookie || refreshToken) await storage.set(key, JSON.stringify({ ...record, id, at: arrived }));
    else await storage.remove(key);
    access = next;
    ended = false;
    tell({ type: 'token', access: next });
    return next;
  }

  /** Forgets the session here (and, unless another tab ended it, in storage and the other tabs). */
  async function end(reason: SessionEndReason): Promise<void> {
    generation += 1;
    access = null;
    const first = !ended;
    ended = true;
    if (reason !== 'other_tab') {
      tell({ type: 'end' });
      await storage.remove(key);
    }
    if (first) options.onSessionEnd?.(reason);
  }

  /** Runs fn while holding the cross-tab lock, where the platform has one. */
  const exclusive = <T>(fn: () => Promise<T>): Promise<T> => (locks ? locks.request(key, fn) : fn());

  /** One refresh at a time in this tab, shared by every caller; across tabs, one at a time by the lock. */
  async function refresh(stale: string | undefined, cause: RefreshEvent['cause']): Promise<string> {
    refreshing ??= exclusive(() => renew(stale, cause)).finally(() => {
      refreshing = null;
    });
    const token = await refreshing;
    // A flight started for an older token may end with the very token this caller saw refused: go again.
    return token === stale ? refresh(stale, cause) : token;
  }

  async function renew(stale: string | undefined, cause: RefreshEvent['cause']): Promise<string> {
    // While this tab waited, another tab (or an earlier flight here) may have refreshed: use its token.
    const current = access;
    if (current && current.token !== stale && now() < current.refreshAt) return current.token;
    const mine = generation;
    // Read inside the lock: another tab may have rotated the refresh token since this one last looked.
    const record = await storedRecord();
    const refreshToken = record.token;
    if (refreshToken === null) {
      if (access) await end('other_tab');
      throw notSignedIn();
    }
    // It did, a moment ago: its access token is on its way over the channel, and is as good as a new one.
    if (channel && record.id !== undefined && record.id !== access?.id && now() - (record.at ?? 0) < 5000) {
      const shared = await fromOtherTab(record.id);
      if (shared && shared.token !== stale) return shared.token;
    }
    const sent = now();
    // A network error propagates and keeps the refresh token: the next try presents it again, and the
    // server's grace window answers with the successor it already made.
    const response = await post('/auth/refresh', cookie ? clientId : { refresh_token: refreshToken, ...clientId });
    // A login, register or logout finished meanwhile: its session is the one that counts, whatever this got.
    if (generation !== mine) {
      if (access) return access.token;
      throw notSignedIn();
    }
    if (!response.ok) {
      const error = await errorOf(response);
      if (error.code === 'invalid_grant') await end('rejected');
      throw error;
    }
    const next = await accept(response, sent, refreshToken || undefined);
    options.onRefresh?.({ cause, expiresAt: next.expiresAt });
    return next.token;
  }

  async function accessToken(): Promise<string> {
    const current = access;
    if (current && now() < current.refreshAt) return current.token;
    try {
      return await refresh(current?.token, 'proactive');
    } catch (error) {
      // A refresh that failed inside the skew window (network down, 503) leaves a token that still works.
      if (current && access === current && now() < current.expiresAt) return current.token;
      throw error;
    }
  }

  async function authorizedFetch(input: string | URL | Request, init: RequestInit = {}): Promise<Response> {
    const request = typeof input === 'object' && 'method' in input ? input : null;
    const url = typeof input === 'string' && !/^[a-z][a-z\d+.-]*:/i.test(input) ? base + input : String(input);
    // A stream is read once: a request with one is never sent twice. (A Request's body is always a stream.)
    const body = init.body as { getReader?: unknown } | null | undefined;
    const once = typeof body?.getReader === 'function' || !!request?.body;
    const attempt = (token: string) => {
      const headers = new Headers(init.headers ?? request?.headers);
      headers.set('authorization', `Bearer ${token}`);
      return request ? send(new Request(request, { ...init, headers })) : send(url, { ...init, headers });
    };
    const token = await accessToken();
    const response = await attempt(token);
    if (!(await tokenRefused(response))) return response;
    const renewed = await refresh(token, 'reactive');
    if (once) return response;
    const retried = await attempt(renewed);
    // Refused with a token fresh from the server: the session is over, and there is no second retry.
    if (retried.status === 401) await end('rejected');
    return retried;
  }

  async function start(path: string, body: object): Promise<TokenInfo> {
    const sent = now();
    const response = await post(path, { ...body, ...clientId });
    if (!response.ok) throw await errorOf(response);
    generation += 1;
    const { scope, expiresAt } = await accept(response, sent);
    return { scope, expiresAt };
  }

  return {
    register: (input) => start('/auth/register', input),
    login: (input) => start('/auth/login', input),
    async logout() {
      // Let a refresh under way finish first, or it would store a successor after the logout.
      await refreshing?.catch(() => undefined);
      await exclusive(async () => {
        const refreshToken = await stored();
        if (refreshToken === null && !access) return;
        try {
          if (refreshToken !== null) {
            const response = await post('/auth/logout', cookie ? {} : { refresh_token: refreshToken });
            const error = response.ok ? null : await errorOf(response);
            // invalid_grant: the session was over already, which is what logout wants.
            if (error && error.code !== 'invalid_grant') throw error;
          }
        } finally {
          await end('logout');
        }
      });
    },
    async logoutAll() {
      await jsonOf(await authorizedFetch('/auth/logout', tokenInit({ all: true })));
      await end('logout');
    },
    sessions: async () => (await jsonOf<{ sessions: SessionInfo[] }>(await authorizedFetch('/sessions'))).sessions,
    endSession: async (id) => jsonOf<void>(await authorizedFetch(`/sessions/${encodeURIComponent(id)}`, { method: 'DELETE' })),
    me: async () => jsonOf<Me>(await authorizedFetch('/me')),
    accessToken,
    fetch: authorizedFetch,
  };
}
