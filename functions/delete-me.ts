import { argon2Hasher } from '../lib/argon2';
import { appDeps, type AppDeps } from '../lib/deps';
import { noContent, parseJsonBody, sourceIp } from '../lib/http';
import { protectedRoute } from '../lib/route';
import { ROUTE_SCOPES } from '../lib/scopes';
import { publicKeys } from '../lib/verifier-deps';

/**
 * DELETE /me {password}, behind the authorizer (scope `sessions`): the account, its sessions and its
 * pending tokens are gone, and its name is free. The password is checked like a login's.
 */
export const makeDeleteMeHandler = (deps: () => Promise<AppDeps>) =>
  protectedRoute(ROUTE_SCOPES.account, deps, async (event, who, { accounts }) => {
    await accounts.deleteAccount({ sub: who.sub, sid: who.sid, sourceIp: sourceIp(event) }, parseJsonBody(event).password);
    return noContent();
  });

export const handler = makeDeleteMeHandler(appDeps({ keys: publicKeys, passwords: argon2Hasher }));
