import { header, type HttpEvent, type HttpResponse } from './http';
import { settings } from './config';

const ALLOWED_HEADERS = 'Authorization, Content-Type';
const ALLOWED_METHODS = 'GET, POST, DELETE, OPTIONS';

/**
 * CORS for the configured origins only: an allowed Origin is echoed (with Vary: Origin, so caches keep
 * answers per origin); any other origin gets no CORS header at all, and the browser refuses the response.
 */
export function withCors(event: HttpEvent, response: HttpResponse, allowedOrigins: readonly string[]): HttpResponse {
  const origin = header(event, 'origin');
  const headers: Record<string, string> = { ...response.headers, Vary: 'Origin' };
  if (origin !== undefined && allowedOrigins.includes(origin)) {
    headers['Access-Control-Allow-Origin'] = origin;
    headers['Access-Control-Expose-Headers'] = 'WWW-Authenticate, Retry-After';
  }
  return { ...response, headers };
}

/** The answer to a preflight request: 204, with the allowances only for a configured origin. */
export function preflight(event: HttpEvent, allowedOrigins: readonly string[]): HttpResponse {
  const response = withCors(event, { statusCode: 204, headers: { 'X-Content-Type-Options': 'nosniff' }, body: '' }, allowedOrigins);
  if (response.headers['Access-Control-Allow-Origin'] !== undefined) {
    Object.assign(response.headers, {
      'Access-Control-Allow-Methods': ALLOWED_METHODS,
      'Access-Control-Allow-Headers': ALLOWED_HEADERS,
      'Access-Control-Max-Age': '600',
    });
  }
  return response;
}

/** Wraps an HTTP handler so that every answer, errors included, carries the CORS headers it may. */
export function corsHandler<E extends HttpEvent>(
  inner: (event: E) => Promise<HttpResponse>,
  allowedOrigins: () => readonly string[] = () => settings().corsOrigins,
): (event: E) => Promise<HttpResponse> {
  return async (event) => withCors(event, await inner(event), allowedOrigins());
}
