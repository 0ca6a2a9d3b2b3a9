import { appDeps, type AppDeps } from '../lib/deps';
import { publicKeys } from '../lib/verifier-deps';
import { AuthError } from '../lib/errors';
import { json } from '../lib/http';
import { clientIdParam, parseOAuthParams } from '../lib/params';
import { route } from '../lib/route';

/**
 * POST /oauth/revoke (RFC 7009): a refresh token ends its session. Access tokens are stateless and cannot
 * be revoked; they, unknown and invalid tokens all get 200, as §2.2 says, so nothing can be probed.
 */
export const makeRevokeHandler = (deps: () => Promise<AppDeps>) =>
  route(deps, async (event, { auth }) => {
    const params = parseOAuthParams(event);
    clientIdParam(params.client_id);
    if (params.token === undefined) throw new AuthError('invalid_request', 'The "token" parameter is required.');
    await auth.logout(params.token);
    return json(200, {});
  });

export const handler = makeRevokeHandler(appDeps({ keys: publicKeys }));
