import { appDeps, type AppDeps } from '../lib/deps';
import { signingKeysFromSecret } from '../lib/secrets';
import { optionalString, parseJsonBody, requiredString, tokenResponse } from '../lib/http';
import { clientIdParam } from '../lib/params';
import { route } from '../lib/route';

/**
 * POST /auth/refresh {refresh_token, scope?, client_id?}: 200, a new access token and the rotated refresh
 * token. A session started for another client than the default one refreshes only when it is named.
 */
export const makeRefreshHandler = (deps: () => Promise<AppDeps>) =>
  route(deps, async (event, { auth }) => {
    const body = parseJsonBody(event);
    const clientId = clientIdParam(optionalString(body, 'client_id'));
    return tokenResponse(200, await auth.refresh(requiredString(body, 'refresh_token'), optionalString(body, 'scope'), clientId));
  });

export const handler = makeRefreshHandler(appDeps({ keys: signingKeysFromSecret }));
