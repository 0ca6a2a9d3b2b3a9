import { corsHandler } from '../lib/cors';
import { appDeps, type AppDeps } from '../lib/deps';
import { errorResponse, optionalString, parseJsonBody, requiredString, tokenResponse, type HttpEvent, type HttpResponse } from '../lib/http';

/** POST /auth/refresh {refresh_token, scope?}: 200, a new access token and the rotated refresh token. */
export function makeRefreshHandler(deps: () => Promise<AppDeps>) {
  return async (event: HttpEvent): Promise<HttpResponse> => {
    try {
      const body = parseJsonBody(event);
      const refreshToken = requiredString(body, 'refresh_token');
      const { auth } = await deps();
      return tokenResponse(200, await auth.refresh(refreshToken, optionalString(body, 'scope')));
    } catch (error) {
      return errorResponse(error);
    }
  };
}

export const handler = corsHandler(makeRefreshHandler(appDeps));
