import { parseCookie, stringifySetCookie } from 'cookie';
import type { IssuedTokens } from './auth';
import { AuthError } from './errors';
import { header, tokenResponse, type HttpEvent, type HttpResponse } from './http';

/**
 * Cookie mode, for browser apps (the OAuth browser-based-apps BCP's answer to `localStorage`): a request
 * with `Refresh-Token-Transport: cookie` gets its refresh token as an HttpOnly cookie, never in a body, and
 * presents it the same way. Two cookies carry the same token, one scoped to each path that reads it
 * (`/auth/refresh`, `/auth/logout`), so the token reaches no other route: not the service's own, not yours.
 *
 * Against CSRF: SameSite=Strict, and the custom header itself, without which the server reads no cookie at
 * all. A page can send that header to another origin only after a CORS preflight, which only the
 * configured origins pass.
 */
export const TRANSPORT_HEADER = 'Refresh-Token-Transport';

/** The cookie of each path that reads the refresh token. */
export const REFRESH_COOKIES = {
  refresh: { name: 'jwt_auth_refresh', path: '/auth/refresh' },
  logout: { name: 'jwt_auth_logout', path: '/auth/logout' },
} as const;

/** A Cookie header beyond this is refused rather than parsed (API Gateway allows 10 KB of headers). */
const MAX_COOKIE_HEADER = 8 * 1024;

/** Whether the request asked for cookie mode: `cookie`; `body` (or no header) is the default. */
export function cookieMode(event: HttpEvent): boolean {
  const value = header(event, TRANSPORT_HEADER)?.trim().toLowerCase();
  if (value === undefined || value === 'body') return false;
  if (value === 'cookie') return true;
  throw new AuthError('invalid_request', `${TRANSPORT_HEADER} must be "cookie" or "body".`);
}

/**
 * The stage prefix the client sees in front of the route's path (`/prod` for
 * `https://….execute-api…/prod/auth/refresh`; nothing behind a custom domain or locally), so the cookie's
 * Path matches the URL the browser used.
 */
export function pathPrefix(event: HttpEvent): string {
  const full = event.requestContext?.path;
  const route = event.path;
  if (typeof full !== 'string' || typeof route !== 'string' || !full.endsWith(route)) return '';
  const prefix = full.slice(0, full.length - route.length);
  return /^(\/[\w.~-]+)*$/.test(prefix) ? prefix : '';
}

/** Every Cookie header of the request, as one (REST v1 headers or multiValueHeaders, HTTP API v2 `cookies`). */
function cookieHeader(event: HttpEvent): string {
  const values = new Set<string>();
  for (const [key, list] of Object.entries(event.multiValueHeaders ?? {})) {
    if (key.toLowerCase() === 'cookie' && Array.isArray(list)) for (const value of list) if (typeof value === 'string') values.add(value);
  }
  const single = header(event, 'cookie');
  if (single !== undefined && values.size === 0) values.add(single);
  if (Array.isArray(event.cookies)) for (const value of event.cookies) if (typeof value === 'string') values.add(value);
  return [...values].join('; ');
}

/**
 * The refresh token from the cookie of `path` (the first, if a browser sent several: the most specific
 * path comes first), or undefined when there is none.
 */
/** The value of the cookie `name`, or undefined (a Cookie header beyond 8 KB is refused). */
export function readCookie(event: HttpEvent, name: string): string | undefined {
  const text = cookieHeader(event);
  if (text.length > MAX_COOKIE_HEADER) throw new AuthError('invalid_request', 'The Cookie header is too long.');
  return parseCookie(text)[name] || undefined;
}

export function refreshTokenCookie(event: HttpEvent, path: keyof typeof REFRESH_COOKIES): string | undefined {
  return readCookie(event, REFRESH_COOKIES[path].name);
}

/** Set-Cookie for both cookies: the token for `maxAge` seconds, or, without a token, their removal. */
function setCookies(event: HttpEvent, token: string | undefined, maxAge: number): string[] {
  const prefix = pathPrefix(event);
  return Object.values(REFRESH_COOKIES).map(({ name, path }) =>
    stringifySetCookie({
      name,
      value: token ?? '',
      path: `${prefix}${path}`,
      maxAge: token === undefined ? 0 : maxAge,
      httpOnly: true,
      secure: true,
      sameSite: 'strict',
    }),
  );
}

function withSetCookie(response: HttpResponse, cookies: string[]): HttpResponse {
  return { ...response, multiValueHeaders: { ...response.multiValueHeaders, 'Set-Cookie': cookies } };
}

/**
 * The answer of a route that issues tokens: the contract's token response, or in cookie mode the same
 * without `refresh_token`, which goes into the cookies instead.
 */
export function tokenAnswer(event: HttpEvent, statusCode: number, tokens: IssuedTokens, cookie: boolean): HttpResponse {
  if (!cookie) return tokenResponse(statusCode, tokens);
  return withSetCookie(tokenResponse(statusCode, tokens, { refreshTokenInBody: false }), setCookies(event, tokens.refreshToken, tokens.refreshExpiresIn));
}

/** An answer that ends cookie mode on this browser: both cookies removed. */
export function clearingCookies(event: HttpEvent, response: HttpResponse): HttpResponse {
  return withSetCookie(response, setCookies(event, undefined, 0));
}
