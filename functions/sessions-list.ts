import { appDeps, type AppDeps } from '../lib/deps';
import { publicKeys } from '../lib/verifier-deps';
import { json } from '../lib/http';
import { protectedRoute } from '../lib/route';
import { ROUTE_SCOPES } from '../lib/scopes';
import { sessionView } from '../lib/sessions';

const iso = (epochSeconds: number) => new Date(epochSeconds * 1000).toISOString();

/**
 * GET /sessions, behind the authorizer: the caller's live sessions, newest first, each with its client,
 * the device it started on ("Chrome on macOS") and the coarse network of its last refresh.
 */
export const makeListSessionsHandler = (deps: () => Promise<AppDeps>) =>
  protectedRoute(ROUTE_SCOPES.sessions, deps, async (_event, who, { auth }) => {
    const sessions = (await auth.listSessions(who.sub)).map((session) => ({ ...sessionView(session, iso), current: session.id === who.sid }));
    return json(200, { sessions });
  });

export const handler = makeListSessionsHandler(appDeps({ keys: publicKeys }));
