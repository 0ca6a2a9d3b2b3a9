import { appDeps, type AppDeps } from '../lib/deps';
import { optionalString, parseJsonBody, sourceIp, tokenResponse } from '../lib/http';
import { route } from '../lib/route';

/** POST /auth/login {username, password, scope?}: 200 and a new session's tokens. */
export const makeLoginHandler = (deps: () => Promise<AppDeps>) =>
  route(deps, async (event, { auth }) => {
    const body = parseJsonBody(event);
    const tokens = await auth.login({
      username: body.username,
      password: body.password,
      scope: optionalString(body, 'scope'),
      sourceIp: sourceIp(event),
    });
    return tokenResponse(200, tokens);
  });

export const handler = makeLoginHandler(appDeps);
