import { AuthError } from './errors';

/** The scope each protected route needs; one table, read by the route handlers. */
export const ROUTE_SCOPES = {
  me: 'profile',
  sessions: 'sessions',
  /** Acts on every session of the account: changing the password, logging out everywhere. */
  account: 'sessions',
  /** OpenID Connect Core §5.3: userinfo answers access tokens issued with `openid`. */
  userinfo: 'openid',
} as const satisfies Record<string, string | undefined>;

/**
 * The OpenID Connect scopes (Core §5.4), which every user may grant an app at the authorization endpoint:
 * `openid` (an ID token) and `email` (the verified address at userinfo). `profile` is a default scope.
 */
export const OPENID_SCOPES = ['openid', 'email'] as const;

/** RFC 6749 §3.3 scope-token. */
export const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

/**
 * Resolves a requested scope (RFC 6749 §3.3) against what may be granted: absent means all of `allowed`;
 * anything outside `allowed` is `invalid_scope`. Returns the granted scopes in a stable order.
 */
export function resolveScope(requested: string | undefined, allowed: readonly string[]): string {
  if (requested === undefined) return allowed.join(' ');
  const wanted = requested.split(' ').filter((scope) => scope !== '');
  if (wanted.length === 0 || !wanted.every((scope) => SCOPE_TOKEN.test(scope))) {
    throw new AuthError('invalid_scope', 'The requested scope is malformed.');
  }
  const unknown = wanted.filter((scope) => !allowed.includes(scope));
  if (unknown.length > 0) throw new AuthError('invalid_scope', 'The requested scope exceeds what may be granted.');
  return allowed.filter((scope) => wanted.includes(scope)).join(' ');
}

