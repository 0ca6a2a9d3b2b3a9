import { appDeps, type AppDeps } from '../lib/deps';
import { json, parseJsonBody, sourceIp } from '../lib/http';
import { mailFromEnvironment } from '../lib/mail-deps';
import { route } from '../lib/route';
import { publicKeys } from '../lib/verifier-deps';

/** The one answer, whether or not the account exists or has a verified address. */
export const FORGOT_ANSWER = { message: 'If an account matches and has a verified address, a message with a reset link is on its way.' };

/**
 * POST /auth/password/forgot {username} or {email}: 202 and the same body for every account and none;
 * throttled per account and per source address (429 `slow_down`), like logins but counted apart.
 */
export const makeForgotPasswordHandler = (deps: () => Promise<AppDeps>) =>
  route(deps, async (event, { accounts }) => {
    const body = parseJsonBody(event);
    await accounts.forgotPassword({ username: body.username, email: body.email }, sourceIp(event));
    return json(202, FORGOT_ANSWER);
  });

export const handler = makeForgotPasswordHandler(appDeps({ keys: publicKeys, mail: mailFromEnvironment }));
