import { argon2Hasher } from '../lib/argon2';
import { checkPasswordGrant } from '../lib/clients';
import { loadProviderConfig } from '../lib/config';
import { appDeps, type AppDeps } from '../lib/deps';
import { signingKeysFromSecret } from '../lib/secrets';
import { AuthError } from '../lib/errors';
import { clientOrigin, header, sourceIp, tokenResponse } from '../lib/http';
import { clientIdParam, parseOAuthParams } from '../lib/params';
import { authenticateClient, CLIENT_CHALLENGE } from '../lib/provider';
import { route } from '../lib/route';

const required = (params: Record<string, string>, name: string) => {
  const value = params[name];
  if (value === undefined) throw new AuthError('invalid_request', `The "${name}" parameter is required.`);
  return value;
};

/**
 * POST /oauth/token (RFC 6749 §4.1.3, §4.3, §6): the authorization_code grant with PKCE (RFC 7636), the
 * password grant while PASSWORD_GRANT is on, and refresh_token; form or JSON. A registered confidential
 * client authenticates (HTTP Basic or client_secret_post) for every grant.
 */
export const makeTokenHandler = (deps: () => Promise<AppDeps>) =>
  route(deps, async (event, { auth, clients, passwordGrant, provider }) => {
    const params = parseOAuthParams(event);
    const grantType = required(params, 'grant_type');
    // Without the clients (a deps built for the password and refresh grants alone), every client is public.
    const { clientId: named, client } = clients ? await authenticateClient(clients, params, header(event, 'authorization')) : { clientId: params.client_id, client: undefined };
    const clientId = clientIdParam(named);
    if (grantType === 'authorization_code') {
      if (!provider) throw new AuthError('server_error', 'This function cannot redeem codes.');
      if (named === undefined) throw new AuthError('invalid_request', 'The "client_id" parameter is required.');
      if (!client) throw new AuthError('invalid_client', 'The client_id names no registered client.', { headers: { 'WWW-Authenticate': CLIENT_CHALLENGE } });
      const exchanged = { code: params.code, redirectUri: params.redirect_uri, codeVerifier: params.code_verifier };
      return tokenResponse(200, await provider.exchange(client, exchanged, clientOrigin(event)));
    }
    // authenticateClient has checked the secret of a client that has one.
    const confidential = client?.clientSecretHash !== undefined;
    if (grantType === 'password') {
      await checkPasswordGrant(clients, passwordGrant, clientId, confidential);
      const credentials = { username: required(params, 'username'), password: required(params, 'password') };
      return tokenResponse(200, await auth.login({ ...credentials, scope: params.scope, clientId, confidential, ...clientOrigin(event) }));
    }
    if (grantType === 'refresh_token') {
      const origin = { clientId, sourceIp: sourceIp(event), clientAuthenticated: confidential };
      return tokenResponse(200, await auth.refresh(required(params, 'refresh_token'), params.scope, origin));
    }
    throw new AuthError('unsupported_grant_type', 'The grant type is not supported; use authorization_code or refresh_token.');
  });

export const handler = makeTokenHandler(appDeps({ keys: signingKeysFromSecret, passwords: argon2Hasher, oauth: loadProviderConfig }));
