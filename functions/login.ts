import { argon2Hasher } from '../lib/argon2';
import { checkPasswordGrant } from '../lib/clients';
import { loadClientsConfig } from '../lib/config';
import { appDeps, type AppDeps } from '../lib/deps';
import { signingKeysFromSecret } from '../lib/secrets';
import { cookieMode, tokenAnswer } from '../lib/cookies';
import { clientOrigin, optionalString, parseJsonBody } from '../lib/http';
import { clientIdParam } from '../lib/params';
import { route } from '../lib/route';

/**
 * POST /auth/login {username, password, scope?, client_id?}: 200 and a new session's tokens (the refresh
 * token in cookies with `Refresh-Token-Transport: cookie`).
 */
export const makeLoginHandler = (deps: () => Promise<AppDeps>) =>
  route(deps, async (event, { auth, clients, passwordGrant }) => {
    const cookie = cookieMode(event);
    const body = parseJsonBody(event);
    const clientId = clientIdParam(optionalString(body, 'client_id'));
    await checkPasswordGrant(clients, passwordGrant, clientId);
    const tokens = await auth.login({
      username: body.username,
      password: body.password,
      scope: optionalString(body, 'scope'),
      clientId,
      ...clientOrigin(event),
    });
    return tokenAnswer(event, 200, tokens, cookie);
  });

export const handler = makeLoginHandler(appDeps({ keys: signingKeysFromSecret, passwords: argon2Hasher, oauth: loadClientsConfig }));
