import { argon2Hasher } from '../lib/argon2';
import { isCommonPassword } from '../lib/common-passwords';
import { appDeps, type AppDeps } from '../lib/deps';
import { signingKeysFromSecret } from '../lib/secrets';
import { cookieMode, tokenAnswer } from '../lib/cookies';
import { clientOrigin, optionalString, parseJsonBody } from '../lib/http';
import { mailFromEnvironment } from '../lib/mail-deps';
import { clientIdParam } from '../lib/params';
import { route } from '../lib/route';

/**
 * POST /auth/register {username, password, email?, scope?, client_id?}: 201 and the user's first tokens
 * (the refresh token in cookies with `Refresh-Token-Transport: cookie`); an address is sent a verification.
 */
export const makeRegisterHandler = (deps: () => Promise<AppDeps>) =>
  route(deps, async (event, { auth }) => {
    const cookie = cookieMode(event);
    const body = parseJsonBody(event);
    const tokens = await auth.register({
      username: body.username,
      password: body.password,
      scope: optionalString(body, 'scope'),
      clientId: clientIdParam(optionalString(body, 'client_id')),
      email: body.email,
      ...clientOrigin(event),
    });
    return tokenAnswer(event, 201, tokens, cookie);
  });

export const handler = makeRegisterHandler(appDeps({ keys: signingKeysFromSecret, passwords: argon2Hasher, isCommonPassword, mail: mailFromEnvironment }));
