import { appDeps, type AppDeps } from '../lib/deps';
import { optionalString, parseJsonBody, requiredString, tokenResponse } from '../lib/http';
import { route } from '../lib/route';

/** POST /auth/refresh {refresh_token, scope?}: 200, a new access token and the rotated refresh token. */
export const makeRefreshHandler = (deps: () => Promise<AppDeps>) =>
  route(deps, async (event, { auth }) => {
    const body = parseJsonBody(event);
    return tokenResponse(200, await auth.refresh(requiredString(body, 'refresh_token'), optionalString(body, 'scope')));
  });

export const handler = makeRefreshHandler(appDeps);
