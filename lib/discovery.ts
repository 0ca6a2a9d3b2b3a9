import type { Config } from './config';

/** The routes this service publishes, relative to the issuer. One table for discovery and the docs. */
export const ENDPOINTS = {
  token: '/oauth/token',
  revocation: '/oauth/revoke',
  jwks: '/.well-known/jwks.json',
} as const;

export const GRANT_TYPES = ['password', 'refresh_token'] as const;

/**
 * The authorization server metadata (RFC 8414), served both as OpenID discovery and as
 * oauth-authorization-server. There is no authorization endpoint (no browser flows), so no response types.
 */
export function discoveryDocument(config: Pick<Config, 'issuer' | 'scopes' | 'signingAlg'>) {
  return {
    issuer: config.issuer,
    token_endpoint: `${config.issuer}${ENDPOINTS.token}`,
    revocation_endpoint: `${config.issuer}${ENDPOINTS.revocation}`,
    jwks_uri: `${config.issuer}${ENDPOINTS.jwks}`,
    grant_types_supported: [...GRANT_TYPES],
    response_types_supported: [],
    scopes_supported: config.scopes,
    token_endpoint_auth_methods_supported: ['none'],
    revocation_endpoint_auth_methods_supported: ['none'],
    // Not registered by an RFC: the algorithm of the RFC 9068 access tokens this server signs.
    access_token_signing_alg_values_supported: [config.signingAlg],
  };
}
