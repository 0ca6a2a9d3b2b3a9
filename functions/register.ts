import { corsHandler } from '../lib/cors';
import { appDeps, type AppDeps } from '../lib/deps';
import { errorResponse, optionalString, parseJsonBody, tokenResponse, type HttpEvent, type HttpResponse } from '../lib/http';

/** POST /auth/register {username, password, scope?}: 201 and the user's first tokens. */
export function makeRegisterHandler(deps: () => Promise<AppDeps>) {
  return async (event: HttpEvent): Promise<HttpResponse> => {
    try {
      const body = parseJsonBody(event);
      const { auth } = await deps();
      const tokens = await auth.register({ username: body.username, password: body.password, scope: optionalString(body, 'scope') });
      return tokenResponse(201, tokens);
    } catch (error) {
      return errorResponse(error);
    }
  };
}

export const handler = corsHandler(makeRegisterHandler(appDeps));
