import { corsHandler } from '../lib/cors';
import { errorResponse, publicJson, type HttpResponse } from '../lib/http';
import { verifierDeps, type VerifierDeps } from '../lib/verifier-deps';

/** How long verifiers may cache the key set; a rotation publishes the next key at least this long ahead. */
export const JWKS_MAX_AGE = 300;

/** GET /.well-known/jwks.json: the public half of every key still accepted. */
export function makeJwksHandler(deps: () => Promise<VerifierDeps>) {
  return async (): Promise<HttpResponse> => {
    try {
      const { keys } = await deps();
      return publicJson({ keys: keys.publicJwks }, JWKS_MAX_AGE);
    } catch (error) {
      return errorResponse(error);
    }
  };
}

export const handler = corsHandler(makeJwksHandler(verifierDeps));
