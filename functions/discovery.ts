import { corsHandler } from '../lib/cors';
import { discoveryDocument } from '../lib/discovery';
import { errorResponse, publicJson, type HttpResponse } from '../lib/http';
import { verifierDeps, type VerifierDeps } from '../lib/verifier-deps';

/** GET /.well-known/openid-configuration and /.well-known/oauth-authorization-server (RFC 8414). */
export function makeDiscoveryHandler(deps: () => Promise<VerifierDeps>) {
  return async (): Promise<HttpResponse> => {
    try {
      const { config } = await deps();
      return publicJson(discoveryDocument(config), 3600);
    } catch (error) {
      return errorResponse(error);
    }
  };
}

export const handler = corsHandler(makeDiscoveryHandler(verifierDeps));
