import type { Account } from './auth';
import type { MailConfig } from './config';
import { normalizeEmail } from './email';
import { AuthError } from './errors';
import { logger } from './log';
import { count } from './metrics';
import type { MailQueue, Message } from './mail';
import { composeMessage, withToken } from './messages';
import { invalidLink, mintOneTimeToken, parseOneTimeToken, type TokenPurpose } from './one-time-tokens';
import { validateNewPassword, type CommonPasswordCheck, type PasswordHasher } from './passwords';
import type { SessionStore } from './sessions';
import type { PasswordGuard } from './throttle';
import { loginKey, type PendingToken, type User, type UserStore } from './users';

/** How many sessions one request deletes after a reset or a deletion ended them; the rest expire by TTL. */
const CLEANUP_BUDGET = 1000;
/** What a reset request for no account writes to, so that it costs the same write as one for an account. */
const NOBODY = '00000000-0000-4000-8000-000000000000';

/** The messages of a function that sends them: its settings and its queue (lib/mail.ts). */
export interface AccountMail {
  config: MailConfig;
  queue: MailQueue;
}

/** A token for a message, and the message itself, made together so that one never goes without the other. */
function prepare(mail: AccountMail, purpose: TokenPurpose, user: Pick<User, 'sub' | 'displayName'>, to: string, now: number) {
  const ttl = purpose === 'reset_password' ? mail.config.passwordResetTtl : mail.config.emailVerificationTtl;
  const base = purpose === 'reset_password' ? mail.config.passwordResetUrl : mail.config.emailVerificationUrl;
  const minted = mintOneTimeToken(user.sub, purpose);
  const pending: PendingToken = { hash: minted.hash, expiresAt: now + ttl };
  const message: Message = composeMessage(purpose, {
    to,
    sub: user.sub,
    username: user.displayName,
    token: minted.token,
    link: withToken(base, minted.token),
    expiresIn: ttl,
  });
  return { pending, message };
}

/** The verification of a new address: its token's hash for the user item, and the message to send. */
export function emailVerification(mail: AccountMail, user: Pick<User, 'sub' | 'displayName'>, address: string, now: number) {
  return prepare(mail, 'verify_email', user, address, now);
}

export interface AccountServiceDeps {
  users: UserStore;
  sessions: SessionStore;
  /** The password guard of logins: the password of a change of address or a deletion counts like a login's. */
  guard: PasswordGuard;
  /** A guard of its own for reset requests, so they never use up anyone's login attempts. */
  resetGuard: PasswordGuard;
  passwords?: PasswordHasher;
  isCommonPassword?: CommonPasswordCheck;
  mail?: AccountMail;
  /** Milliseconds since the epoch. */
  now?: () => number;
}

/**
 * Recovering and leaving an account: verified addresses, password resets, deletion. Every token a message
 * carries is single-use, expires, and is kept only as a hash on the user (lib/one-time-tokens.ts).
 */
export function createAccountService({ users, sessions, guard, resetGuard, passwords, isCommonPassword, mail, now = Date.now }: AccountServiceDeps) {
  const seconds = () => Math.floor(now() / 1000);
  const cannot = (what: string) => new AuthError('server_error', `This function cannot ${what}.`);
  const hasher = () => passwords ?? (() => { throw cannot('check passwords'); })();
  const mailer = () => mail ?? (() => { throw cannot('send messages'); })();

  async function cleanUp(sub: string): Promise<void> {
    await sessions.removeAll(sub, new Set(), CLEANUP_BUDGET).catch((error: unknown) => logger.warn('could not delete ended sessions', error));
  }

  /** The caller's user, after its password was checked through the login guard. */
  async function provenBy(who: Account, password: unknown): Promise<User> {
    if (typeof password !== 'string' || password === '') throw new AuthError('invalid_request', '"password" is required.');
    const user = await users.get(who.sub);
    if (!user) throw new AuthError('invalid_token', 'The user no longer exists.');
    const reservation = await guard.reserve(user.username, who.sourceIp, seconds());
    if (!(await hasher().verify(user.passwordHash, password))) throw new AuthError('invalid_grant', 'The password is incorrect.');
    await guard.succeeded(reservation);
    // Held for an investigation: nothing changes until an operator enables it again.
    if (user.disabled) throw new AuthError('invalid_grant', 'This account is disabled.');
    return user;
  }

  return {
    /** POST /auth/email/verify: the address the token was sent to becomes the user's verified address. */
    async verifyEmail(value: unknown): Promise<void> {
      const presented = parseOneTimeToken(value, 'verify_email');
      const user = await users.get(presented.sub);
      if (!user || user.disabled || !(await users.confirmEmail(user, presented.hash, seconds()))) throw invalidLink();
    },

    /**
     * POST /auth/email: a new address for the caller, re-verified. Needs the password (checked like a
     * login's): with a stolen access token alone, no one can point the account's resets at their own inbox.
     * The address verified before stays the one resets go to until the new one is verified.
     */
    async changeEmail(who: Account, password: unknown, email: unknown): Promise<void> {
      const address = normalizeEmail(email);
      const user = await provenBy(who, password);
      if (user.emailVerified && user.email === address) return;
      const { pending, message } = emailVerification(mailer(), user, address, seconds());
      if (!(await users.setPendingEmail(user.sub, address, pending))) throw new AuthError('invalid_token', 'The user no longer exists.');
      await mailer().queue.send(message);
    },

    /**
     * POST /auth/password/forgot {username} or {email}: a reset link to the account's verified address. The
     * answer, the reads, the one conditional write and the hand-over to the mail queue are the same whether
     * or not the account exists, has a verified address, or is disabled.
     */
    async forgotPassword(input: { username?: unknown; email?: unknown }, sourceIp: string | undefined): Promise<void> {
      const byName = input.username !== undefined;
      if (byName === (input.email !== undefined)) throw new AuthError('invalid_request', 'Send exactly one of "username" and "email".');
      if (byName && (typeof input.username !== 'string' || input.username === '')) throw new AuthError('invalid_request', '"username" must be a string.');
      const key = byName ? loginKey(input.username as string) : normalizeEmail(input.email);
      const queue = mailer().queue;
      const [, found] = await Promise.all([
        resetGuard.reserve(`${byName ? 'name' : 'email'}:${key}`, sourceIp, seconds()),
        byName ? users.findByUsername(key) : users.findByVerifiedEmail(key),
      ]);
      const user = found && !found.disabled && found.verifiedEmail ? found : undefined;
      const { pending, message } = prepare(mailer(), 'reset_password', user ?? { sub: NOBODY, displayName: '' }, user?.verifiedEmail ?? '', seconds());
      const recorded = await users.setResetToken(user?.sub ?? NOBODY, pending);
      await queue.send(user && recorded ? message : undefined);
      // The same line for every request (the log is the operator's, never the caller's): the account, if any.
      count('PasswordResetRequests');
      logger.security('password_reset_requested', { sub: user && recorded ? user.sub : undefined }, { by: byName ? 'username' : 'email' });
    },

    /**
     * POST /auth/password/reset {token, new_password}: the new password, and every session of the account
     * ended, in one conditional write that also spends the token (the credential version).
     */
    async resetPassword(value: unknown, replacement: unknown): Promise<void> {
      const presented = parseOneTimeToken(value, 'reset_password');
      if (!isCommonPassword) throw cannot('set passwords');
      const next = validateNewPassword(replacement, isCommonPassword, 'new_password');
      const user = await users.get(presented.sub);
      // Checked before the (slow) hash, so that forged tokens cost no hashing; checked again in the write.
      const now = seconds();
      if (!user || user.disabled || user.resetTokenHash !== presented.hash || (user.resetTokenExpiresAt ?? 0) <= now) throw invalidLink();
      const reset = await users.resetPassword(user.sub, presented.hash, await hasher().hash(next), now);
      if (!reset) throw invalidLink();
      count('PasswordResets');
      logger.security('password_reset_completed', { sub: user.sub }, { sessions: 'revoked' });
      await cleanUp(user.sub);
    },

    /**
     * DELETE /me {password}: the user, the claims on its name and address, and its sessions are gone (any
     * left over no longer refresh, their user being gone, and expire by TTL); the name is free again.
     */
    async deleteAccount(who: Account, password: unknown): Promise<void> {
      const user = await provenBy(who, password);
      await users.remove(user);
      count('AccountsDeleted');
      logger.security('account_deleted', { sub: user.sub, sid: who.sid }, { by: 'user' });
      await cleanUp(user.sub);
    },
  };
}

export type AccountService = ReturnType<typeof createAccountService>;
