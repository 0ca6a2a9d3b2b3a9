import { corsHandler } from '../lib/cors';
import { appDeps, type AppDeps } from '../lib/deps';
import { AuthError } from '../lib/errors';
import { caller, errorResponse, noContent, requireScope, type HttpEvent, type HttpResponse } from '../lib/http';
import { ROUTE_SCOPES } from '../lib/scopes';

const SESSION_ID = /^[A-Za-z0-9_-]{22}$/;

/** DELETE /sessions/{id}, behind the authorizer: ends one of the caller's own sessions. */
export function makeDeleteSessionHandler(deps: () => Promise<AppDeps>) {
  return async (event: HttpEvent): Promise<HttpResponse> => {
    try {
      const who = caller(event);
      const { auth, config } = await deps();
      requireScope(who, ROUTE_SCOPES.sessions, config.realm);
      const id = event.pathParameters?.id;
      // Another user's session and a malformed id answer alike: there is no such session of yours.
      if (id === undefined || !SESSION_ID.test(id)) throw new AuthError('not_found', 'There is no such session.');
      await auth.revokeSession(who.sub, id);
      return noContent();
    } catch (error) {
      return errorResponse(error);
    }
  };
}

export const handler = corsHandler(makeDeleteSessionHandler(appDeps));
