import { appDeps, type AppDeps } from '../lib/deps';
import { optionalString, parseJsonBody, tokenResponse } from '../lib/http';
import { route } from '../lib/route';

/** POST /auth/register {username, password, scope?}: 201 and the user's first tokens. */
export const makeRegisterHandler = (deps: () => Promise<AppDeps>) =>
  route(deps, async (event, { auth }) => {
    const body = parseJsonBody(event);
    const tokens = await auth.register({ username: body.username, password: body.password, scope: optionalString(body, 'scope') });
    return tokenResponse(201, tokens);
  });

export const handler = makeRegisterHandler(appDeps);
