import { argon2Hasher } from '../lib/argon2';
import { appDeps, type AppDeps } from '../lib/deps';
import { signingKeysFromSecret } from '../lib/secrets';
import { AuthError } from '../lib/errors';
import { clientOrigin, sourceIp, tokenResponse } from '../lib/http';
import { clientIdParam, parseOAuthParams } from '../lib/params';
import { route } from '../lib/route';

const required = (params: Record<string, string>, name: string) => {
  const value = params[name];
  if (value === undefined) throw new AuthError('invalid_request', `The "${name}" parameter is required.`);
  return value;
};

/** POST /oauth/token (RFC 6749 §4.3, §6): the password and refresh_token grants, form or JSON. */
export const makeTokenHandler = (deps: () => Promise<AppDeps>) =>
  route(deps, async (event, { auth }) => {
    const params = parseOAuthParams(event);
    const clientId = clientIdParam(params.client_id);
    const grantType = required(params, 'grant_type');
    if (grantType === 'password') {
      const credentials = { username: required(params, 'username'), password: required(params, 'password') };
      return tokenResponse(200, await auth.login({ ...credentials, scope: params.scope, clientId, ...clientOrigin(event) }));
    }
    if (grantType === 'refresh_token') {
      return tokenResponse(200, await auth.refresh(required(params, 'refresh_token'), params.scope, { clientId, sourceIp: sourceIp(event) }));
    }
    throw new AuthError('unsupported_grant_type', 'The grant type is not supported; use password or refresh_token.');
  });

export const handler = makeTokenHandler(appDeps({ keys: signingKeysFromSecret, passwords: argon2Hasher }));
