import { runningInLambda, settings, type Config } from './config';
import { lazy } from './lazy';
import { loadKeyRing, type KeyRing } from './keys';
import { createTokenService, type TokenService } from './tokens';

/** What the authorizer and the JWKS route need: configuration and keys, no AWS SDK. */
export interface VerifierDeps {
  config: Config;
  keys: KeyRing;
  tokens: TokenService;
}

export const verifierDeps = lazy(async (): Promise<VerifierDeps> => {
  const config = settings();
  const keys = await loadKeyRing(config.signingKeys, config.signingAlg);
  return { config, keys, tokens: createTokenService(config, keys) };
});

// In Lambda, a bad setting fails the cold start itself, naming the variable.
if (runningInLambda()) settings();
