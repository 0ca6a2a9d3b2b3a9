import { corsHandler } from '../lib/cors';
import { appDeps, type AppDeps } from '../lib/deps';
import { caller, errorResponse, json, requireScope, type HttpEvent, type HttpResponse } from '../lib/http';
import { ROUTE_SCOPES } from '../lib/scopes';

const iso = (epochSeconds: number) => new Date(epochSeconds * 1000).toISOString();

/** GET /sessions, behind the authorizer: the caller's live sessions, newest first. */
export function makeListSessionsHandler(deps: () => Promise<AppDeps>) {
  return async (event: HttpEvent): Promise<HttpResponse> => {
    try {
      const who = caller(event);
      const { auth, config } = await deps();
      requireScope(who, ROUTE_SCOPES.sessions, config.realm);
      const sessions = (await auth.listSessions(who.sub)).map((session) => ({
        id: session.id,
        createdAt: iso(session.createdAt),
        lastUsedAt: iso(session.lastUsedAt),
        expiresAt: iso(session.expiresAt),
        current: session.id === who.sid,
      }));
      return json(200, { sessions });
    } catch (error) {
      return errorResponse(error);
    }
  };
}

export const handler = corsHandler(makeListSessionsHandler(appDeps));
