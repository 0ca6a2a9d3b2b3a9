import type { Config } from './config';

/** The routes this service publishes, relative to the issuer. One table for discovery and the docs. */
export const ENDPOINTS = {
  authorization: '/oauth/authorize',
  token: '/oauth/token',
  userinfo: '/oauth/userinfo',
  endSession: '/oauth/end-session',
  revocation: '/oauth/revoke',
  jwks: '/.well-known/jwks.json',
} as const;

/** The grants of the token endpoint; `password` only while PASSWORD_GRANT is on. */
export const GRANT_TYPES = ['authorization_code', 'refresh_token', 'password'] as const;

/** The languages of the hosted pages (lib/pages.ts). */
export const UI_LOCALES = ['en', 'ko'] as const;

/**
 * The OpenID provider metadata (OpenID Connect Discovery 1.0, RFC 8414), served both as OpenID discovery and
 * as oauth-authorization-server: the authorization code flow with PKCE S256 only, through the hosted page.
 */
export function discoveryDocument(config: Pick<Config, 'issuer' | 'scopes' | 'signingAlg'> & { passwordGrant?: boolean }) {
  const at = (path: string) => `${config.issuer}${path}`;
  return {
    issuer: config.issuer,
    authorization_endpoint: at(ENDPOINTS.authorization),
    token_endpoint: at(ENDPOINTS.token),
    userinfo_endpoint: at(ENDPOINTS.userinfo),
    end_session_endpoint: at(ENDPOINTS.endSession),
    revocation_endpoint: at(ENDPOINTS.revocation),
    jwks_uri: at(ENDPOINTS.jwks),
    grant_types_supported: GRANT_TYPES.filter((grant) => grant !== 'password' || config.passwordGrant !== false),
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    subject_types_supported: ['public'],
    scopes_supported: config.scopes,
    claims_supported: ['iss', 'sub', 'aud', 'exp', 'iat', 'auth_time', 'nonce', 'amr', 'sid', 'preferred_username', 'email', 'email_verified'],
    prompt_values_supported: ['none', 'login', 'consent', 'select_account'],
    ui_locales_supported: [...UI_LOCALES],
    id_token_signing_alg_values_supported: [config.signingAlg],
    code_challenge_methods_supported: ['S256'],
    authorization_response_iss_parameter_supported: true,
    request_parameter_supported: false,
    request_uri_parameter_supported: false,
    token_endpoint_auth_methods_supported: ['none', 'client_secret_basic', 'client_secret_post'],
    revocation_endpoint_auth_methods_supported: ['none'],
    // Not registered by an RFC: the algorithm of the RFC 9068 access tokens this server signs.
    access_token_signing_alg_values_supported: [config.signingAlg],
  };
}
