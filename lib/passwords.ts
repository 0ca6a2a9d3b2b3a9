import { hash, parseOptions, verify } from '@node-rs/argon2';
import { AuthError } from './errors';

/** OWASP's minimum for argon2id (m=19 MiB, t=2, p=1), recorded in each PHC string. */
export const ARGON2ID = { algorithm: 2 /* Algorithm.Argon2id, a const enum */, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export const PASSWORD_MIN_LENGTH = 8;
/** Generous for passphrases, small enough that hashing cost stays bounded. */
export const PASSWORD_MAX_LENGTH = 256;

/** NIST SP 800-63B §5.1.1.2: passwords are hashed and compared in NFKC, so every way of typing one matches. */
const normalized = (password: string) => password.normalize('NFKC');

/** Whether a password is on a list of common and breached ones (lib/common-passwords.ts, injected by the functions that set passwords). */
export type CommonPasswordCheck = (password: string) => boolean;

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

export function hashPassword(password: string): Promise<string> {
  return hash(normalized(password), ARGON2ID);
}

/** True when a stored hash was made with parameters other than today's, so login should rehash it. */
export function needsRehash(stored: string): boolean {
  try {
    const used = parseOptions(stored);
    return used.algorithm !== ARGON2ID.algorithm || used.memoryCost !== ARGON2ID.memoryCost
      || used.timeCost !== ARGON2ID.timeCost || used.parallelism !== ARGON2ID.parallelism;
  } catch {
    return true;
  }
}

/**
 * What an unknown user's password is checked against: a hash, with today's parameters, of a random password
 * nobody knows. A constant, so no container pays for a second hash on its first login.
 */
const DUMMY_HASH = '$argon2id$v=19$m=19456,t=2,p=1$lUdY99v1Q4Oaz5987Prjeg$TzL2/GiMQei4k3YfhJL6GAFOyao3goAsw4WIT/rtcZs';

/**
 * Checks a password against a stored hash. With no stored hash (an unknown user) it still runs one full
 * verification against a dummy hash, so both cases cost the same and answer the same.
 */
export async function verifyPassword(stored: string | undefined, password: string): Promise<boolean> {
  const target = stored ?? DUMMY_HASH;
  let matches: boolean;
  try {
    matches = await verify(target, normalized(password));
  } catch {
    matches = false;
  }
  return stored !== undefined && matches;
}
