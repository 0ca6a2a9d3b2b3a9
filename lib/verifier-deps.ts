import { loadDiscoveryConfig, loadEdgeConfig, loadMetadataConfig, loadProtectedRouteConfig, loadVerifierConfig, onceLoaded, runningInLambda, verifierKeys, type EdgeConfig, type MetadataConfig, type VerifierConfig } from './config';
import { ConfigError } from './errors';
import { loadKeyRing, loadPublicKeyRing, type VerificationKeys } from './keys';
import { createTokenVerifier, type TokenVerifier } from './tokens';

/** What the authorizer and the metadata routes need: configuration and keys, no AWS SDK. */
export interface VerifierDeps<C extends VerifierConfig = VerifierConfig> {
  config: C;
  keys: VerificationKeys;
  tokens: TokenVerifier;
  /** Milliseconds since the epoch; tests move it by hand. */
  now: () => number;
}

export interface VerifierDepsOptions<C extends VerifierConfig = VerifierConfig> {
  config: C;
  keys: VerificationKeys;
  now?: () => number;
}

/** The verifying half of the composition root (lib/deps.ts builds on it); pure, so tests and benches call it. */
export function createVerifierDeps<C extends VerifierConfig>({ config, keys, now = Date.now }: VerifierDepsOptions<C>): VerifierDeps<C> {
  return { config, keys, tokens: createTokenVerifier(config, keys, now), now };
}

export interface OnceOptions {
  /** Build again when the value is older than this (milliseconds); a failed rebuild keeps the old value. */
  maxAgeMs?: number;
  now?: () => number;
}

/**
 * Memoizes an async factory for module-scoped deps: built on first use, reused by warm invocations. A
 * failure is not kept: the next invocation tries again (a secret store may have been briefly out of reach).
 */
export function once<T>(build: () => Promise<T>, { maxAgeMs = Number.POSITIVE_INFINITY, now = Date.now }: OnceOptions = {}): () => Promise<T> {
  let current: { value: Promise<T>; builtAt: number } | undefined;
  return () => {
    if (current && now() - current.builtAt < maxAgeMs) return current.value;
    const previous = current?.value;
    const value = build().catch((error: unknown) => {
      if (previous === undefined) {
        current = undefined;
        throw error;
      }
      // Keep serving with what worked; the next invocation tries again.
      current = { value: previous, builtAt: Number.NEGATIVE_INFINITY };
      return previous;
    });
    current = { value, builtAt: now() };
    return value;
  };
}

/**
 * The production deps of one kind of function: its configuration is read at cold start (in Lambda a bad
 * setting fails the start itself, naming the variable), the rest is built on first use and reused.
 */
export function productionDeps<C, D>(load: () => C, build: (config: C) => Promise<D>, options: OnceOptions = {}): () => Promise<D> {
  const config = onceLoaded(load);
  if (runningInLambda()) config();
  return once(async () => build(config()), options);
}

/** Where the keys of a function that only verifies come from: PUBLIC_JWKS (or, locally, an HS256 SIGNING_KEYS). */
export const publicKeys = { source: verifierKeys, load: (config: VerifierConfig) => verificationKeys(config) };

/** The keys a verifier uses: the public set (PUBLIC_JWKS), deployed and locally alike; an HS256 secret locally. */
export function verificationKeys(config: VerifierConfig): Promise<VerificationKeys> {
  const { keys, signingAlg } = config;
  if (keys.kind === 'public') return loadPublicKeyRing(keys.json, signingAlg);
  if (keys.kind === 'private') return loadKeyRing(keys.json, signingAlg);
  throw new ConfigError('PUBLIC_JWKS', 'must be set for a function that only verifies');
}

/** The authorizer's production deps. */
export const authorizerDeps = () =>
  productionDeps(
    () => loadVerifierConfig(),
    async (config) => createVerifierDeps({ config, keys: await verificationKeys(config) }),
  );

/** The JWKS and discovery routes' production deps. */
export const metadataDeps = () =>
  productionDeps(
    (): MetadataConfig => loadMetadataConfig(),
    async (config) => createVerifierDeps({ config, keys: await verificationKeys(config) }),
  );

/** The discovery route's production deps: the metadata, and whether the password grant is on. */
export const discoveryDeps = () =>
  productionDeps(
    () => loadDiscoveryConfig(),
    async (config) => createVerifierDeps({ config, keys: await verificationKeys(config) }),
  );

/** What a route behind the authorizer that touches neither keys nor tables needs: the edge and the clock. */
export interface ProtectedRouteDeps {
  config: EdgeConfig & { clockSkew: number };
  now: () => number;
}

export const protectedRouteDeps = () =>
  productionDeps((): ProtectedRouteDeps['config'] => loadProtectedRouteConfig(), async (config): Promise<ProtectedRouteDeps> => ({ config, now: Date.now }));

/** What a route that touches neither keys nor tables needs (the CORS preflight). */
export const edgeDeps = () => productionDeps((): EdgeConfig => loadEdgeConfig(), async (config) => ({ config }));
