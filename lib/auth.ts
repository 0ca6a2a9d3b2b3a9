import { randomUUID } from 'node:crypto';
import { emailVerification, type AccountMail } from './accounts';
import type { Config } from './config';
import { normalizeEmail } from './email';
import { coarseAddress, describeDevice } from './devices';
import { logger } from './log';
import { count } from './metrics';
import { AuthError } from './errors';
import { validateNewPassword, type CommonPasswordCheck, type PasswordHasher } from './passwords';
import { parseRefreshToken } from './refresh-tokens';
import { OPENID_SCOPES, resolveScope } from './scopes';
import { endOf, type Session, type SessionStore, type SessionSummary } from './sessions';
import type { PasswordGuard, Reservation } from './throttle';
import type { TokenService } from './tokens';
import { prepareUsername } from './usernames';
import { loginKey, type User, type UserStore } from './users';

/** What a successful grant hands the client (the RFC 6749 §5.1 token response's content). */
export interface IssuedTokens {
  accessToken: string;
  expiresIn: number;
  refreshToken: string;
  /** Seconds until the session ends unless refreshed (idle) or in any case (absolute), whichever is first. */
  refreshExpiresIn: number;
  scope: string;
  /** The authorization code grant with `openid`: the OpenID Connect ID token. */
  idToken?: string;
}

const isOpenIdScope = (scope: string) => (OPENID_SCOPES as readonly string[]).includes(scope);

/** The client id recorded when a client names none (public clients, RFC 6749 §2.1). */
export const DEFAULT_CLIENT_ID = 'default';

/** How many leftover sessions one request deletes after they were ended in bulk; the rest expire by TTL. */
const CLEANUP_BUDGET = 1000;

export interface AuthServiceDeps {
  config: Pick<Config, 'defaultScopes' | 'scopes' | 'maxSessionsPerUser'>;
  users: UserStore;
  sessions: SessionStore;
  tokens: TokenService;
  guard: PasswordGuard;
  /** The password hasher; only the functions that check or set passwords carry it (lib/password-deps.ts). */
  passwords?: PasswordHasher;
  /** The common-password list; only the functions that set passwords carry it. */
  isCommonPassword?: CommonPasswordCheck;
  /** The messages of the functions that send them (registration with an address). */
  mail?: AccountMail;
  /** Milliseconds since the epoch. */
  now?: () => number;
}

export interface Credentials {
  username: unknown;
  password: unknown;
  scope?: string;
  clientId?: string;
  /** The caller's address, for the password guard and the session's coarse network. */
  sourceIp?: string;
  /** The client's User-Agent, described for the session list (never stored raw). */
  userAgent?: string;
  /** Registration only: an address to verify. */
  email?: unknown;
  /** The password grant of a confidential client that authenticated: its session refreshes only so. */
  confidential?: boolean;
}

/** Where a refresh came from, for the session's last network. */
export interface RefreshOrigin {
  clientId?: string;
  sourceIp?: string;
  /** The caller authenticated as a confidential client (the token endpoint, with the client's secret). */
  clientAuthenticated?: boolean;
}

/** What GET /me shows the user about themselves. */
export interface Profile {
  sub: string;
  username: string;
  email: string | null;
  email_verified: boolean;
}

/** Who calls an account route: the user and the session of the access token. */
export interface Account {
  sub: string;
  sid: string;
  sourceIp?: string;
}

const badCredentials = () => new AuthError('invalid_grant', 'The username or password is incorrect.');
const disabledAccount = () => new AuthError('invalid_grant', 'This account is disabled.');
const rejectedRefreshToken = () => new AuthError('invalid_grant', 'The refresh token is invalid, expired or revoked.');
const noSuchUser = () => new AuthError('invalid_token', 'The access token belongs to no user.');

/** The service's use cases; handlers parse HTTP, call one of these, and answer. */
export function createAuthService({ config, users, sessions, tokens, guard, passwords, isCommonPassword, mail, now = Date.now }: AuthServiceDeps) {
  const seconds = () => Math.floor(now() / 1000);

  /** Scopes in the order the configuration lists them, unknown ones last. */
  const ordered = (scopes: Iterable<string>) =>
    [...scopes].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b)).join(' ');
  const rank = (scope: string) => {
    const index = config.scopes.indexOf(scope);
    return index === -1 ? Number.MAX_SAFE_INTEGER : index;
  };
  /**
   * What this user may have now: the default scopes, the OpenID ones and those granted to them, of those the service
   * still knows. A withdrawn grant, or a scope removed from the configuration, stops at the next refresh.
   */
  const allowedFor = (user: User) =>
    config.scopes.filter((scope) => config.defaultScopes.includes(scope) || isOpenIdScope(scope) || user.scopes?.has(scope) === true);
  const grantable = (scopes: Iterable<string>, user: User) => {
    const allowed = allowedFor(user);
    return [...scopes].filter((scope) => allowed.includes(scope));
  };
  /** A login's scope: the default scopes unless it asks; what it asks must be the user's to have. */
  const scopeFor = (user: User, requested: string | undefined) => {
    if (requested === undefined) return config.defaultScopes.join(' ');
    const wanted = requested.split(' ').filter(Boolean);
    if (grantable(wanted, user).length !== wanted.length) throw new AuthError('invalid_scope', 'The requested scope exceeds what this user may be granted.');
    return ordered(wanted);
  };

  async function issue(session: Session, refreshToken: string, scope: string): Promise<IssuedTokens> {
    const { accessToken, expiresIn } = await tokens.issue({ sub: session.sub, scope, sid: session.id, clientId: session.clientId });
    return { accessToken, expiresIn, refreshToken, refreshExpiresIn: Math.max(0, endOf(session) - seconds()), scope };
  }

  // A function built without the hasher or the list that calls for them is a deployment fault, not the client's.
  const cannot = (what: string) => new AuthError('server_error', `This function cannot ${what}.`);
  function hasher(): PasswordHasher {
    if (!passwords) throw cannot('check passwords');
    return passwords;
  }
  function sendsMail(): AccountMail {
    if (!mail) throw cannot('send messages');
    return mail;
  }
  function newPassword(value: unknown, field?: string): string {
    if (!isCommonPassword) throw cannot('set passwords');
    return validateNewPassword(value, isCommonPassword, field);
  }

  /** A session is live for its user while the user exists and has not raised its credential version since. */
  const belongsToCurrentCredential = (session: Pick<Session, 'sub' | 'credentialVersion'>, user: User | undefined) =>
    user !== undefined && user.sub === session.sub && user.credentialVersion === session.credentialVersion;

  /** Deletes the sessions a bulk end left behind; they are already dead, so a failure here fails nothing. */
  async function cleanUp(sub: string, keep: ReadonlySet<string> = new Set()): Promise<void> {
    await sessions.removeAll(sub, keep, CLEANUP_BUDGET).catch((error: unknown) => logger.warn('could not delete ended sessions', error));
  }

  async function startSession(user: User, clientId: string, scopes: string[], from: Pick<Credentials, 'sourceIp' | 'userAgent'> & { confidential?: boolean }) {
    return sessions.start({
      sub: user.sub,
      clientId,
      scopes,
      credentialVersion: user.credentialVersion,
      now: now(),
      maxSessions: config.maxSessionsPerUser,
      device: describeDevice(from.userAgent),
      source: coarseAddress(from.sourceIp),
      confidential: from.confidential,
    });
  }

  /** Counts a refused login, and names the account when it is the guard that refused (ids only). */
  async function refusedLogin(error: unknown, user: Promise<User | undefined>): Promise<never> {
    if (error instanceof AuthError && error.code === 'slow_down') {
      count('ThrottledLogins');
      const known = await user.catch(() => undefined);
      logger.security('login_throttled', { sub: known?.sub });
    } else if (error instanceof AuthError && error.code === 'invalid_grant') {
      count('FailedLogins');
    }
    throw error;
  }

  /**
   * Checks a username and password, the attempt reserved first (lib/throttle.ts): the user, or `invalid_grant`
   * (an unknown user and a wrong password alike, after the same reads and the same hash), `slow_down` when
   * throttled. The hosted sign-in page and every password grant share it, and so share its counters.
   */
  async function authenticate(credentials: Pick<Credentials, 'username' | 'password' | 'sourceIp'>): Promise<User> {
    const { user, settle } = await checkPassword(credentials);
    await settle();
    return user;
  }

  /**
   * The user whose password this is, and `settle`: what a right password does besides (its attempt given back,
   * a hash of older parameters redone), which a login runs beside the session's start, not before it.
   */
  async function checkPassword({ username, password, sourceIp }: Pick<Credentials, 'username' | 'password' | 'sourceIp'>) {
    if (typeof username !== 'string' || typeof password !== 'string' || username === '' || password === '') {
      throw new AuthError('invalid_request', '"username" and "password" are required strings.');
    }
    const key = loginKey(username);
    const found = users.findByUsername(key);
    return Promise.all([guard.reserve(key, sourceIp, seconds()), found])
      .then(([reservation, user]) => checked(user, reservation))
      .catch((error: unknown) => refusedLogin(error, found));

    async function checked(user: User | undefined, reservation: Reservation) {
      if (!(await hasher().verify(user?.passwordHash, password as string)) || !user) throw badCredentials();
      // The right password gives its attempt back, whatever else refuses the login.
      const givenBack = guard.succeeded(reservation);
      if (user.disabled) {
        await givenBack;
        throw disabledAccount();
      }
      const settle = async () => {
        await givenBack;
        if (hasher().needsRehash(user.passwordHash)) await users.rehash(user, await hasher().hash(password as string));
      };
      return { user, settle };
    }
  }

  /**
   * Starts a session of `user` and issues its tokens. The credential checked must still be the current one when
   * the session exists: a password change racing this either shows here, or leaves the session on a stale
   * version that never refreshes.
   */
  async function sessionFor(user: User, clientId: string, scope: string, from: Pick<Credentials, 'sourceIp' | 'userAgent'> & { confidential?: boolean }) {
    const [started, current] = await Promise.all([startSession(user, clientId, scope.split(' '), from), users.get(user.sub)]);
    if (!belongsToCurrentCredential(started.session, current) || current?.disabled) {
      await sessions.revoke(started.session.id);
      throw badCredentials();
    }
    return { tokens: await issue(started.session, started.refreshToken, scope), sessionId: started.session.id };
  }

  /** Creates a user; the verification of its address, if any, is queued by `announce` once the caller is done. */
  async function createUser({ username, password, email }: Pick<Credentials, 'username' | 'password' | 'email'>) {
    const name = prepareUsername(username);
    const secret = newPassword(password);
    const address = email === undefined ? undefined : normalizeEmail(email);
    const sub = randomUUID();
    const verification = address === undefined ? undefined : emailVerification(sendsMail(), { sub, displayName: name.displayName }, address, seconds());
    const user = await users.create(name, await hasher().hash(secret), seconds(), {
      sub,
      ...(verification && address ? { email: { address, token: verification.pending } } : {}),
    });
    const announce = async (details: Record<string, string>) => {
      // The account exists whatever becomes of the message: a lost one is sent again by POST /auth/email.
      if (verification) await sendsMail().queue.send(verification.message).catch((error: unknown) => logger.warn('could not queue a verification message', error));
      count('Registrations');
      logger.info('user registered', { sub: user.sub, ...details });
    };
    return { user, announce };
  }

  /** Creates a user at the hosted sign-up page: no session of its own (the browser's sign-in follows). */
  async function signUp(credentials: Pick<Credentials, 'username' | 'password' | 'email'>): Promise<User> {
    const { user, announce } = await createUser(credentials);
    await announce({ via: 'hosted_page' });
    return user;
  }

  return {
    /** Creates a user and starts their first session. */
    async register({ username, password, scope, clientId = DEFAULT_CLIENT_ID, email, sourceIp, userAgent }: Credentials): Promise<IssuedTokens> {
      const granted = resolveScope(scope, config.defaultScopes);
      const { user, announce } = await createUser({ username, password, email });
      // No transactions here: if the session cannot be stored, take the user back, so a retry can succeed.
      const started = await startSession(user, clientId, granted.split(' '), { sourceIp, userAgent }).catch(async (error: unknown) => {
        await users.remove(user).catch((cleanup: unknown) => logger.warn('could not take back a registration', cleanup));
        throw error;
      });
      await announce({ sid: started.session.id, client_id: clientId });
      return issue(started.session, started.refreshToken, granted);
    },

    /**
     * Checks a password and starts a session. The attempt is reserved before the hash is checked (lib/throttle.ts);
     * an unknown user and a wrong password answer alike, after the same reads and the same hash.
     */
    async login({ username, password, scope, clientId = DEFAULT_CLIENT_ID, sourceIp, userAgent, confidential }: Credentials): Promise<IssuedTokens> {
      // Well-formed and known to the service, before any attempt is counted; the user's own after the password.
      if (scope !== undefined) resolveScope(scope, config.scopes);
      const { user, settle } = await checkPassword({ username, password, sourceIp });
      let granted: string;
      try {
        granted = scopeFor(user, scope);
      } catch (error) {
        await settle();
        throw error;
      }
      const [{ tokens: issued }] = await Promise.all([sessionFor(user, clientId, granted, { sourceIp, userAgent, confidential }), settle()]);
      count('Logins');
      return issued;
    },

    authenticate,

    /** A new session of `user` for `clientId` with `scope` (already granted), e.g. for an authorization code. */
    sessionFor,

    /** What `user` may be granted of `requested` (space-separated): `invalid_scope` when any of it is not theirs. */
    scopeFor,

    signUp,

    /**
     * Rotates a refresh token, reading the user in parallel: a session of a deleted user, or one started under
     * an older credential, ends here. `scope` may narrow the access token's scope, never widen it (RFC 6749 §6).
     */
    async refresh(refreshToken: string, scope?: string, { clientId = DEFAULT_CLIENT_ID, sourceIp, clientAuthenticated }: RefreshOrigin = {}): Promise<IssuedTokens> {
      const presented = parseRefreshToken(refreshToken);
      // Syntax and known scopes are checked here; "granted to this session" inside the rotation's write.
      const narrowed = scope === undefined ? undefined : resolveScope(scope, config.scopes).split(' ');
      const [rotated, user] = await Promise.all([
        sessions.rotate(presented, seconds(), { clientId, scopes: narrowed, source: coarseAddress(sourceIp), clientAuthenticated }),
        users.get(presented.sub),
      ]);
      if (!belongsToCurrentCredential(rotated.session, user) || !user || user.disabled) {
        await sessions.revoke(rotated.session.id);
        throw rejectedRefreshToken();
      }
      const scopes = grantable(narrowed ?? rotated.session.scopes, user);
      // Everything asked for was withdrawn from this user: no token for nothing. (The presented refresh
      // token still gets this very successor within the reuse grace, so a retry without `scope` loses nothing.)
      if (narrowed && scopes.length === 0) throw new AuthError('invalid_scope', 'The requested scope is no longer granted to this user.');
      count('Refreshes');
      return issue(rotated.session, rotated.refreshToken, ordered(scopes));
    },

    /** Ends the session a refresh token belongs to. Unknown tokens are ignored (RFC 7009 §2.2). */
    async logout(refreshToken: string): Promise<void> {
      let presented;
      try {
        presented = parseRefreshToken(refreshToken);
      } catch {
        return;
      }
      await sessions.revoke(presented.sid);
    },

    /** Ends every session of the user at once, the caller's included, by raising the credential version. */
    async logoutAll(sub: string): Promise<void> {
      if ((await users.raiseCredentialVersion(sub)) === undefined) throw noSuchUser();
      logger.security('sessions_revoked', { sub }, { reason: 'logout_all' });
      await cleanUp(sub);
    },

    async profile(sub: string): Promise<Profile> {
      const user = await users.get(sub);
      if (!user) throw noSuchUser();
      return { sub: user.sub, username: user.displayName, email: user.email ?? null, email_verified: user.emailVerified === true };
    },

    /** The user's live sessions, newest first, at most MAX_SESSIONS_PER_USER. */
    /**
     * The OpenID Connect userinfo claims (Core §5.3) that `scope` allows: `sub` always, `preferred_username`
     * with `profile`, and with `email` the address once verified.
     */
    async userinfo(sub: string, scope: string): Promise<Record<string, string | boolean>> {
      const user = await users.get(sub);
      if (!user || user.disabled) throw noSuchUser();
      const scopes = new Set(scope.split(' '));
      return {
        sub: user.sub,
        ...(scopes.has('profile') ? { preferred_username: user.displayName } : {}),
        ...(scopes.has('email') && user.email && user.emailVerified === true ? { email: user.email, email_verified: true } : {}),
      };
    },

    async listSessions(sub: string): Promise<SessionSummary[]> {
      const user = await users.get(sub);
      if (!user) return [];
      return sessions.list(sub, seconds(), { limit: config.maxSessionsPerUser, credentialVersion: user.credentialVersion, details: true });
    },

    async revokeSession(sub: string, sid: string): Promise<void> {
      if (!(await sessions.revokeOwned(sid, sub))) throw new AuthError('not_found', 'There is no such session.');
    },

    /**
     * Changes the password after checking the current one through the password guard. The new hash and a new
     * credential version are one conditional write: every session started under the old password ends at
     * once, including those whose login raced this change; the caller's own session moves to the new version.
     */
    async changePassword(who: Account, password: unknown, replacement: unknown): Promise<void> {
      if (typeof password !== 'string' || password === '') throw new AuthError('invalid_request', '"password" is required.');
      const next = newPassword(replacement, 'new_password');
      const user = await users.get(who.sub);
      if (!user) throw noSuchUser();
      const reservation = await guard.reserve(user.username, who.sourceIp, seconds());
      if (!(await hasher().verify(user.passwordHash, password))) {
        throw new AuthError('invalid_grant', 'The current password is incorrect.');
      }
      const [hash] = await Promise.all([hasher().hash(next), guard.succeeded(reservation)]);
      const changed = await users.changePassword(user, hash);
      if (!changed) throw new AuthError('invalid_request', 'The password was changed concurrently; try again.', { status: 409 });
      await sessions.adopt(who.sid, who.sub, user.credentialVersion, changed.credentialVersion);
      logger.security('password_changed', { sub: who.sub, sid: who.sid }, { other_sessions: 'revoked' });
      await cleanUp(who.sub, new Set([who.sid]));
    },
  };
}

export type AuthService = ReturnType<typeof createAuthService>;
