import { corsHandler } from '../lib/cors';
import { appDeps, type AppDeps } from '../lib/deps';
import { errorResponse, optionalString, parseJsonBody, sourceIp, tokenResponse, type HttpEvent, type HttpResponse } from '../lib/http';

/** POST /auth/login {username, password, scope?}: 200 and a new session's tokens. */
export function makeLoginHandler(deps: () => Promise<AppDeps>) {
  return async (event: HttpEvent): Promise<HttpResponse> => {
    try {
      const body = parseJsonBody(event);
      const { auth } = await deps();
      const tokens = await auth.login({
        username: body.username,
        password: body.password,
        scope: optionalString(body, 'scope'),
        sourceIp: sourceIp(event),
      });
      return tokenResponse(200, tokens);
    } catch (error) {
      return errorResponse(error);
    }
  };
}

export const handler = corsHandler(makeLoginHandler(appDeps));
