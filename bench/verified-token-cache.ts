/**
 * PROTOTYPE, measured by bench/authorizer.ts, not used by the service: a per-container cache of tokens this
 * verifier already accepted, so that a token presented again skips the signature check.
 *  - Keyed by the whole token string (signature included): a forged variant of a cached token is another key.
 *  - Only verdicts of acceptance are kept: a refusal is never cached, so no one can fill the cache with junk
 *    that costs nothing to make; entries come from tokens that verified, which only the signer can make.
 *  - An entry is dropped at its token's `exp` (with the same clock skew), and the whole cache when the
 *    verification key set changes (another Map instance, as a key-set reload builds).
 *  - Bounded: least recently used entries go first beyond `max`.
 */
import type { AccessClaims, TokenVerifier } from '../lib/tokens';

export interface VerifiedTokenCacheOptions {
  /** Entries kept at most (a token is well under 1 KB: 1,000 entries hold under 1 MB). */
  max?: number;
  now?: () => number;
  clockSkew?: number;
}

export interface CachingVerifier extends TokenVerifier {
  readonly size: number;
  readonly hits: number;
}

/** Wraps `inner` with the cache; `keySet` returns the verification keys in use (their identity marks a change). */
export function withVerifiedTokenCache(
  inner: TokenVerifier,
  keySet: () => unknown,
  { max = 1000, now = Date.now, clockSkew = 0 }: VerifiedTokenCacheOptions = {},
): CachingVerifier {
  const entries = new Map<string, Readonly<AccessClaims>>();
  let keysSeen = keySet();
  let hits = 0;
  return {
    get size() {
      return entries.size;
    },
    get hits() {
      return hits;
    },
    async verify(token) {
      const keys = keySet();
      if (keys !== keysSeen) {
        entries.clear();
        keysSeen = keys;
      }
      const cached = entries.get(token);
      if (cached !== undefined) {
        entries.delete(token);
        // At exp the token is judged again, and refused as expired, with the contract's words.
        if (Math.floor(now() / 1000) < cached.exp + clockSkew) {
          entries.set(token, cached); // most recently used last
          hits += 1;
          return cached;
        }
      }
      const claims = Object.freeze(await inner.verify(token));
      entries.set(token, claims);
      if (entries.size > max) entries.delete(entries.keys().next().value!);
      return claims;
    },
  };
}
