import { corsHandler } from '../lib/cors';
import { appDeps, type AppDeps } from '../lib/deps';
import { errorResponse, json, type HttpEvent, type HttpResponse } from '../lib/http';
import { clientIdParam, parseOAuthParams } from '../lib/params';
import { AuthError } from '../lib/errors';

/**
 * POST /oauth/revoke (RFC 7009): a refresh token ends its session. Access tokens are stateless and cannot
 * be revoked; they, unknown and invalid tokens all get 200, as §2.2 says, so nothing can be probed.
 */
export function makeRevokeHandler(deps: () => Promise<AppDeps>) {
  return async (event: HttpEvent): Promise<HttpResponse> => {
    try {
      const params = parseOAuthParams(event);
      clientIdParam(params);
      const token = params.token;
      if (token === undefined) throw new AuthError('invalid_request', 'The "token" parameter is required.');
      const { auth } = await deps();
      await auth.logout(token);
      return json(200, {});
    } catch (error) {
      return errorResponse(error);
    }
  };
}

export const handler = corsHandler(makeRevokeHandler(appDeps));
