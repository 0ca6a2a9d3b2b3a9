import { argon2Hasher } from '../lib/argon2';
import { isCommonPassword } from '../lib/common-passwords';
import { appDeps, type AppDeps } from '../lib/deps';
import { noContent, parseJsonBody } from '../lib/http';
import { route } from '../lib/route';
import { publicKeys } from '../lib/verifier-deps';

/**
 * POST /auth/password/reset {token, new_password}: 204, the new password set and every session of the
 * account ended in one write. The new password follows the rules of registration.
 */
export const makeResetPasswordHandler = (deps: () => Promise<AppDeps>) =>
  route(deps, async (event, { accounts }) => {
    const body = parseJsonBody(event);
    await accounts.resetPassword(body.token, body.new_password);
    return noContent();
  });

export const handler = makeResetPasswordHandler(appDeps({ keys: publicKeys, passwords: argon2Hasher, isCommonPassword }));
