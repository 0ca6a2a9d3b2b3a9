import { createHash, timingSafeEqual } from 'node:crypto';
import type { AuthService, IssuedTokens } from './auth';
import { redirectUriAllowed, secretMatches, type ClientStore, type OAuthClient } from './clients';
import type { Config, ProviderConfig } from './config';
import { AuthError } from './errors';
import { logger } from './log';
import { count } from './metrics';
import { type BrowserSession, type BrowserSessionStore, type CodeStore } from './provider-store';
import { SCOPE_TOKEN } from './scopes';
import type { SessionStore } from './sessions';
import type { TokenService } from './tokens';
import type { User, UserStore } from './users';

/**
 * The OpenID provider (OpenID Connect Core 1.0, the authorization code flow with PKCE only): the
 * authorization request's checks, the decision between the hosted page and a code, and the code's
 * exchange. Built on the service's own session model, user store, key ring and password guard.
 */

/** The parameters of an authorization request that the hosted pages carry from screen to screen. */
export const AUTHORIZATION_PARAMS = [
  'response_type', 'client_id', 'redirect_uri', 'scope', 'state', 'nonce', 'code_challenge', 'code_challenge_method',
  'prompt', 'max_age', 'login_hint', 'ui_locales', 'response_mode',
] as const;

/** What a request may carry at most, each: a state or nonce longer than this is no client's. */
const MAX_PARAM = 2048;
const PROMPTS = ['none', 'login', 'consent', 'select_account'];
const PKCE_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;
/** RFC 7636 §4.1: 43 to 128 unreserved characters. */
const PKCE_VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;

/** A request that cannot be answered at the client's redirect URI: an error page, never a redirect (RFC 6749 §4.1.2.1). */
export class UnsafeRequestError extends Error {
  override readonly name = 'UnsafeRequestError';
  constructor(readonly reason: 'unknown_client' | 'bad_redirect_uri' | 'bad_request', description: string) {
    super(description);
  }
}

/** An error the client hears of at its redirect URI (RFC 6749 §4.1.2.1, OpenID Connect Core §3.1.2.6). */
export class AuthorizationError extends Error {
  override readonly name = 'AuthorizationError';
  constructor(readonly code: string, description: string, readonly request: Pick<AuthorizationRequest, 'redirectUri' | 'state'>) {
    super(description);
  }
}

export interface AuthorizationRequest {
  client: OAuthClient;
  redirectUri: string;
  state?: string;
  nonce?: string;
  scope: string[];
  codeChallenge: string;
  prompt: Set<string>;
  /** Seconds. */
  maxAge?: number;
  loginHint?: string;
  uiLocales?: string;
  /** The request's own parameters, as the hosted pages carry them. */
  params: Record<string, string>;
}

export interface ProviderDeps {
  config: Pick<Config, 'issuer' | 'scopes' | 'audience' | 'signingAlg'> & Pick<ProviderConfig, 'browserSessionTtl'>;
  clients: ClientStore;
  codes: CodeStore;
  browsers: BrowserSessionStore;
  users: UserStore;
  sessions: SessionStore;
  tokens: TokenService;
  auth: AuthService;
  now: () => number;
}

/** What the authorization endpoint does next. */
export type Decision =
  | { kind: 'redirect'; location: string }
  | { kind: 'login' }
  | { kind: 'consent'; session: BrowserSession; scopes: string[] };

const s256 = (verifier: string) => createHash('sha256').update(verifier).digest('base64url');

/** Seconds a consent screen's offer stands. */
const CONSENT_OFFER_TTL = 600;
/** What a consent screen was offered for: the whole authorization request, as its form carries it. */
const offerOf = (request: AuthorizationRequest) =>
  createHash('sha256').update(JSON.stringify(Object.entries(request.params).sort(([a], [b]) => a.localeCompare(b)))).digest('base64url');

/** Appends parameters to a redirect URI's query, keeping its own (RFC 6749 §3.1.2). */
export function withParams(uri: string, params: Record<string, string | undefined>): string {
  const url = new URL(uri);
  for (const [name, value] of Object.entries(params)) if (value !== undefined) url.searchParams.append(name, value);
  return url.href;
}

export function createProvider({ config, clients, codes, browsers, users, sessions, tokens, auth, now }: ProviderDeps) {
  const seconds = () => Math.floor(now() / 1000);

  /**
   * Checks an authorization request. The client and its redirect URI first: until both are known good,
   * nothing is sent anywhere (UnsafeRequestError); every later problem goes back to the client.
   */
  async function check(params: Record<string, string>, repeated: readonly string[] = []): Promise<AuthorizationRequest> {
    if (repeated.includes('client_id') || repeated.includes('redirect_uri')) {
      throw new UnsafeRequestError('bad_request', 'The client_id or redirect_uri parameter is repeated.');
    }
    for (const [name, value] of Object.entries(params)) {
      if (value.length > MAX_PARAM) throw new UnsafeRequestError('bad_request', `The "${name.slice(0, 40)}" parameter is too long.`);
    }
    const clientId = params.client_id;
    // A client named as this service's audience would get ID tokens that differ from access tokens by `typ` alone.
    const client = clientId === undefined || clientId === config.audience ? undefined : await clients.get(clientId);
    if (!client) throw new UnsafeRequestError('unknown_client', 'The client_id names no registered client.');
    // An ID token under HS256 is signed with a secret no client has (OpenID Connect Core §10.1 wants the client's).
    if (config.signingAlg === 'HS256') throw new UnsafeRequestError('bad_request', 'This provider signs with HS256, which no client can verify an ID token of; use ES256, RS256 or EdDSA.');
    const redirectUri = params.redirect_uri;
    if (redirectUri === undefined || !redirectUriAllowed(client, redirectUri)) {
      throw new UnsafeRequestError('bad_redirect_uri', 'The redirect_uri is not one the client registered.');
    }
    const back = { redirectUri, state: params.state };
    const fail = (code: string, description: string) => new AuthorizationError(code, description, back);
    if (repeated.length > 0) throw fail('invalid_request', `The "${repeated[0]!.slice(0, 40)}" parameter is repeated.`);

    if (params.request !== undefined) throw fail('request_not_supported', 'Request objects are not supported.');
    if (params.request_uri !== undefined) throw fail('request_uri_not_supported', 'Request objects are not supported.');
    if (params.response_type === undefined) throw fail('invalid_request', 'The response_type parameter is required.');
    if (params.response_type !== 'code') throw fail('unsupported_response_type', 'Only response_type=code is supported.');
    if (params.response_mode !== undefined && params.response_mode !== 'query') throw fail('invalid_request', 'Only response_mode=query is supported.');
    if (params.code_challenge === undefined) throw fail('invalid_request', 'PKCE is required: send code_challenge and code_challenge_method=S256.');
    if (params.code_challenge_method !== 'S256') throw fail('invalid_request', 'code_challenge_method must be S256 (plain is refused).');
    if (!PKCE_CHALLENGE.test(params.code_challenge)) throw fail('invalid_request', 'The code_challenge is not a base64url SHA-256 value.');

    const asked = [...new Set((params.scope ?? '').split(' ').filter(Boolean))];
    if (asked.length === 0) throw fail('invalid_scope', 'The scope parameter is required (openid, with what else the app needs).');
    if (!asked.every((name) => SCOPE_TOKEN.test(name))) throw fail('invalid_scope', 'The scope is malformed.');
    // Scope values this service does not know are ignored (OpenID Connect Core §3.1.2.1: offline_access, phone, …).
    const scope = asked.filter((name) => config.scopes.includes(name));
    if (scope.length === 0) throw fail('invalid_scope', 'The scope names no scope this service knows.');

    const prompt = new Set((params.prompt ?? '').split(' ').filter(Boolean));
    if ([...prompt].some((value) => !PROMPTS.includes(value))) throw fail('invalid_request', 'The prompt parameter has an unknown value.');
    if (prompt.has('none') && prompt.size > 1) throw fail('invalid_request', 'prompt=none cannot be combined with other values.');
    let maxAge: number | undefined;
    if (params.max_age !== undefined) {
      if (!/^\d{1,9}$/.test(params.max_age)) throw fail('invalid_request', 'max_age must be a whole number of seconds.');
      maxAge = Number(params.max_age);
    }
    const kept = Object.fromEntries(AUTHORIZATION_PARAMS.filter((name) => params[name] !== undefined).map((name) => [name, params[name]!]));
    return {
      client,
      redirectUri,
      ...(params.state === undefined ? {} : { state: params.state }),
      ...(params.nonce === undefined ? {} : { nonce: params.nonce }),
      scope,
      codeChallenge: params.code_challenge,
      prompt,
      ...(maxAge === undefined ? {} : { maxAge }),
      ...(params.login_hint === undefined ? {} : { loginHint: params.login_hint }),
      ...(params.ui_locales === undefined ? {} : { uiLocales: params.ui_locales }),
      params: kept,
    };
  }

  /** The browser's sign-in, if it is live and its user still signs in with the credential it used. */
  async function signedIn(cookie: string | undefined): Promise<{ session: BrowserSession; user: User } | undefined> {
    const session = await browsers.find(cookie, seconds());
    if (!session) return undefined;
    const user = await users.get(session.sub);
    if (!user || user.disabled || user.credentialVersion !== session.credentialVersion) return undefined;
    return { session, user };
  }

  /** The scopes this user may give this client of those asked: `invalid_scope` otherwise. */
  function grantedScope(request: AuthorizationRequest, user: User): string {
    try {
      return auth.scopeFor(user, request.scope.join(' '));
    } catch (error) {
      if (error instanceof AuthError && error.code === 'invalid_scope') throw new AuthorizationError('invalid_scope', error.message, request);
      throw error;
    }
  }

  const consented = (request: AuthorizationRequest, session: BrowserSession) => {
    if (request.client.firstParty) return true;
    const given = new Set((session.consents[request.client.clientId] ?? '').split(' '));
    return request.scope.every((scope) => given.has(scope));
  };

  /** The redirect that carries a new code to the client (RFC 6749 §4.1.2, RFC 9207 `iss`). */
  async function codeFor(request: AuthorizationRequest, session: BrowserSession, user: User): Promise<Decision> {
    const scope = grantedScope(request, user);
    const code = await codes.issue(
      {
        clientId: request.client.clientId,
        redirectUri: request.redirectUri,
        codeChallenge: request.codeChallenge,
        scope,
        ...(request.nonce === undefined ? {} : { nonce: request.nonce }),
        sub: user.sub,
        authTime: session.authTime,
        amr: session.amr,
        credentialVersion: session.credentialVersion,
        browserSession: session.id,
        browserSid: session.sid,
      },
      seconds(),
    );
    return { kind: 'redirect', location: withParams(request.redirectUri, { code, state: request.state, iss: config.issuer }) };
  }

  /**
   * Whether a code may go out without the user's say in this very request: not to a third-party client the
   * user has not allowed these scopes, and, after a sign-in made earlier (single sign-on), not to a public
   * client at a redirect URI any app on the device could claim, a loopback or private-use one (RFC 8252 §8.6).
   */
  const needsAnswer = (request: AuthorizationRequest, session: BrowserSession, freshSignIn: boolean) =>
    !consented(request, session) || (!freshSignIn && request.client.clientSecretHash === undefined && new URL(request.redirectUri).protocol !== 'https:');

  /**
   * The consent screen, bound to this very request: only its answer, posted while the offer stands, gets a
   * code (a bare `action=consent` cannot stand in for a sign-in that prompt or max_age asked for).
   */
  async function offerConsent(request: AuthorizationRequest, session: BrowserSession): Promise<Decision> {
    await browsers.offer(session.id, offerOf(request), seconds() + CONSENT_OFFER_TTL);
    return { kind: 'consent', session, scopes: request.scope };
  }

  /** After the browser has a sign-in: the user's answer where one is needed, else a code. */
  async function proceed(request: AuthorizationRequest, session: BrowserSession, user: User, { ask, fresh }: { ask: boolean; fresh: boolean }): Promise<Decision> {
    grantedScope(request, user);
    if (ask || needsAnswer(request, session, fresh)) return offerConsent(request, session);
    return codeFor(request, session, user);
  }

  return {
    check,
    signedIn,
    browserSessionTtl: config.browserSessionTtl,
    client: (clientId: string) => clients.get(clientId),
    /** The browser session a cookie names, whoever's it is (to end it). */
    browserSession: (cookie: string | undefined) => browsers.find(cookie, seconds()),

    /** GET /oauth/authorize: a code at once for a live sign-in, else the hosted page (or the error prompt=none asks for). */
    async authorize(request: AuthorizationRequest, cookie: string | undefined): Promise<Decision> {
      const current = await signedIn(cookie);
      // max_age=0 is prompt=login (OpenID Connect Core §3.1.2.1), even within the second of the sign-in.
      const tooOld = current && request.maxAge !== undefined && (request.maxAge === 0 || seconds() - current.session.authTime > request.maxAge);
      const none = request.prompt.has('none');
      if (!current || tooOld || request.prompt.has('login') || request.prompt.has('select_account')) {
        if (none) throw new AuthorizationError('login_required', 'The user is not signed in.', request);
        return { kind: 'login' };
      }
      const ask = request.prompt.has('consent');
      if (none && (ask || needsAnswer(request, current.session, false))) {
        if (!consented(request, current.session)) throw new AuthorizationError('consent_required', 'The user has not allowed this client.', request);
        throw new AuthorizationError('interaction_required', 'The user must confirm a sign-in to an app at this redirect URI.', request);
      }
      return proceed(request, current.session, current.user, { ask, fresh: false });
    },

    /** The hosted page's sign-in succeeded (password checked, or an account just made): a new browser session. */
    async signIn(request: AuthorizationRequest, user: User, previous: BrowserSession | undefined) {
      // A new sign-in replaces the browser's old one (no session fixation), and takes over the sessions started
      // through it: one sign-out in this browser still ends every app's session.
      // Another user's sessions stay with that user's own sign-out (they end with their credential version).
      const replaced = previous ? await browsers.end(previous.id) : undefined;
      const carried = replaced && replaced.sub === user.sub ? replaced.sessions : [];
      const { cookie, session } = await browsers.start(
        { sub: user.sub, authTime: seconds(), amr: ['pwd'], credentialVersion: user.credentialVersion, sessions: carried },
        config.browserSessionTtl,
      );
      logger.info('signed in at the hosted page', { sub: user.sub, client_id: request.client.clientId });
      return { cookie, session, decision: await proceed(request, session, user, { ask: request.prompt.has('consent'), fresh: true }) };
    },

    /** The consent screen's answer. */
    async consent(request: AuthorizationRequest, cookie: string | undefined, allow: boolean): Promise<Decision> {
      if (!allow) throw new AuthorizationError('access_denied', 'The user denied the request.', request);
      const current = await signedIn(cookie);
      if (!current) return { kind: 'login' };
      // Taken once, and only as offered for this request: anything else starts over at the sign-in page.
      if (!(await browsers.consent(current.session.id, request.client.clientId, request.scope.join(' '), offerOf(request), seconds()))) return { kind: 'login' };
      return codeFor(request, current.session, current.user);
    },

    /**
     * POST /oauth/token, grant_type=authorization_code: the code is used up at its first presentation, whatever
     * follows; a second presentation revokes the session the first one started (RFC 6749 §4.1.2).
     */
    async exchange(client: OAuthClient, params: { code?: string; redirectUri?: string; codeVerifier?: string }, from: { sourceIp?: string; userAgent?: string }): Promise<IssuedTokens> {
      const refused = (description: string) => new AuthError('invalid_grant', description);
      if (params.code === undefined) throw new AuthError('invalid_request', 'The "code" parameter is required.');
      if (params.codeVerifier === undefined) throw new AuthError('invalid_request', 'The "code_verifier" parameter is required (PKCE).');
      const redeemed = await codes.redeem(params.code, client.clientId, seconds());
      if (redeemed.kind === 'unknown') throw refused('The authorization code is invalid, expired or used.');
      if (redeemed.kind === 'replayed') {
        if (redeemed.sessionId) await sessions.revoke(redeemed.sessionId);
        count('CodeReplayed');
        logger.security('authorization_code_replayed', { sub: redeemed.grant.sub, sid: redeemed.sessionId, clientId: redeemed.grant.clientId }, { session: redeemed.sessionId ? 'revoked' : 'none yet' });
        throw refused('The authorization code is invalid, expired or used.');
      }
      const { grant } = redeemed;
      if (redeemed.expiresAt <= seconds()) throw refused('The authorization code is invalid, expired or used.');
      if (grant.clientId !== client.clientId) throw refused('The authorization code was issued to another client.');
      if (params.redirectUri !== grant.redirectUri) throw refused('The redirect_uri differs from the authorization request\'s.');
      if (!PKCE_VERIFIER.test(params.codeVerifier) || !timingSafeEqual(Buffer.from(s256(params.codeVerifier)), Buffer.from(grant.codeChallenge.padEnd(43).slice(0, 43)))) {
        throw refused('The code_verifier does not match the code_challenge.');
      }
      const user = await users.get(grant.sub);
      if (!user || user.disabled || user.credentialVersion !== grant.credentialVersion) throw refused('The authorization code is invalid, expired or used.');

      const confidential = client.clientSecretHash !== undefined;
      const { tokens: issued, sessionId } = await auth.sessionFor(user, client.clientId, grant.scope, { ...from, confidential });
      const [bound, attached] = await Promise.all([codes.bind(redeemed.id, sessionId), browsers.attach(grant.browserSession, sessionId)]);
      // A replay came in while this exchange ran (the tokens of this code are revoked, these included), or the
      // browser signed out since the code was issued (a session started now would outlive that sign-out).
      if (!bound || !attached) {
        await sessions.revoke(sessionId);
        throw refused('The authorization code is invalid, expired or used.');
      }
      count('CodeExchanges');
      const idToken = grant.scope.split(' ').includes('openid')
        ? await tokens.issueIdToken({ sub: user.sub, clientId: client.clientId, authTime: grant.authTime, amr: grant.amr, sid: grant.browserSid, ...(grant.nonce === undefined ? {} : { nonce: grant.nonce }) })
        : undefined;
      return { ...issued, ...(idToken === undefined ? {} : { idToken }) };
    },

    /**
     * RP-initiated logout: ends the browser session and every refresh-token session issued through it. The
     * sessions are ended one by one; one that cannot be is left to expire (its credential still works until then).
     */
    async endBrowserSession(session: BrowserSession): Promise<void> {
      const ended = await browsers.end(session.id);
      // What the session held when it was read, and what it held when it ended (a code exchanged meanwhile).
      const issued = [...new Set([...session.sessions, ...(ended?.sessions ?? [])])];
      await Promise.all(issued.map((sid) => sessions.revoke(sid).catch((error: unknown) => logger.warn('could not end a session at logout', error))));
      logger.security('browser_session_ended', { sub: session.sub }, { sessions: String(issued.length) });
    },
  };
}

export type Provider = ReturnType<typeof createProvider>;

/** The challenge of a 401 `invalid_client` (RFC 6749 §5.2: the scheme the client may authenticate with). */
export const CLIENT_CHALLENGE = 'Basic realm="token"';

/**
 * Authenticates the client at the token endpoint (RFC 6749 §2.3.1): a registered confidential client by
 * HTTP Basic or client_secret_post, anyone else as a public client by its client_id alone. Returns the
 * registered client, or undefined for an unregistered public client id (the password and refresh grants).
 */
export async function authenticateClient(
  clients: ClientStore,
  params: Record<string, string>,
  authorization: string | undefined,
): Promise<{ clientId: string | undefined; client: OAuthClient | undefined }> {
  let clientId = params.client_id;
  let secret = params.client_secret;
  const invalidClient = () => new AuthError('invalid_client', 'Client authentication failed.', { headers: { 'WWW-Authenticate': CLIENT_CHALLENGE } });
  if (authorization !== undefined && /^basic /i.test(authorization)) {
    const decoded = Buffer.from(authorization.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0 || secret !== undefined) throw invalidClient();
    let basicId: string;
    try {
      basicId = decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' '));
      secret = decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' '));
    } catch {
      throw invalidClient();
    }
    if (clientId !== undefined && clientId !== basicId) throw invalidClient();
    clientId = basicId;
  }
  if (clientId === undefined) {
    if (secret !== undefined) throw invalidClient();
    return { clientId: undefined, client: undefined };
  }
  const client = await clients.get(clientId);
  if (client?.clientSecretHash !== undefined) {
    if (secret === undefined || !secretMatches(client, secret)) throw invalidClient();
  } else if (secret !== undefined) {
    throw invalidClient(); // a public client has no secret to send
  }
  return { clientId, client };
}

