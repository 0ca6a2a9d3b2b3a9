import { logger } from './log';
import type { Config } from './config';
import { AuthError } from './errors';
import { validateNewPassword, type CommonPasswordCheck, type PasswordHasher } from './passwords';
import { sessionView, type SessionStore, type SessionSummary } from './sessions';
import { prepareUsername } from './usernames';
import { loginKey, type User, type UserStore } from './users';

/**
 * What an operator does to accounts (`npm run admin`, scripts/admin/): the stores and rules of the HTTP
 * routes, with the operator's authority in place of the user's password. The command line finds a user,
 * asks for confirmation, then acts on the user it found, so a prompt always names who it is about.
 */
export interface AdminDeps {
  config: Pick<Config, 'scopes' | 'defaultScopes'>;
  users: UserStore;
  sessions: SessionStore;
  /** Only `createUser` hashes, and only it needs the hasher and the common-password list. */
  passwords?: PasswordHasher;
  isCommonPassword?: CommonPasswordCheck;
  /** Milliseconds since the epoch. */
  now?: () => number;
}

/** What `user show` says about a user: the item's facts an operator acts on, never a hash or a token. */
export interface UserView {
  sub: string;
  username: string;
  /** ISO 8601. */
  created: string;
  email: string | null;
  emailVerified: boolean;
  disabled: boolean;
  /** Scopes granted to this user beyond DEFAULT_SCOPES, sorted. */
  scopes: string[];
  credentialVersion: number;
  /** Sessions that would refresh now: not expired, and of the current credential version. */
  liveSessions: number;
}

/** A session as `sessions list` shows it; times are ISO 8601. */
export type SessionView = ReturnType<typeof sessionView>;

const iso = (epochSeconds: number) => new Date(epochSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');

const noSuchUser = (username: string) => new AuthError('not_found', `There is no user named "${username}".`);

export function createAdminService({ config, users, sessions, passwords, isCommonPassword, now = Date.now }: AdminDeps) {
  const seconds = () => Math.floor(now() / 1000);
  const live = (user: User): Promise<SessionSummary[]> => sessions.list(user.sub, seconds(), { credentialVersion: user.credentialVersion });

  async function view(user: User): Promise<UserView> {
    return {
      sub: user.sub,
      username: user.displayName,
      created: iso(user.createdAt),
      email: user.email ?? null,
      emailVerified: user.emailVerified === true,
      disabled: user.disabled === true,
      scopes: [...(user.scopes ?? [])].sort(),
      credentialVersion: user.credentialVersion,
      liveSessions: (await live(user)).length,
    };
  }

  /** The user as it is now, after a write; gone meanwhile is said as for an unknown name. */
  async function reread(user: User): Promise<UserView> {
    const current = await users.get(user.sub);
    if (!current) throw noSuchUser(user.displayName);
    return view(current);
  }

  /** Deletes the items of ended sessions; they no longer refresh, so this is clean-up only. */
  const cleanUp = (user: User) => sessions.removeAll(user.sub);

  return {
    /** The user a typed name belongs to (the login's lenient key), or a `not_found` naming it. */
    async find(username: string): Promise<User> {
      const user = await users.findByUsername(loginKey(username));
      if (!user) throw noSuchUser(username);
      return user;
    },

    view,

    /** The sessions of a user that would refresh now, newest first. */
    async listSessions(user: User): Promise<SessionView[]> {
      const listed = await sessions.list(user.sub, seconds(), { credentialVersion: user.credentialVersion, details: true });
      return listed.map((session) => sessionView(session, iso));
    },

    /**
     * Creates a user by the rules of registration (the username profile, the password rules and the
     * common-password list, argon2id); no session starts.
     */
    async createUser(username: string, password: string): Promise<UserView> {
      if (!passwords || !isCommonPassword) throw new AuthError('server_error', 'This admin service cannot set passwords.');
      const name = prepareUsername(username);
      const secret = validateNewPassword(password, isCommonPassword);
      return view(await users.create(name, await passwords.hash(secret), seconds()));
    },

    /** Disables the account: its credential version goes up in the same write, so every session ends. */
    async disable(user: User): Promise<UserView & { sessionsEnded: number }> {
      const ended = (await live(user)).length;
      if (!(await users.setDisabled(user.sub, true))) throw noSuchUser(user.displayName);
      logger.security('account_disabled', { sub: user.sub }, { by: 'admin' });
      await cleanUp(user);
      return { ...(await reread(user)), sessionsEnded: ended };
    },

    /** Enables the account again; sessions ended by the disable stay ended. */
    async enable(user: User): Promise<UserView> {
      if (!(await users.setDisabled(user.sub, false))) throw noSuchUser(user.displayName);
      logger.security('account_enabled', { sub: user.sub }, { by: 'admin' });
      return reread(user);
    },

    /** What DELETE /me does, without the password: the user, its name and address claims, its sessions. */
    async deleteUser(user: User): Promise<{ sub: string; username: string; sessionsDeleted: number }> {
      await users.remove(user);
      logger.security('account_deleted', { sub: user.sub }, { by: 'admin' });
      return { sub: user.sub, username: user.displayName, sessionsDeleted: await cleanUp(user) };
    },

    /** Grants a scope of SCOPES; `changed` is false when the user had it already. */
    async grantScope(user: User, scope: string): Promise<UserView & { changed: boolean }> {
      if (!config.scopes.includes(scope)) {
        throw new AuthError('invalid_scope', `"${scope}" is not in SCOPES (${config.scopes.join(' ')}): add it there first, for the service and for this command.`);
      }
      const had = user.scopes?.has(scope) === true;
      if (!(await users.grantScope(user.sub, scope))) throw noSuchUser(user.displayName);
      return { ...(await reread(user)), changed: !had };
    },

    /**
     * Withdraws a grant; a refresh stops issuing the scope from then on. A scope no longer in SCOPES can still
     * be withdrawn from a user who holds it (clean-up); any other unknown scope is refused like a grant's.
     */
    async revokeScope(user: User, scope: string): Promise<UserView & { changed: boolean }> {
      const had = user.scopes?.has(scope) === true;
      if (!had && !config.scopes.includes(scope)) {
        throw new AuthError('invalid_scope', `"${scope}" is not in SCOPES (${config.scopes.join(' ')}), and ${user.displayName} holds no grant of it.`);
      }
      if (had && !(await users.revokeScope(user.sub, scope))) throw noSuchUser(user.displayName);
      return { ...(await reread(user)), changed: had };
    },

    /** Ends one session of the user; a session id of no session of theirs is `not_found`. */
    async endSession(user: User, sid: string): Promise<void> {
      if (!(await sessions.revokeOwned(sid, user.sub))) throw new AuthError('not_found', `${user.displayName} has no session "${sid}".`);
    },

    /** Ends every session at once (the credential version, as `POST /auth/logout {all: true}`), then deletes them. */
    async endAllSessions(user: User): Promise<{ sub: string; username: string; credentialVersion: number; sessionsEnded: number }> {
      const ended = (await live(user)).length;
      const credentialVersion = await users.raiseCredentialVersion(user.sub);
      if (credentialVersion === undefined) throw noSuchUser(user.displayName);
      logger.security('sessions_revoked', { sub: user.sub }, { by: 'admin' });
      await cleanUp(user);
      return { sub: user.sub, username: user.displayName, credentialVersion, sessionsEnded: ended };
    },
  };
}

export type AdminService = ReturnType<typeof createAdminService>;
