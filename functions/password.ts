import { appDeps, type AppDeps } from '../lib/deps';
import { noContent, parseJsonBody } from '../lib/http';
import { protectedRoute } from '../lib/route';
import { ROUTE_SCOPES } from '../lib/scopes';

/** POST /auth/password {password, new_password}, behind the authorizer: every other session ends. */
export const makePasswordHandler = (deps: () => Promise<AppDeps>) =>
  protectedRoute(ROUTE_SCOPES.password, deps, async (event, who, { auth }) => {
    const body = parseJsonBody(event);
    await auth.changePassword(who.sub, who.sid, body.password, body.new_password);
    return noContent();
  });

export const handler = makePasswordHandler(appDeps);
