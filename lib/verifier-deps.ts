import { runningInLambda, settings, type Config } from './config';
import { loadKeyRing, type KeyRing } from './keys';
import { createTokenService, type TokenService } from './tokens';

/** What the authorizer and the metadata routes need: configuration and keys, no AWS SDK. */
export interface VerifierDeps {
  config: Config;
  keys: KeyRing;
  tokens: TokenService;
  /** Milliseconds since the epoch; tests move it by hand. */
  now: () => number;
}

export interface VerifierDepsOptions {
  config: Config;
  keys: KeyRing;
  now?: () => number;
}

/** The verifying half of the composition root (lib/deps.ts builds on it); pure, so tests and benches call it. */
export function createVerifierDeps({ config, keys, now = Date.now }: VerifierDepsOptions): VerifierDeps {
  return { config, keys, tokens: createTokenService(config, keys, now), now };
}

/**
 * Memoizes an async factory for module-scoped deps: built on first use, reused by warm invocations. A
 * failure is kept, so a broken container keeps saying why.
 */
export function once<T>(build: () => Promise<T>): () => Promise<T> {
  let value: Promise<T> | undefined;
  return () => (value ??= build());
}

/** The production deps of the functions that only verify, from the environment. */
export const verifierDeps = once(async () => {
  const config = settings();
  return createVerifierDeps({ config, keys: await loadKeyRing(config.signingKeys, config.signingAlg) });
});

// In Lambda, a bad setting fails the cold start itself, naming the variable.
if (runningInLambda()) settings();
