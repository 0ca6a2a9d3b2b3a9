import { corsHandler } from '../lib/cors';
import { challengeInvalidToken } from '../lib/bearer';
import { appDeps, type AppDeps } from '../lib/deps';
import { caller, errorResponse, noContent, parseJsonBody, requireScope, type HttpEvent, type HttpResponse } from '../lib/http';
import { ROUTE_SCOPES } from '../lib/scopes';

/** POST /auth/password {password, new_password}, behind the authorizer: every other session ends. */
export function makePasswordHandler(deps: () => Promise<AppDeps>) {
  return async (event: HttpEvent): Promise<HttpResponse> => {
    try {
      const who = caller(event);
      const body = parseJsonBody(event);
      const { auth, config } = await deps();
      requireScope(who, ROUTE_SCOPES.password, config.realm);
      await auth.changePassword(who.sub, who.sid, body.password, body.new_password).catch(challengeInvalidToken(config.realm));
      return noContent();
    } catch (error) {
      return errorResponse(error);
    }
  };
}

export const handler = corsHandler(makePasswordHandler(appDeps));
