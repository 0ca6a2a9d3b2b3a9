import { verifierDeps, type VerifierDeps } from '../lib/verifier-deps';
import { errorResponse, json, type HttpResponse } from '../lib/http';

/** GET /.well-known/jwks.json: the public half of every key still accepted. */
export function makeJwksHandler(deps: () => Promise<VerifierDeps>) {
  return async (): Promise<HttpResponse> => {
    try {
      const { keys } = await deps();
      return json(200, { keys: keys.publicJwks }, { 'Cache-Control': 'public, max-age=300' });
    } catch (error) {
      return errorResponse(error);
    }
  };
}

export const handler = makeJwksHandler(verifierDeps);
