import { calculateJwkThumbprint, exportJWK, generateKeyPair, generateSecret, importJWK, type CryptoKey, type JWK } from 'jose';
import type { SigningAlg } from './config';
import { ConfigError } from './errors';

/** Re-exported for the tooling (`npm run keys`), which loads this module alone. */
export { SIGNING_ALGORITHMS } from './config';

/** Everything the code must know about one signing algorithm, in one row. */
const ALGORITHMS: Record<SigningAlg, { kty: string; crv?: string; symmetric: boolean; check?: (jwk: JWK) => string | undefined }> = {
  ES256: { kty: 'EC', crv: 'P-256', symmetric: false },
  RS256: {
    kty: 'RSA',
    symmetric: false,
    check: (jwk) => (Buffer.from(jwk.n ?? '', 'base64url').length * 8 < 2048 ? 'RSA keys must have at least 2048 bits' : undefined),
  },
  EdDSA: { kty: 'OKP', crv: 'Ed25519', symmetric: false },
  HS256: {
    kty: 'oct',
    symmetric: true,
    check: (jwk) => (Buffer.from(jwk.k ?? '', 'base64url').length < 32 ? 'HS256 secrets must have at least 256 bits' : undefined),
  },
};

/** Private key material, and WebCrypto export members that must not describe a published verification key. */
const NOT_PUBLIC = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k', 'key_ops', 'ext'] as const;

/** What a verifier holds: every key still accepted, and what the JWKS publishes. */
export interface VerificationKeys {
  alg: SigningAlg;
  /** Every key still accepted, by kid. */
  verification: ReadonlyMap<string, CryptoKey | Uint8Array>;
  /** What `/.well-known/jwks.json` publishes: public keys only, none for HS256. */
  publicJwks: JWK[];
  /** Present only in a signer's key ring. */
  signing?: { kid: string; key: CryptoKey | Uint8Array };
}

/** What a signer holds: the verification keys and the newest private key, which signs every new token. */
export interface KeyRing extends VerificationKeys {
  signing: { kid: string; key: CryptoKey | Uint8Array };
}

function publicPart(jwk: JWK): JWK {
  const copy: Record<string, unknown> = { ...jwk };
  for (const member of NOT_PUBLIC) delete copy[member];
  return copy as JWK;
}

/** The RFC 7638 thumbprint for public keys; a symmetric key keeps its own `kid`, since a hash of it would leak. */
async function keyId(jwk: JWK, symmetric: boolean): Promise<string> {
  if (symmetric) {
    if (typeof jwk.kid !== 'string' || !/^[\w-]{1,64}$/.test(jwk.kid)) {
      throw new ConfigError('SIGNING_KEYS', 'HS256 keys need a "kid" of letters, digits, "_" or "-"');
    }
    return jwk.kid;
  }
  return calculateJwkThumbprint(publicPart(jwk), 'sha256');
}

function parseKeySet(json: string, variable: string): JWK[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new ConfigError(variable, 'must be a JSON JWK Set ({"keys":[…]})');
  }
  const keys = (parsed as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.length === 0 || !keys.every((k) => typeof k === 'object' && k !== null)) {
    throw new ConfigError(variable, 'must hold at least one key in "keys"');
  }
  return keys as JWK[];
}

/**
 * Builds the key ring from SIGNING_KEYS (private JWKs, newest first). Every key must fit `alg`; a mismatch
 * fails here, at cold start, rather than as a 401 later.
 */
export async function loadKeyRing(signingKeys: string, alg: SigningAlg, variable = 'SIGNING_KEYS'): Promise<KeyRing> {
  const facts = ALGORITHMS[alg];
  const verification = new Map<string, CryptoKey | Uint8Array>();
  const publicJwks: JWK[] = [];
  let signing: KeyRing['signing'] | undefined;
  for (const [index, jwk] of parseKeySet(signingKeys, variable).entries()) {
    const where = `key ${index + 1}`;
    if (jwk.kty !== facts.kty || (facts.crv !== undefined && jwk.crv !== facts.crv)) {
      throw new ConfigError(variable, `${where} is not a ${facts.kty}${facts.crv ? ` ${facts.crv}` : ''} key, as SIGNING_ALG=${alg} needs`);
    }
    if (!facts.symmetric && typeof jwk.d !== 'string') throw new ConfigError(variable, `${where} is not a private key`);
    const problem = facts.check?.(jwk);
    if (problem) throw new ConfigError(variable, `${where}: ${problem}`);
    const kid = await keyId(jwk, facts.symmetric);
    if (verification.has(kid)) throw new ConfigError(variable, `${where} repeats kid ${kid}`);
    let privateKey: CryptoKey | Uint8Array;
    let verifyKey: CryptoKey | Uint8Array;
    try {
      privateKey = await importJWK({ ...jwk, alg, key_ops: undefined, ext: undefined }, alg);
      verifyKey = facts.symmetric ? privateKey : await importJWK({ ...publicPart(jwk), alg }, alg);
    } catch (cause) {
      throw Object.assign(new ConfigError(variable, `${where} cannot be imported for ${alg}`), { cause });
    }
    signing ??= { kid, key: privateKey };
    verification.set(kid, verifyKey);
    if (!facts.symmetric) publicJwks.push({ ...publicPart(jwk), kid, alg, use: 'sig' });
  }
  return { alg, signing: signing!, verification, publicJwks };
}

/**
 * The verifying half of a key ring from a public JWK Set (PUBLIC_JWKS, what `npm run keys -- public`
 * prints): no key here signs, and a private member is refused, so no private key is ever given to a
 * function that only verifies.
 */
export async function loadPublicKeyRing(publicJwks: string, alg: SigningAlg): Promise<VerificationKeys> {
  const facts = ALGORITHMS[alg];
  if (facts.symmetric) throw new ConfigError('PUBLIC_JWKS', `cannot hold ${alg} keys: they are secrets; use SIGNING_KEYS`);
  const verification = new Map<string, CryptoKey | Uint8Array>();
  const published: JWK[] = [];
  for (const [index, jwk] of parseKeySet(publicJwks, 'PUBLIC_JWKS').entries()) {
    const where = `key ${index + 1}`;
    if (NOT_PUBLIC.some((member) => member !== 'key_ops' && member !== 'ext' && member in jwk)) {
      throw new ConfigError('PUBLIC_JWKS', `${where} holds private key material; give the public set (npm run keys -- public)`);
    }
    if (jwk.kty !== facts.kty || (facts.crv !== undefined && jwk.crv !== facts.crv)) {
      throw new ConfigError('PUBLIC_JWKS', `${where} is not a ${facts.kty}${facts.crv ? ` ${facts.crv}` : ''} key, as SIGNING_ALG=${alg} needs`);
    }
    const problem = facts.check?.(jwk);
    if (problem) throw new ConfigError('PUBLIC_JWKS', `${where}: ${problem}`);
    const kid = await keyId(jwk, false);
    if (verification.has(kid)) throw new ConfigError('PUBLIC_JWKS', `${where} repeats kid ${kid}`);
    try {
      verification.set(kid, await importJWK({ ...publicPart(jwk), alg }, alg));
    } catch (cause) {
      throw Object.assign(new ConfigError('PUBLIC_JWKS', `${where} cannot be imported for ${alg}`), { cause });
    }
    published.push({ ...publicPart(jwk), kid, alg, use: 'sig' });
  }
  return { alg, verification, publicJwks: published };
}

/** A new private JWK for `alg`, as SIGNING_KEYS holds it. */
export async function generateSigningJwk(alg: SigningAlg): Promise<JWK> {
  if (ALGORITHMS[alg].symmetric) {
    const secret = await generateSecret(alg, { extractable: true });
    const jwk = await exportJWK(secret);
    return { ...jwk, kid: `hs-${Date.now().toString(36)}` };
  }
  const { privateKey } = await generateKeyPair(alg, { extractable: true, ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}) });
  const jwk = await exportJWK(privateKey);
  return { ...jwk, kid: await keyId(jwk, false) };
}
