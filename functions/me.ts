import { corsHandler } from '../lib/cors';
import { challengeInvalidToken } from '../lib/bearer';
import { appDeps, type AppDeps } from '../lib/deps';
import { caller, errorResponse, json, requireScope, type HttpEvent, type HttpResponse } from '../lib/http';
import { ROUTE_SCOPES } from '../lib/scopes';

/** GET /me, behind the authorizer: who the access token speaks for. */
export function makeMeHandler(deps: () => Promise<AppDeps>) {
  return async (event: HttpEvent): Promise<HttpResponse> => {
    try {
      const who = caller(event);
      const { auth, config } = await deps();
      requireScope(who, ROUTE_SCOPES.me, config.realm);
      const { sub, username } = await auth.profile(who.sub).catch(challengeInvalidToken(config.realm));
      return json(200, { sub, username, scope: who.scope });
    } catch (error) {
      return errorResponse(error);
    }
  };
}

export const handler = corsHandler(makeMeHandler(appDeps));
