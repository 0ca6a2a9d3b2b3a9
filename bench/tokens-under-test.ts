/**
 * lib/tokens.ts as the forged-token suite (tests/lib/tokens.test.ts) sees it when bench/jest.prototype.config.js
 * runs it against a prototype: everything of lib/tokens.ts, with the verifier chosen by BENCH_VERIFIER
 * ("jose", "keyobject", "keyobject+cache", "jose+cache"). The suite itself is not changed.
 */
import type { VerifierConfig } from '../lib/config';
import type { VerificationKeys } from '../lib/keys';
import * as real from '../lib/tokens';
import { createKeyObjectVerifier } from './keyobject-verifier';
import { withVerifiedTokenCache } from './verified-token-cache';

export * from '../lib/tokens';

type TokenConfig = Parameters<typeof real.createTokenService>[0] & Pick<VerifierConfig, 'clockSkew'>;

export function createTokenVerifier(config: TokenConfig, keys: VerificationKeys, now: () => number = Date.now): real.TokenVerifier {
  const variant = process.env.BENCH_VERIFIER ?? 'jose';
  const base = variant.startsWith('keyobject') ? createKeyObjectVerifier(config, keys, now) : real.createTokenVerifier(config, keys, now);
  return variant.endsWith('+cache') ? withVerifiedTokenCache(base, () => keys.verification, { now, clockSkew: config.clockSkew }) : base;
}

export function createTokenService(config: TokenConfig, keys: VerificationKeys, now: () => number = Date.now): real.TokenService {
  const verifier = createTokenVerifier(config, keys, now);
  return { ...real.createTokenService(config, keys, now), verify: (token) => verifier.verify(token) };
}
