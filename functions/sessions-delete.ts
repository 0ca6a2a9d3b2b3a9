import { appDeps, type AppDeps } from '../lib/deps';
import { publicKeys } from '../lib/verifier-deps';
import { AuthError } from '../lib/errors';
import { noContent } from '../lib/http';
import { protectedRoute } from '../lib/route';
import { ROUTE_SCOPES } from '../lib/scopes';

const SESSION_ID = /^[A-Za-z0-9_-]{22}$/;

/** DELETE /sessions/{id}, behind the authorizer: ends one of the caller's own sessions. */
export const makeDeleteSessionHandler = (deps: () => Promise<AppDeps>) =>
  protectedRoute(ROUTE_SCOPES.sessions, deps, async (event, who, { auth }) => {
    const id = event.pathParameters?.id;
    // Another user's session and a malformed id answer alike: there is no such session of yours.
    if (id === undefined || !SESSION_ID.test(id)) throw new AuthError('not_found', 'There is no such session.');
    await auth.revokeSession(who.sub, id);
    return noContent();
  });

export const handler = makeDeleteSessionHandler(appDeps({ keys: publicKeys }));
