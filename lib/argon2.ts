import { hash, parseOptions, verify } from '@node-rs/argon2';
import { normalizedPassword, type PasswordHasher } from './passwords';

/** OWASP's minimum for argon2id (m=19 MiB, t=2, p=1), recorded in each PHC string. */
export const ARGON2ID = { algorithm: 2 /* Algorithm.Argon2id, a const enum */, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

/**
 * What an unknown user's password is checked against: a hash, with today's parameters, of a random password
 * nobody knows. A constant, so no container pays for a second hash on its first login.
 */
const DUMMY_HASH = '$argon2id$v=19$m=19456,t=2,p=1$lUdY99v1Q4Oaz5987Prjeg$TzL2/GiMQei4k3YfhJL6GAFOyao3goAsw4WIT/rtcZs';

export function hashPassword(password: string): Promise<string> {
  return hash(normalizedPassword(password), ARGON2ID);
}

export function needsRehash(stored: string): boolean {
  try {
    const used = parseOptions(stored);
    return used.algorithm !== ARGON2ID.algorithm || used.memoryCost !== ARGON2ID.memoryCost
      || used.timeCost !== ARGON2ID.timeCost || used.parallelism !== ARGON2ID.parallelism;
  } catch {
    return true;
  }
}

export async function verifyPassword(stored: string | undefined, password: string): Promise<boolean> {
  let matches: boolean;
  try {
    matches = await verify(stored ?? DUMMY_HASH, normalizedPassword(password));
  } catch {
    matches = false;
  }
  return stored !== undefined && matches;
}

/** argon2id with OWASP's parameters. */
export const argon2Hasher: PasswordHasher = { hash: hashPassword, verify: verifyPassword, needsRehash };
