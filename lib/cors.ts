import { TRANSPORT_HEADER } from './cookies';
import { header, method, type HttpEvent, type HttpResponse } from './http';

const ALLOWED_HEADERS = `Authorization, Content-Type, ${TRANSPORT_HEADER}`;
const ALLOWED_METHODS = 'GET, POST, DELETE, OPTIONS';

/**
 * CORS for the configured origins only: an allowed Origin is echoed (with Vary: Origin, so caches keep
 * answers per origin); any other origin gets no CORS header at all, and the browser refuses the response.
 * A preflight (OPTIONS) from an allowed origin also learns the methods and headers it may use. Allowed
 * origins may send credentials (the refresh cookie of cookie mode, lib/cookies.ts): being listed in
 * CORS_ORIGINS is what trusts an origin with that.
 */
export function withCors(event: HttpEvent, response: HttpResponse, allowedOrigins: readonly string[]): HttpResponse {
  const origin = header(event, 'origin');
  const headers: Record<string, string> = { ...response.headers, Vary: 'Origin' };
  if (origin !== undefined && allowedOrigins.includes(origin)) {
    headers['Access-Control-Allow-Origin'] = origin;
    headers['Access-Control-Allow-Credentials'] = 'true';
    headers['Access-Control-Expose-Headers'] = 'WWW-Authenticate, Retry-After';
    if (method(event) === 'OPTIONS') {
      headers['Access-Control-Allow-Methods'] = ALLOWED_METHODS;
      headers['Access-Control-Allow-Headers'] = ALLOWED_HEADERS;
      headers['Access-Control-Max-Age'] = '600';
    }
  }
  return { ...response, headers };
}
