import { withCors } from '../../lib/cors';
import { AuthError } from '../../lib/errors';
import { errorResponse, json, noContent, publicJson, tokenResponse, type HttpResponse } from '../../lib/http';
import { proxyEvent } from '../support/app';

const APP = 'https://app.example.com';
const ADMIN = 'http://localhost:5173';
const ALLOWED = [APP, ADMIN];

/** A request from a browser page at `origin` (none: not a cross-origin browser request). */
const from = (origin: string | undefined, headerName = 'Origin') =>
  proxyEvent({ headers: origin === undefined ? {} : { [headerName]: origin, 'Content-Type': 'application/json' } });
/** A CORS preflight from a page at `origin`. */
const preflightFrom = (origin: string | undefined) => ({ ...from(origin), httpMethod: 'OPTIONS' });
const PREFLIGHT_ANSWER: HttpResponse = { statusCode: 204, headers: { 'X-Content-Type-Options': 'nosniff' }, body: '' };
const preflight = (origin: string | undefined) => withCors(preflightFrom(origin), PREFLIGHT_ANSWER, ALLOWED);

const TOKENS = { accessToken: 'header.payload.signature', expiresIn: 900, refreshToken: 'opaque-refresh-token', refreshExpiresIn: 1_209_600, scope: 'profile sessions' };
const CORS_HEADERS = [
  'Access-Control-Allow-Origin', 'Access-Control-Expose-Headers', 'Access-Control-Allow-Methods', 'Access-Control-Allow-Headers',
  'Access-Control-Max-Age', 'Access-Control-Allow-Credentials',
];
const corsHeadersOf = (response: HttpResponse) => Object.keys(response.headers).filter((name) => CORS_HEADERS.includes(name));

describe('withCors', () => {
  it.each([APP, ADMIN])('echoes the configured origin %s with Vary: Origin and credentials, and exposes WWW-Authenticate and Retry-After', (origin) => {
    const response = withCors(from(origin), json(200, { ok: true }), ALLOWED);

    expect(response.headers['Access-Control-Allow-Origin']).toBe(origin);
    expect(response.headers.Vary).toBe('Origin');
    expect(response.headers['Access-Control-Expose-Headers']?.split(/, */)).toEqual(expect.arrayContaining(['WWW-Authenticate', 'Retry-After']));
    expect(response.headers['Access-Control-Allow-Credentials']).toBe('true');
  });

  it('finds the Origin header whatever its case (HTTP APIs send it in lower case)', () => {
    const response = withCors(from(APP, 'origin'), json(200, {}), ALLOWED);

    expect(response.headers['Access-Control-Allow-Origin']).toBe(APP);
  });

  it.each([
    ['another site', 'https://evil.example'],
    ['a look-alike host', 'https://app.example.com.evil.example'],
    ['another scheme', 'http://app.example.com'],
    ['another port', 'https://app.example.com:8443'],
    ['an origin with a path', 'https://app.example.com/'],
    ['the opaque origin', 'null'],
    ['a wildcard', '*'],
    ['an empty origin', ''],
    ['a space-separated pair of origins', `${APP} ${ADMIN}`],
  ])('gives %s no CORS header at all, but still Vary: Origin', (_case, origin) => {
    const response = withCors(from(origin), json(200, { ok: true }), ALLOWED);

    expect(corsHeadersOf(response)).toEqual([]);
    expect(response.headers.Vary).toBe('Origin');
  });

  it('gives a request without Origin no CORS header', () => {
    const response = withCors(from(undefined), json(200, {}), ALLOWED);

    expect(corsHeadersOf(response)).toEqual([]);
  });

  it('allows no origin at all when none is configured', () => {
    const response = withCors(from(APP), json(200, {}), []);

    expect(corsHeadersOf(response)).toEqual([]);
  });

  it('keeps the answer’s own status, body and headers', () => {
    const inner = tokenResponse(200, TOKENS);

    const response = withCors(from(APP), inner, ALLOWED);

    expect(response.statusCode).toBe(200);
    expect(response.body).toBe(inner.body);
    expect(response.headers).toMatchObject(inner.headers);
  });
});

describe('preflight', () => {
  it('tells a configured origin the methods, headers and max-age it may use', () => {
    const response = preflight(APP);

    expect(response.statusCode).toBe(204);
    expect(response.body).toBe('');
    expect(response.headers['Access-Control-Allow-Origin']).toBe(APP);
    expect(response.headers.Vary).toBe('Origin');
    expect(response.headers['Access-Control-Allow-Methods']?.split(/, */)).toEqual(expect.arrayContaining(['GET', 'POST', 'DELETE', 'OPTIONS']));
    expect(response.headers['Access-Control-Allow-Headers']?.toLowerCase().split(/, */)).toEqual(expect.arrayContaining(['authorization', 'content-type', 'refresh-token-transport']));
    expect(response.headers['Access-Control-Max-Age']).toMatch(/^[1-9]\d*$/);
    expect(response.headers['X-Content-Type-Options']).toBe('nosniff');
  });

  it.each([['another origin', 'https://evil.example'], ['no origin', undefined]])('gives %s a 204 without any allowance', (_case, origin) => {
    const response = preflight(origin);

    expect(response.statusCode).toBe(204);
    expect(corsHeadersOf(response)).toEqual([]);
    expect(response.headers['X-Content-Type-Options']).toBe('nosniff');
  });

  it('adds no preflight allowances to an answer that is not a preflight', () => {
    const response = withCors(from(APP), json(200, {}), ALLOWED);

    expect(response.headers['Access-Control-Allow-Methods']).toBeUndefined();
    expect(response.headers['Access-Control-Allow-Headers']).toBeUndefined();
  });
});

describe('every answer', () => {
  it.each<[string, () => HttpResponse]>([
    ['json', () => json(200, {})],
    ['noContent', () => noContent()],
    ['publicJson', () => publicJson({}, 60)],
    ['tokenResponse', () => tokenResponse(201, TOKENS)],
    ['errorResponse (4xx)', () => errorResponse(new AuthError('invalid_request', 'bad'))],
    ['preflight', () => preflight(APP)],
  ])('carries X-Content-Type-Options: nosniff (%s), with or without CORS', (_case, make) => {
    const response = withCors(from(APP), make(), ALLOWED);
    const foreign = withCors(from('https://evil.example'), make(), ALLOWED);

    expect(response.headers['X-Content-Type-Options']).toBe('nosniff');
    expect(foreign.headers['X-Content-Type-Options']).toBe('nosniff');
  });

  it.each([200, 201])('token responses (%s) carry Cache-Control: no-store and Pragma: no-cache', (status) => {
    const response = withCors(from(APP), tokenResponse(status, TOKENS), ALLOWED);

    expect(response.headers).toMatchObject({ 'Cache-Control': 'no-store', Pragma: 'no-cache' });
  });
});
