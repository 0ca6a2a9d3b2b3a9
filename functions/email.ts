import { argon2Hasher } from '../lib/argon2';
import { appDeps, type AppDeps } from '../lib/deps';
import { json, parseJsonBody, sourceIp } from '../lib/http';
import { mailFromEnvironment } from '../lib/mail-deps';
import { protectedRoute } from '../lib/route';
import { ROUTE_SCOPES } from '../lib/scopes';
import { publicKeys } from '../lib/verifier-deps';

/**
 * POST /auth/email {email, password}, behind the authorizer (scope `sessions`): a new address, sent a
 * verification message. 202; the password is checked like a login's.
 */
export const makeEmailHandler = (deps: () => Promise<AppDeps>) =>
  protectedRoute(ROUTE_SCOPES.account, deps, async (event, who, { accounts }) => {
    const body = parseJsonBody(event);
    await accounts.changeEmail({ sub: who.sub, sid: who.sid, sourceIp: sourceIp(event) }, body.password, body.email);
    return json(202, { message: 'A verification message is on its way to the address, unless it is the verified one already.' });
  });

export const handler = makeEmailHandler(appDeps({ keys: publicKeys, passwords: argon2Hasher, mail: mailFromEnvironment }));
