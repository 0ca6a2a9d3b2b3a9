import { AuthError } from './errors';

/**
 * The rules of a password, and the shape of what hashes one. The hasher itself (lib/argon2.ts) carries a
 * native addon: only the functions that check or set a password are given one (lib/password-deps.ts).
 */
export const PASSWORD_MIN_LENGTH = 8;
/** Generous for passphrases, small enough that hashing cost stays bounded. */
export const PASSWORD_MAX_LENGTH = 256;

/** NIST SP 800-63B §5.1.1.2: passwords are hashed and compared in NFKC, so every way of typing one matches. */
export const normalizedPassword = (password: string) => password.normalize('NFKC');

/** Whether a password is on a list of common and breached ones (lib/common-passwords.ts, injected by the functions that set passwords). */
export type CommonPasswordCheck = (password: string) => boolean;

/** Hashes and checks passwords. */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /**
   * Checks a password against a stored hash. With no stored hash (an unknown user) it still costs one full
   * verification, so both cases take the same time and answer the same: false.
   */
  verify(stored: string | undefined, password: string): Promise<boolean>;
  /** True when a stored hash was made with other parameters than today's, so a login should rehash it. */
  needsRehash(stored: string): boolean;
}

/**
 * Checks a new password's rules (NIST SP 800-63B §5.1.1.2): its length in characters as the user typed
 * them (one character that NFKC expands to many is still one), and that it is not a common password.
 * Returns it as typed: hashing normalizes it.
 */
export function validateNewPassword(value: unknown, isCommon: CommonPasswordCheck, field = 'password'): string {
  if (typeof value !== 'string') throw new AuthError('invalid_request', `"${field}" must be a string.`);
  const length = [...value].length;
  if (length < PASSWORD_MIN_LENGTH || length > PASSWORD_MAX_LENGTH) {
    throw new AuthError('invalid_request', `"${field}" must be ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters long.`);
  }
  if (isCommon(value)) throw new AuthError('invalid_request', `"${field}" is one of the most common passwords; choose another.`);
  return value;
}
