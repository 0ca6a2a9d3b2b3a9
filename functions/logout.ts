import { bearerCaller, requireScope } from '../lib/caller';
import { clearingCookies, cookieMode, refreshTokenCookie } from '../lib/cookies';
import { appDeps, type AppDeps } from '../lib/deps';
import { AuthError } from '../lib/errors';
import { noContent, parseJsonBody, requiredString } from '../lib/http';
import { route } from '../lib/route';
import { ROUTE_SCOPES } from '../lib/scopes';
import { publicKeys } from '../lib/verifier-deps';

/**
 * POST /auth/logout {refresh_token}: ends that session. {all: true} with a Bearer access token: ends every
 * session of the user. 204 either way; an unknown refresh token is not an error (RFC 7009 §2.2). With
 * `Refresh-Token-Transport: cookie` the refresh token comes from its cookie, and the answer removes the
 * cookies, whatever became of the session.
 */
export const makeLogoutHandler = (deps: () => Promise<AppDeps>) =>
  route(deps, async (event, { auth, tokens }) => {
    const cookie = cookieMode(event);
    const body = parseJsonBody(event);
    if (body.all === true) {
      const who = await bearerCaller(event, tokens);
      requireScope(who, ROUTE_SCOPES.account);
      await auth.logoutAll(who.sub);
    } else if (body.all !== undefined && body.all !== false) {
      throw new AuthError('invalid_request', '"all" must be true or false.');
    } else if (cookie) {
      if (body.refresh_token !== undefined) throw new AuthError('invalid_request', 'In cookie mode the refresh token comes from its cookie, not the body.');
      const token = refreshTokenCookie(event, 'logout');
      if (token !== undefined) await auth.logout(token);
    } else {
      await auth.logout(requiredString(body, 'refresh_token'));
    }
    return cookie ? clearingCookies(event, noContent()) : noContent();
  });

export const handler = makeLogoutHandler(appDeps({ keys: publicKeys }));
