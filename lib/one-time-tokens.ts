import { createHash, randomBytes } from 'node:crypto';
import { AuthError } from './errors';

/**
 * The tokens that messages carry (verify an address, reset a password): 48 bytes, base64url (64
 * characters): the 16 bytes of the account's `sub`, so a use reads the account directly, then 32 random
 * bytes (256 bits). The account keeps only a hash of it, bound to its purpose (a verification token never
 * resets a password), with an expiry; a newer token of the same purpose replaces the hash, so older ones
 * stop working; a use removes it in the same conditional write that acts on it, so it works once.
 */
export type TokenPurpose = 'verify_email' | 'reset_password';

const OWNER_BYTES = 16;
const SECRET_BYTES = 32;
const LENGTH = Math.ceil(((OWNER_BYTES + SECRET_BYTES) * 8) / 6);

export interface OneTimeToken {
  token: string;
  sub: string;
  /** What the account stores: SHA-256 over the purpose and the token. */
  hash: string;
}

const hashOf = (purpose: TokenPurpose, token: string) => createHash('sha256').update(`${purpose}:${token}`).digest('base64url');
const subOf = (owner: Buffer) => owner.toString('hex').replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function mintOneTimeToken(sub: string, purpose: TokenPurpose): OneTimeToken {
  if (!UUID.test(sub)) throw new TypeError('a one-time token is minted for a UUID sub');
  const token = Buffer.concat([Buffer.from(sub.replace(/-/g, ''), 'hex'), randomBytes(SECRET_BYTES)]).toString('base64url');
  return { token, sub, hash: hashOf(purpose, token) };
}

export const invalidLink = () => new AuthError('invalid_grant', 'The token is invalid, expired, superseded or already used.');

/** Reads a presented token; a malformed one is `invalid_grant`, like an unknown one. */
export function parseOneTimeToken(value: unknown, purpose: TokenPurpose): OneTimeToken {
  if (typeof value !== 'string') throw new AuthError('invalid_request', '"token" is required.');
  if (value.length !== LENGTH || !/^[A-Za-z0-9_-]+$/.test(value)) throw invalidLink();
  const bytes = Buffer.from(value, 'base64url');
  if (bytes.length !== OWNER_BYTES + SECRET_BYTES || bytes.toString('base64url') !== value) throw invalidLink();
  return { token: value, sub: subOf(bytes.subarray(0, OWNER_BYTES)), hash: hashOf(purpose, value) };
}
