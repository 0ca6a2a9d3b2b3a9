import type { Config } from './config';
import { logger } from './log';
import { AuthError } from './errors';
import { hashPassword, needsRehash, validateNewPassword, verifyPassword } from './passwords';
import { parseRefreshToken } from './refresh-tokens';
import { resolveScope } from './scopes';
import type { Session, SessionStore, SessionSummary } from './sessions';
import type { LoginGuard } from './throttle';
import type { TokenService } from './tokens';
import { normalizeUsername, type UserStore } from './users';

/** What a successful grant hands the client (the RFC 6749 §5.1 token response's content). */
export interface IssuedTokens {
  accessToken: string;
  expiresIn: number;
  refreshToken: string;
  scope: string;
}

/** The client id recorded when a client names none (public clients, RFC 6749 §2.1). */
export const DEFAULT_CLIENT_ID = 'default';

export interface AuthServiceDeps {
  config: Pick<Config, 'defaultScopes'>;
  users: UserStore;
  sessions: SessionStore;
  tokens: TokenService;
  guard: LoginGuard;
  /** Milliseconds since the epoch. */
  now?: () => number;
}

export interface Credentials {
  username: unknown;
  password: unknown;
  scope?: string;
  clientId?: string;
  /** The caller's IP, for login throttling. */
  sourceIp?: string;
}

const badCredentials = () => new AuthError('invalid_grant', 'The username or password is incorrect.');

/** The service's use cases; handlers parse HTTP, call one of these, and answer. */
export function createAuthService({ config, users, sessions, tokens, guard, now = Date.now }: AuthServiceDeps) {
  const seconds = () => Math.floor(now() / 1000);

  /** Scopes in the order the configuration lists them, unknown ones last. */
  const ordered = (scopes: Iterable<string>) =>
    [...scopes].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b)).join(' ');
  const rank = (scope: string) => {
    const index = config.defaultScopes.indexOf(scope);
    return index === -1 ? Number.MAX_SAFE_INTEGER : index;
  };

  async function issue(session: Session, refreshToken: string, scope = ordered(session.scopes)): Promise<IssuedTokens> {
    const { accessToken, expiresIn } = await tokens.issue({ sub: session.sub, scope, sid: session.id, clientId: session.clientId });
    return { accessToken, expiresIn, refreshToken, scope };
  }

  return {
    /** Creates a user and starts their first session. */
    async register({ username, password, scope, clientId = DEFAULT_CLIENT_ID }: Credentials): Promise<IssuedTokens> {
      const name = normalizeUsername(username);
      const secret = validateNewPassword(password);
      const granted = resolveScope(scope, config.defaultScopes);
      const user = await users.create(name.key, name.displayName, await hashPassword(secret), seconds());
      // No transactions here: if the session cannot be stored, take the user back, so a retry can succeed.
      const started = await sessions.start(user.sub, clientId, granted.split(' '), seconds()).catch(async (error: unknown) => {
        await users.remove(user).catch((cleanup: unknown) => logger.warn('could not take back a registration', cleanup));
        throw error;
      });
      return issue(started.session, started.refreshToken);
    },

    /**
     * Checks a password and starts a session. Unknown user and wrong password answer alike, after the same
     * hash; repeated failures per username and per IP are throttled (429 with Retry-After).
     */
    async login({ username, password, scope, clientId = DEFAULT_CLIENT_ID, sourceIp }: Credentials): Promise<IssuedTokens> {
      if (typeof username !== 'string' || typeof password !== 'string' || username === '' || password === '') {
        throw new AuthError('invalid_request', '"username" and "password" are required strings.');
      }
      const granted = resolveScope(scope, config.defaultScopes);
      let key: string | undefined;
      try {
        key = normalizeUsername(username).key;
      } catch {
        key = undefined; // no such user can exist; the IP is still counted and one hash still paid for
      }
      const [state, user] = await Promise.all([guard.read(key, sourceIp), key === undefined ? undefined : users.get(key)]);
      guard.check(state, seconds());
      if (!(await verifyPassword(user?.passwordHash, password)) || !user || key === undefined) {
        await guard.recordFailure(key, sourceIp, seconds());
        throw badCredentials();
      }
      await guard.recordSuccess(state, key);
      if (needsRehash(user.passwordHash)) await users.setPasswordHash(user, await hashPassword(password));
      const started = await sessions.start(user.sub, clientId, granted.split(' '), seconds());
      return issue(started.session, started.refreshToken);
    },

    /** Rotates a refresh token; `scope` may narrow the access token's scope, never widen it (RFC 6749 §6). */
    async refresh(refreshToken: string, scope?: string, clientId?: string): Promise<IssuedTokens> {
      const presented = parseRefreshToken(refreshToken);
      // Syntax and known scopes are checked here; "granted to this session" inside the rotation's write.
      const narrowed = scope === undefined ? undefined : resolveScope(scope, config.defaultScopes).split(' ');
      const { session, refreshToken: next } = await sessions.rotate(presented, seconds(), { clientId, scopes: narrowed });
      return issue(session, next, narrowed === undefined ? undefined : ordered(narrowed));
    },

    /** Ends the session a refresh token belongs to. Unknown tokens are ignored (RFC 7009 §2.2). */
    async logout(refreshToken: string): Promise<void> {
      let presented;
      try {
        presented = parseRefreshToken(refreshToken);
      } catch {
        return;
      }
      await sessions.revokeByToken(presented);
    },

    async logoutAll(sub: string): Promise<void> {
      await sessions.revokeAll(sub);
    },

    async profile(sub: string): Promise<{ sub: string; username: string }> {
      const user = await users.getBySub(sub);
      if (!user) throw new AuthError('invalid_token', 'The access token belongs to no user.');
      return { sub: user.sub, username: user.displayName };
    },

    listSessions(sub: string): Promise<SessionSummary[]> {
      return sessions.list(sub, seconds());
    },

    async revokeSession(sub: string, sid: string): Promise<void> {
      if (!(await sessions.revokeOwned(sid, sub))) throw new AuthError('not_found', 'There is no such session.');
    },

    /** Changes the password after checking the current one; every other session of the user ends. */
    async changePassword(sub: string, currentSid: string, password: unknown, newPassword: unknown): Promise<void> {
      if (typeof password !== 'string' || password === '') throw new AuthError('invalid_request', '"password" is required.');
      const replacement = validateNewPassword(newPassword, 'new_password');
      const user = await users.getBySub(sub);
      if (!user) throw new AuthError('invalid_token', 'The access token belongs to no user.');
      if (!(await verifyPassword(user.passwordHash, password))) {
        throw new AuthError('invalid_grant', 'The current password is incorrect.');
      }
      // Sessions first: if that fails, the password is unchanged and the client's retry does it all.
      await sessions.revokeAll(sub, currentSid);
      if (!(await users.setPasswordHash(user, await hashPassword(replacement)))) {
        throw new AuthError('invalid_request', 'The password was changed concurrently; try again.', { status: 409 });
      }
    },
  };
}

export type AuthService = ReturnType<typeof createAuthService>;
