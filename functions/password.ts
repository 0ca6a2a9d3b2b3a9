import { argon2Hasher } from '../lib/argon2';
import { isCommonPassword } from '../lib/common-passwords';
import { appDeps, type AppDeps } from '../lib/deps';
import { publicKeys } from '../lib/verifier-deps';
import { noContent, parseJsonBody, sourceIp } from '../lib/http';
import { protectedRoute } from '../lib/route';
import { ROUTE_SCOPES } from '../lib/scopes';

/** POST /auth/password {password, new_password}, behind the authorizer: every other session ends. */
export const makePasswordHandler = (deps: () => Promise<AppDeps>) =>
  protectedRoute(ROUTE_SCOPES.account, deps, async (event, who, { auth }) => {
    const body = parseJsonBody(event);
    await auth.changePassword({ sub: who.sub, sid: who.sid, sourceIp: sourceIp(event) }, body.password, body.new_password);
    return noContent();
  });

export const handler = makePasswordHandler(appDeps({ keys: publicKeys, passwords: argon2Hasher, isCommonPassword }));
