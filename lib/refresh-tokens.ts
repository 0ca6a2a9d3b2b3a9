import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import { AuthError } from './errors';

/**
 * An opaque refresh token is 64 bytes, base64url: a 16-byte random family key that stays the same for the
 * whole session, the 16 bytes of the owner's `sub` (a UUID, public in every access token: it lets a refresh
 * read the user in parallel with its rotation), then a 32-byte secret (256 bits) that is new at every
 * rotation. The session id is a hash of the family key, so it can be shown (in `sid` claims, in GET
 * /sessions) without letting anyone forge a token of that session; and any token that maps to a session
 * proves its bearer once held one of its tokens.
 */
const FAMILY_BYTES = 16;
const OWNER_BYTES = 16;
const SECRET_BYTES = 32;
const TOKEN_BYTES = FAMILY_BYTES + OWNER_BYTES + SECRET_BYTES;
const TOKEN_LENGTH = Math.ceil((TOKEN_BYTES * 8) / 6); // 86 base64url characters
const TOKEN_PATTERN = /^[A-Za-z0-9_-]+$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface RefreshToken {
  token: string;
  sid: string;
  /** The `sub` of the user the session belongs to. */
  sub: string;
  /** What the store keeps: SHA-256 of the token. A 256-bit random secret needs no slow hash. */
  hash: string;
}

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('base64url');
const subOf = (owner: Buffer) => owner.toString('hex').replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5');

function describe(token: string, bytes: Buffer): RefreshToken {
  const familyKey = bytes.subarray(0, FAMILY_BYTES);
  return {
    token,
    sid: sha256(Buffer.concat([Buffer.from('sid:'), familyKey])).slice(0, 22),
    sub: subOf(bytes.subarray(FAMILY_BYTES, FAMILY_BYTES + OWNER_BYTES)),
    hash: sha256(token),
  };
}

/** The first token of a new session of `sub`, or, given the token it replaces, the next one of its session. */
export function mintRefreshToken(owner: string | RefreshToken): RefreshToken {
  let head: Buffer;
  if (typeof owner === 'string') {
    if (!UUID.test(owner)) throw new TypeError('a refresh token is minted for a UUID sub');
    head = Buffer.concat([randomBytes(FAMILY_BYTES), Buffer.from(owner.replace(/-/g, ''), 'hex')]);
  } else {
    head = Buffer.from(owner.token, 'base64url').subarray(0, FAMILY_BYTES + OWNER_BYTES);
  }
  const bytes = Buffer.concat([head, randomBytes(SECRET_BYTES)]);
  return describe(bytes.toString('base64url'), bytes);
}

const rejected = () => new AuthError('invalid_grant', 'The refresh token is invalid, expired or revoked.');

/** Checks the shape of a presented refresh token; a malformed one is `invalid_grant`, like an unknown one. */
export function parseRefreshToken(value: string): RefreshToken {
  if (value.length !== TOKEN_LENGTH || !TOKEN_PATTERN.test(value)) throw rejected();
  const bytes = Buffer.from(value, 'base64url');
  // base64url's last character has bits that decode to nothing: only the one canonical spelling is a token.
  if (bytes.length !== TOKEN_BYTES || bytes.toString('base64url') !== value) throw rejected();
  return describe(value, bytes);
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
