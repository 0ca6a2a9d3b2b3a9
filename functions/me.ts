import { appDeps, type AppDeps } from '../lib/deps';
import { publicKeys } from '../lib/verifier-deps';
import { json } from '../lib/http';
import { protectedRoute } from '../lib/route';
import { ROUTE_SCOPES } from '../lib/scopes';

/** GET /me, behind the authorizer: who the access token speaks for, and their address (theirs alone to see). */
export const makeMeHandler = (deps: () => Promise<AppDeps>) =>
  protectedRoute(ROUTE_SCOPES.me, deps, async (_event, who, { auth }) => json(200, { ...(await auth.profile(who.sub)), scope: who.scope }));

export const handler = makeMeHandler(appDeps({ keys: publicKeys }));
