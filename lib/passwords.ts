import { randomBytes } from 'node:crypto';
import { hash, parseOptions, verify } from '@node-rs/argon2';
import { AuthError } from './errors';

/** OWASP's minimum for argon2id (m=19 MiB, t=2, p=1), recorded in each PHC string. */
export const ARGON2ID = { algorithm: 2 /* Algorithm.Argon2id, a const enum */, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export const PASSWORD_MIN_LENGTH = 8;
/** Generous for passphrases, small enough that hashing cost stays bounded. */
export const PASSWORD_MAX_LENGTH = 256;

/** NIST SP 800-63B §5.1.1.2: passwords are hashed and compared in NFKC, so every way of typing one matches. */
const normalized = (password: string) => password.normalize('NFKC');

/** Checks a new password's rules; returns it as typed (hashing normalizes it). */
export function validateNewPassword(value: unknown, field = 'password'): string {
  if (typeof value !== 'string') throw new AuthError('invalid_request', `"${field}" must be a string.`);
  const length = [...normalized(value)].length;
  if (length < PASSWORD_MIN_LENGTH || length > PASSWORD_MAX_LENGTH) {
    throw new AuthError('invalid_request', `"${field}" must be ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters long.`);
  }
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

let dummyHash: Promise<string> | undefined;

/**
 * Checks a password against a stored hash. With no stored hash (an unknown user) it still runs one full
 * verification against a dummy hash, so both cases cost the same and answer the same.
 */
export async function verifyPassword(stored: string | undefined, password: string): Promise<boolean> {
  dummyHash ??= hashPassword(randomBytes(32).toString('base64url'));
  const target = stored ?? (await dummyHash);
  let matches: boolean;
  try {
    matches = await verify(target, normalized(password));
  } catch {
    matches = false;
  }
  return stored !== undefined && matches;
}
