import type { AuthError } from './errors';

/** RFC 6750 §2.1 b64token, after a case-insensitive "Bearer" and one or more spaces. */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/**
 * The token in an Authorization header value; undefined when there is none or the scheme is not Bearer
 * (RFC 6750 §3.1: such a request carries no authentication, so it gets a challenge without an error code).
 */
export function bearerToken(authorization: string | undefined): string | undefined {
  if (authorization === undefined) return undefined;
  return BEARER.exec(authorization)?.[1];
}

/**
 * RFC 6750 §3 allows only %x20-21 / %x23-5B / %x5D-7E in error_description; dropping the rest also keeps
 * the value safe inside the gateway responses' JSON templates, which cannot escape.
 */
export const headerSafe = (value: string) => value.replace(/[^\x20\x21\x23-\x5b\x5d-\x7e]/g, '');

/** True when the header names the Bearer scheme, well formed or not. */
export function isBearerScheme(authorization: string | undefined): boolean {
  return authorization !== undefined && /^Bearer(?:[ \t]|$)/i.test(authorization);
}

const quoted = (value: string) => `"${headerSafe(value)}"`;

/**
 * The WWW-Authenticate value of RFC 6750 §3: the realm alone for a request without a token, else the
 * error, its description and, for `insufficient_scope`, the scope the route needs.
 */
export function challenge(realm: string, error?: AuthError): string {
  const params = [`realm=${quoted(realm)}`];
  if (error && !error.anonymous) params.push(`error=${quoted(error.code)}`, `error_description=${quoted(error.message)}`);
  if (error?.scope !== undefined) params.push(`scope=${quoted(error.scope)}`);
  return `Bearer ${params.join(', ')}`;
}

export const MISSING_TOKEN_DESCRIPTION = 'The access token is missing.';
