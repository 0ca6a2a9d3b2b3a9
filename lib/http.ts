import type { IssuedTokens } from './auth';
import { AuthError } from './errors';

/** The part of an API Gateway proxy event (REST v1 or HTTP API v2) that the handlers read. */
export interface HttpEvent {
  httpMethod?: string;
  /** The route's path, without the stage (REST v1). */
  path?: string;
  headers?: Record<string, string | undefined> | null;
  multiValueHeaders?: Record<string, (string | undefined)[] | undefined> | null;
  /** HTTP API v2 gathers the Cookie headers here. */
  cookies?: string[];
  body?: string | null;
  isBase64Encoded?: boolean;
  pathParameters?: Record<string, string | undefined> | null;
  queryStringParameters?: Record<string, string | undefined> | null;
  multiValueQueryStringParameters?: Record<string, (string | undefined)[] | undefined> | null;
  /** HTTP API v2. */
  rawQueryString?: string;
  requestContext?: {
    /** The path as the client sent it, with the stage when the URL has one (REST v1). */
    path?: string;
    authorizer?: Record<string, unknown> | null;
    identity?: { sourceIp?: string } | null;
    http?: { sourceIp?: string; method?: string };
  } | null;
}

export interface HttpResponse {
  statusCode: number;
  headers: Record<string, string>;
  /** Headers that occur more than once (Set-Cookie). */
  multiValueHeaders?: Record<string, string[]>;
  body: string;
}

export const MAX_BODY_BYTES = 16 * 1024;

/** RFC 6749 §5.1 for token responses, and the safe default for every other answer about a user. */
const NO_STORE = { 'Cache-Control': 'no-store', Pragma: 'no-cache' };
const BASE_HEADERS = { 'X-Content-Type-Options': 'nosniff', ...NO_STORE };
const JSON_HEADERS = { ...BASE_HEADERS, 'Content-Type': 'application/json' };

/** Looks a header up case-insensitively, as HTTP requires and API Gateway does not. */
export function header(event: HttpEvent, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === wanted && typeof value === 'string') return value;
  }
  return undefined;
}

/** The request method, upper case (REST v1 or HTTP API v2). */
export function method(event: HttpEvent): string | undefined {
  return (event.httpMethod ?? event.requestContext?.http?.method)?.toUpperCase();
}

/** The caller's address as API Gateway saw it (REST v1 or HTTP API v2). */
export function sourceIp(event: HttpEvent): string | undefined {
  return event.requestContext?.identity?.sourceIp ?? event.requestContext?.http?.sourceIp ?? undefined;
}

/** Where a login comes from: the address and the User-Agent, for the session list. */
export function clientOrigin(event: HttpEvent): { sourceIp?: string; userAgent?: string } {
  return { sourceIp: sourceIp(event), userAgent: header(event, 'user-agent') };
}

/** The media type of the request body, lower case and without parameters. */
export function mediaType(event: HttpEvent): string | undefined {
  return header(event, 'content-type')?.split(';')[0]?.trim().toLowerCase() || undefined;
}

/** The raw body as text, refusing anything over MAX_BODY_BYTES. */
export function bodyText(event: HttpEvent): string {
  const raw = event.body ?? '';
  if (raw.length > MAX_BODY_BYTES * 2) throw tooLarge();
  const bytes = event.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
  if (bytes.length > MAX_BODY_BYTES) throw tooLarge();
  return bytes.toString('utf8');
}

function tooLarge(): AuthError {
  return new AuthError('invalid_request', `The request body must not exceed ${MAX_BODY_BYTES} bytes.`, { status: 413 });
}

/** Parses a JSON object body; anything else is a 4xx with the contract's error body. */
export function parseJsonBody(event: HttpEvent): Record<string, unknown> {
  if (mediaType(event) !== 'application/json') {
    throw new AuthError('invalid_request', 'The request body must be application/json.', { status: 415 });
  }
  return parseJsonObject(bodyText(event));
}

/** JSON text that must hold an object; what it holds is still `unknown` to the caller's guards. */
export function parseJsonObject(text: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new AuthError('invalid_request', 'The request body is not valid JSON.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new AuthError('invalid_request', 'The request body must be a JSON object.');
  }
  return parsed as Record<string, unknown>;
}

/** An optional string field: undefined when absent, a 400 when of the wrong type. */
export function optionalString(body: Record<string, unknown>, field: string): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new AuthError('invalid_request', `"${field}" must be a string.`);
  return value;
}

export function requiredString(body: Record<string, unknown>, field: string): string {
  const value = optionalString(body, field);
  if (value === undefined || value === '') throw new AuthError('invalid_request', `"${field}" is required.`);
  return value;
}

export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResponse {
  return { statusCode, headers: { ...JSON_HEADERS, ...headers }, body: JSON.stringify(body) };
}

/** A JSON answer that shared caches may keep for `maxAge` seconds (public metadata only). */
export function publicJson(body: unknown, maxAge: number): HttpResponse {
  const response = json(200, body, { 'Cache-Control': `public, max-age=${maxAge}` });
  delete response.headers.Pragma;
  return response;
}

export function noContent(): HttpResponse {
  return { statusCode: 204, headers: { ...BASE_HEADERS }, body: '' };
}

/** The RFC 6749 §5.1 token response (no-store, as every JSON answer here). */
export function tokenResponse(statusCode: number, tokens: IssuedTokens, { refreshTokenInBody = true } = {}): HttpResponse {
  return json(statusCode, {
    token_type: 'Bearer',
    access_token: tokens.accessToken,
    expires_in: tokens.expiresIn,
    ...(refreshTokenInBody ? { refresh_token: tokens.refreshToken } : {}),
    scope: tokens.scope,
    ...(tokens.idToken === undefined ? {} : { id_token: tokens.idToken }),
  });
}

/**
 * The contract's error body for any error. AuthErrors below 500 say what went wrong; anything else is
 * answered with a bare 500 (the route wrapper logs it with its cause).
 */
export function errorResponse(error: unknown): HttpResponse {
  const known = error instanceof AuthError ? error : undefined;
  const failure = known ?? new AuthError('server_error', 'The server could not complete the request.');
  // A 503 may say why (the client should retry); other 5xx bodies say nothing about the server.
  const description = known && (known.expose || known.code === 'temporarily_unavailable')
    ? known.message
    : 'The server could not complete the request.';
  return json(failure.status, { code: failure.status, error: failure.code, error_description: description }, failure.headers);
}
