import { bearerToken, MISSING_TOKEN_DESCRIPTION } from './bearer';
import { AuthError } from './errors';
import { header, type HttpEvent } from './http';
import { EXPIRED_DESCRIPTION, type AccessClaims, type TokenService } from './tokens';

/**
 * What the authorizer hands a protected route through API Gateway: strings only, one entry per claim the
 * routes need. The authorizer writes it (`authorizerContext`), the route wrapper reads it (`caller`).
 */
export interface AuthorizerContext {
  sub: string;
  scope: string;
  sid: string;
  client_id: string;
  /** The token's `exp` (epoch seconds): API Gateway may serve a cached Allow after it (lib/route.ts checks). */
  exp: string;
}

/** Who is calling a protected route, as its access token says. */
export interface Caller {
  sub: string;
  scope: string;
  sid: string;
  clientId: string;
  /** Epoch seconds, when the authorizer passed it. */
  exp?: number;
}

export function authorizerContext(claims: AccessClaims): AuthorizerContext {
  return { sub: claims.sub, scope: claims.scope, sid: claims.sid, client_id: claims.client_id, exp: String(claims.exp) };
}

const asRecord = (value: unknown) => (typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined);

/** The caller of a route behind the authorizer, from a REST (v1) or HTTP API (v2) event. */
export function caller(event: HttpEvent): Caller {
  const authorizer = event.requestContext?.authorizer ?? {};
  // HTTP API Lambda authorizers nest the context under "lambda", its native JWT authorizer under "jwt.claims".
  const context = asRecord(authorizer.lambda) ?? asRecord(asRecord(authorizer.jwt)?.claims) ?? authorizer;
  const { sub, scope, sid, client_id: clientId, exp } = context;
  if (typeof sub !== 'string' || typeof scope !== 'string' || typeof sid !== 'string' || typeof clientId !== 'string') {
    // Only reachable if a route is deployed without the authorizer: a server fault, not the client's.
    throw new AuthError('server_error', 'The route is not behind the authorizer.');
  }
  const expiry = typeof exp === 'number' ? exp : typeof exp === 'string' && /^\d{1,12}$/.test(exp) ? Number(exp) : undefined;
  return { sub, scope, sid, clientId, ...(expiry === undefined ? {} : { exp: expiry }) };
}

/**
 * The caller of a route that is not behind the authorizer but takes a bearer token (logout of every
 * session): the token in the Authorization header, verified here.
 */
export async function bearerCaller(event: HttpEvent, tokens: Pick<TokenService, 'verify'>): Promise<Caller> {
  const token = bearerToken(header(event, 'authorization'));
  if (token === undefined) throw new AuthError('invalid_token', MISSING_TOKEN_DESCRIPTION, { anonymous: true });
  const claims = await tokens.verify(token);
  return { sub: claims.sub, scope: claims.scope, sid: claims.sid, clientId: claims.client_id, exp: claims.exp };
}

/**
 * A 401 with the contract's expired-token body when the caller's token has expired: API Gateway caches an
 * authorizer's Allow for its TTL, which may outlive the token it was given for.
 */
export function requireUnexpired(who: Caller, now: number, clockSkew: number): void {
  if (who.exp !== undefined && Math.floor(now / 1000) >= who.exp + clockSkew) throw new AuthError('invalid_token', EXPIRED_DESCRIPTION);
}

/** A 403 `insufficient_scope` (RFC 6750 §3.1) unless the caller's token carries `needed`. */
export function requireScope(who: Caller, needed: string | undefined): void {
  if (needed === undefined || who.scope.split(' ').includes(needed)) return;
  throw new AuthError('insufficient_scope', `The access token lacks the ${needed} scope.`, { scope: needed });
}
