import { authorize, type AuthorizerEvent } from '../lib/authorizer';
import { authorizerDeps, type VerifierDeps } from '../lib/verifier-deps';

/**
 * The custom authorizer for REST (TOKEN or REQUEST) and HTTP API (payload 2.0, simple responses) events.
 * It verifies the access token with no database call and loads neither the AWS SDK nor any store.
 */
export function makeAuthorizerHandler(deps: () => Promise<VerifierDeps>) {
  return async (event: AuthorizerEvent) => authorize(event, (await deps()).tokens.verify);
}

export const handler = makeAuthorizerHandler(authorizerDeps());
