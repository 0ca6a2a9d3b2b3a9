import { corsHandler } from '../lib/cors';
import { bearerToken, challengeInvalidToken, missingToken } from '../lib/bearer';
import { appDeps, type AppDeps } from '../lib/deps';
import { AuthError } from '../lib/errors';
import { errorResponse, header, noContent, parseJsonBody, requiredString, type HttpEvent, type HttpResponse } from '../lib/http';

/**
 * POST /auth/logout {refresh_token}: ends that session. {all: true} with a Bearer access token: ends every
 * session of the user. 204 either way; an unknown refresh token is not an error (RFC 7009 §2.2).
 */
export function makeLogoutHandler(deps: () => Promise<AppDeps>) {
  return async (event: HttpEvent): Promise<HttpResponse> => {
    try {
      const body = parseJsonBody(event);
      const { auth, config } = await deps();
      if (body.all === true) {
        const token = bearerToken(header(event, 'authorization'));
        if (token === undefined) throw missingToken(config.realm);
        const claims = await auth.authenticate(token).catch(challengeInvalidToken(config.realm));
        await auth.logoutAll(claims.sub);
      } else if (body.all !== undefined && body.all !== false) {
        throw new AuthError('invalid_request', '"all" must be true or false.');
      } else {
        await auth.logout(requiredString(body, 'refresh_token'));
      }
      return noContent();
    } catch (error) {
      return errorResponse(error);
    }
  };
}

export const handler = corsHandler(makeLogoutHandler(appDeps));
