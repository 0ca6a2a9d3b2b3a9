/**
 * PROTOTYPE, measured by bench/authorizer.ts, not used by the service: lib/tokens.ts `createTokenVerifier`
 * with the signature checked by node:crypto on a KeyObject, synchronously, instead of by jose through
 * WebCrypto (crypto.subtle.verify runs as an async job on libuv's thread pool: a thread hop and a promise per
 * token). Everything else stays jose's: the header is parsed by jose's `decodeProtectedHeader`, and the
 * payload's decoding and every claim check (typ, iss, aud, exp, nbf, iat, required claims, clock tolerance)
 * are jose's own `validateClaimsSet`, reached through its public `UnsecuredJWT.decode` on the verified
 * payload. Errors are jose's classes, translated exactly as lib/tokens.ts translates them.
 *
 * It passes tests/lib/tokens.test.ts unchanged: `npm run bench -- authorizer` runs that suite against it
 * (bench/jest.prototype.config.js maps the suite's lib/tokens to bench/tokens-under-test.ts).
 */
import { createHmac, createSecretKey, KeyObject, timingSafeEqual, verify as cryptoVerify, constants, type webcrypto } from 'node:crypto';
import { base64url, decodeProtectedHeader, errors as joseErrors, UnsecuredJWT } from 'jose';
import type { SigningAlg, VerifierConfig } from '../lib/config';
import type { VerificationKeys } from '../lib/keys';
import { ACCESS_TOKEN_TYPE, invalid, isAccessClaims, translate, type TokenVerifier } from '../lib/tokens';

/** As lib/tokens.ts. */
const MAX_TOKEN_LENGTH = 4096;
/** RFC 7515 §2: base64url without padding; Buffer's decoder would silently skip anything else. */
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** One row per algorithm: how node:crypto checks its signature. */
const CHECKS: Record<SigningAlg, (input: Buffer, key: KeyObject, signature: Buffer) => boolean> = {
  // ieee-p1363 is r || s, JWS's own form (RFC 7518 §3.4); a signature of another length is no signature.
  ES256: (input, key, signature) => signature.length === 64 && cryptoVerify('sha256', input, { key, dsaEncoding: 'ieee-p1363' }, signature),
  RS256: (input, key, signature) => cryptoVerify('sha256', input, { key, padding: constants.RSA_PKCS1_PADDING }, signature),
  EdDSA: (input, key, signature) => cryptoVerify(null, input, key, signature),
  HS256: (input, key, signature) => {
    const expected = createHmac('sha256', key).update(input).digest();
    return signature.length === expected.length && timingSafeEqual(signature, expected);
  },
};

/** The key types each algorithm accepts, so that a key of another type can never be used (algorithm confusion). */
const KEY_TYPES: Record<SigningAlg, { type: KeyObject['type']; asymmetricKeyType?: string }> = {
  ES256: { type: 'public', asymmetricKeyType: 'ec' },
  RS256: { type: 'public', asymmetricKeyType: 'rsa' },
  EdDSA: { type: 'public', asymmetricKeyType: 'ed25519' },
  HS256: { type: 'secret' },
};

function keyObjectOf(alg: SigningAlg, key: webcrypto.CryptoKey | Uint8Array): KeyObject {
  const keyObject = key instanceof Uint8Array ? createSecretKey(key) : KeyObject.from(key);
  const wanted = KEY_TYPES[alg];
  if (keyObject.type !== wanted.type || keyObject.asymmetricKeyType !== wanted.asymmetricKeyType) {
    throw new TypeError(`a ${keyObject.asymmetricKeyType ?? keyObject.type} key cannot verify ${alg}`);
  }
  if (alg === 'ES256' && keyObject.asymmetricKeyDetails?.namedCurve !== 'prime256v1') throw new TypeError('ES256 needs a P-256 key');
  // jose checks this at every verification; lib/keys.ts already refuses such keys at load.
  if (alg === 'RS256' && (keyObject.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) throw new TypeError('RS256 needs 2048 bits or more');
  return keyObject;
}

type TokenConfig = Pick<VerifierConfig, 'issuer' | 'audience' | 'clockSkew'>;

/** The unsecured header jose's claims check reads `typ` from: the verified token's own `typ`, and alg "none". */
function unsecuredHeader(typ: unknown): string {
  return base64url.encode(JSON.stringify(typeof typ === 'string' ? { alg: 'none', typ } : { alg: 'none' }));
}

/** lib/tokens.ts `createTokenVerifier`, with node:crypto checking the signature (see the file's comment). */
export function createKeyObjectVerifier(config: TokenConfig, keys: VerificationKeys, now: () => number = Date.now): TokenVerifier {
  const keyObjects = new Map<string, KeyObject>();
  for (const [kid, key] of keys.verification) keyObjects.set(kid, keyObjectOf(keys.alg, key as webcrypto.CryptoKey | Uint8Array));
  const check = CHECKS[keys.alg];
  // Our own tokens all carry the same typ: its unsecured header is made once.
  const ownHeader = unsecuredHeader(ACCESS_TOKEN_TYPE);

  return {
    async verify(token) {
      if (token.length > MAX_TOKEN_LENGTH) throw invalid('The access token is malformed.', 'malformed');
      try {
        const parts = token.split('.');
        if (parts.length !== 3 || !parts.every((part) => BASE64URL.test(part))) throw new joseErrors.JWSInvalid('Invalid Compact JWS');
        const [encodedHeader, encodedPayload, encodedSignature] = parts as [string, string, string];
        const header = decodeProtectedHeader(token);
        // jwtVerify refuses every crit a JWT can carry (none is understood; b64:false is not a JWT).
        if (header.crit !== undefined || header.b64 !== undefined) throw new joseErrors.JWSInvalid('crit and b64 are not accepted');
        if (header.alg !== keys.alg) throw new joseErrors.JOSEAlgNotAllowed('"alg" (Algorithm) Header Parameter value not allowed');
        // Only our own keys, by kid: jku, x5u and embedded jwk headers are never looked at.
        const key = typeof header.kid === 'string' ? keyObjects.get(header.kid) : undefined;
        if (key === undefined) throw invalid('The access token is signed by an unknown key.', 'bad_signature');
        let verified = false;
        try {
          verified = check(Buffer.from(`${encodedHeader}.${encodedPayload}`, 'ascii'), key, Buffer.from(encodedSignature, 'base64url'));
        } catch (cause) {
          throw new joseErrors.JWSSignatureVerificationFailed(undefined, { cause });
        }
        if (!verified) throw new joseErrors.JWSSignatureVerificationFailed();
        const typedHeader = header.typ === ACCESS_TOKEN_TYPE ? ownHeader : unsecuredHeader(header.typ);
        const { payload } = UnsecuredJWT.decode(`${typedHeader}.${encodedPayload}.`, {
          issuer: config.issuer,
          audience: config.audience,
          typ: ACCESS_TOKEN_TYPE,
          clockTolerance: config.clockSkew,
          currentDate: new Date(now()),
          requiredClaims: ['exp', 'iat', 'sub', 'jti'],
        });
        if (!isAccessClaims(payload)) throw invalid('The access token is missing required claims.', 'invalid_claims');
        return { sub: payload.sub, scope: payload.scope, sid: payload.sid, client_id: payload.client_id, exp: payload.exp, jti: payload.jti };
      } catch (error) {
        throw translate(error);
      }
    },
  };
}
