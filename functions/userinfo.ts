import { appDeps, type AppDeps } from '../lib/deps';
import { publicKeys } from '../lib/verifier-deps';
import { json } from '../lib/http';
import { protectedRoute } from '../lib/route';
import { ROUTE_SCOPES } from '../lib/scopes';

/**
 * GET and POST /oauth/userinfo (OpenID Connect Core §5.3), behind the authorizer: the claims of the user the
 * access token speaks for, as far as its scope allows.
 */
export const makeUserinfoHandler = (deps: () => Promise<AppDeps>) =>
  protectedRoute(ROUTE_SCOPES.userinfo, deps, async (_event, who, { auth }) => json(200, await auth.userinfo(who.sub, who.scope)));

export const handler = makeUserinfoHandler(appDeps({ keys: publicKeys }));
