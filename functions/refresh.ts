import { cookieMode, refreshTokenCookie, tokenAnswer } from '../lib/cookies';
import { appDeps, type AppDeps } from '../lib/deps';
import { AuthError } from '../lib/errors';
import { optionalString, parseJsonBody, requiredString, sourceIp, type HttpEvent } from '../lib/http';
import { clientIdParam } from '../lib/params';
import { route } from '../lib/route';
import { signingKeysFromSecret } from '../lib/secrets';

/**
 * POST /auth/refresh {refresh_token, scope?, client_id?}: 200, a new access token and the rotated refresh
 * token. A session started for another client than the default one refreshes only when it is named. With
 * `Refresh-Token-Transport: cookie` the refresh token comes from its cookie and goes back into it.
 */
export const makeRefreshHandler = (deps: () => Promise<AppDeps>) =>
  route(deps, async (event, { auth }) => {
    const cookie = cookieMode(event);
    const body = parseJsonBody(event);
    const clientId = clientIdParam(optionalString(body, 'client_id'));
    const presented = cookie ? fromCookie(event, body) : requiredString(body, 'refresh_token');
    return tokenAnswer(event, 200, await auth.refresh(presented, optionalString(body, 'scope'), { clientId, sourceIp: sourceIp(event) }), cookie);
  });

/** In cookie mode the token is the cookie's, only: one in the body too would make two answers to "which?". */
function fromCookie(event: HttpEvent, body: Record<string, unknown>): string {
  if (body.refresh_token !== undefined) throw new AuthError('invalid_request', 'In cookie mode the refresh token comes from its cookie, not the body.');
  const token = refreshTokenCookie(event, 'refresh');
  if (token === undefined) throw new AuthError('invalid_grant', 'No refresh token cookie came with the request; log in again.');
  return token;
}

export const handler = makeRefreshHandler(appDeps({ keys: signingKeysFromSecret }));
