import { appDeps, type AppDeps } from '../lib/deps';
import { noContent, parseJsonBody } from '../lib/http';
import { route } from '../lib/route';
import { publicKeys } from '../lib/verifier-deps';

/**
 * POST /auth/email/verify {token}: the token of a verification message (an app's page takes it from the
 * link and posts it here). 204; a used, expired, superseded or forged token is 400 `invalid_grant`; an
 * address another account verified first is 409 `email_taken`.
 */
export const makeVerifyEmailHandler = (deps: () => Promise<AppDeps>) =>
  route(deps, async (event, { accounts }) => {
    await accounts.verifyEmail(parseJsonBody(event).token);
    return noContent();
  });

export const handler = makeVerifyEmailHandler(appDeps({ keys: publicKeys }));
