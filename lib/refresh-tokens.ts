import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import { AuthError } from './errors';

/**
 * An opaque refresh token is 48 random bytes, base64url: a 16-byte family key that stays the same for the
 * whole session, then a 32-byte secret (256 bits) that is new at every rotation. The session id is a hash
 * of the family key, so it can be shown (in `sid` claims, in GET /sessions) without letting anyone forge a
 * token of that session; and any token that maps to a session proves its bearer once held one of its tokens.
 */
const FAMILY_BYTES = 16;
const SECRET_BYTES = 32;
const TOKEN_LENGTH = Math.ceil(((FAMILY_BYTES + SECRET_BYTES) * 8) / 6); // 64 base64url characters
const TOKEN_PATTERN = /^[A-Za-z0-9_-]+$/;

export interface RefreshToken {
  token: string;
  sid: string;
  /** What the store keeps: SHA-256 of the token. A 256-bit random secret needs no slow hash. */
  hash: string;
}

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('base64url');

function describe(token: string, familyKey: Buffer): RefreshToken {
  return { token, sid: sha256(Buffer.concat([Buffer.from('sid:'), familyKey])).slice(0, 22), hash: sha256(token) };
}

/** A token for a new session (no family key) or the next token of an existing one. */
export function mintRefreshToken(previous?: string): RefreshToken {
  const familyKey = previous === undefined ? randomBytes(FAMILY_BYTES) : Buffer.from(previous, 'base64url').subarray(0, FAMILY_BYTES);
  const token = Buffer.concat([familyKey, randomBytes(SECRET_BYTES)]).toString('base64url');
  return describe(token, familyKey);
}

/** Checks the shape of a presented refresh token; a malformed one is `invalid_grant`, like an unknown one. */
export function parseRefreshToken(value: string): RefreshToken {
  if (value.length !== TOKEN_LENGTH || !TOKEN_PATTERN.test(value)) {
    throw new AuthError('invalid_grant', 'The refresh token is invalid, expired or revoked.');
  }
  return describe(value, Buffer.from(value, 'base64url').subarray(0, FAMILY_BYTES));
}

/**
 * The successor of a rotated token is kept sealed (AES-256-GCM) under a key derived from the token it
 * replaced, so that a retry with that token inside the grace window gets the very same successor back,
 * while the table alone reveals nothing usable.
 */
function successorKey(presented: RefreshToken): Buffer {
  return Buffer.from(hkdfSync('sha256', presented.token, presented.sid, 'refresh-token successor v1', 32));
}

export function sealSuccessor(presented: RefreshToken, successor: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', successorKey(presented), iv);
  const sealed = Buffer.concat([cipher.update(successor, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, sealed, cipher.getAuthTag()]).toString('base64url');
}

/** Opens a sealed successor; undefined when it was not sealed under this token. */
export function openSuccessor(presented: RefreshToken, sealed: string): string | undefined {
  const bytes = Buffer.from(sealed, 'base64url');
  try {
    const decipher = createDecipheriv('aes-256-gcm', successorKey(presented), bytes.subarray(0, 12));
    decipher.setAuthTag(bytes.subarray(bytes.length - 16));
    return Buffer.concat([decipher.update(bytes.subarray(12, bytes.length - 16)), decipher.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}
