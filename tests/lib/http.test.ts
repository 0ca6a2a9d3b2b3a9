import { AuthError, temporarilyUnavailable } from '../../lib/errors';
import { errorResponse, header, parseJsonBody, tokenResponse, type HttpEvent } from '../../lib/http';

const LIMIT = 16 * 1024;

/** An API Gateway event with `body`; a `contentType` of null sends no Content-Type header. */
function jsonEvent(body: string | null, contentType: string | null = 'application/json', isBase64Encoded = false): HttpEvent {
  return { headers: contentType === null ? {} : { 'Content-Type': contentType }, body, isBase64Encoded };
}

/** A JSON object body of exactly `bytes` UTF-8 bytes. */
function objectOfBytes(bytes: number): string {
  const frame = '{"a":""}';
  return `{"a":"${'x'.repeat(bytes - frame.length)}"}`;
}

function parse(event: HttpEvent): Promise<Record<string, unknown>> {
  return Promise.resolve().then(() => parseJsonBody(event));
}

describe('parseJsonBody', () => {
  it('returns the parsed object', () => {
    const event = jsonEvent('{"username":"ada","password":"correct horse"}');

    const body = parseJsonBody(event);

    expect(body).toEqual({ username: 'ada', password: 'correct horse' });
  });

  it.each(['application/json; charset=utf-8', 'application/json;charset=UTF-8', 'Application/JSON'])('accepts Content-Type %s', (type) => {
    const event = jsonEvent('{"a":1}', type);

    const body = parseJsonBody(event);

    expect(body).toEqual({ a: 1 });
  });

  it('finds the content type whatever the header name case', () => {
    const event: HttpEvent = { headers: { 'content-type': 'application/json' }, body: '{"a":1}' };

    const body = parseJsonBody(event);

    expect(body).toEqual({ a: 1 });
  });

  it.each([
    ['missing', null],
    ['text/plain', 'text/plain'],
    ['form', 'application/x-www-form-urlencoded'],
    ['a lookalike', 'application/jsonp'],
    ['empty', ''],
  ])('answers 415 invalid_request for a %s content type', async (_what, type) => {
    const event = jsonEvent('{"a":1}', type);

    await expect(parse(event)).rejects.toMatchObject({ name: 'AuthError', code: 'invalid_request', status: 415 });
  });

  it('answers 415 when there are no headers at all', async () => {
    const event: HttpEvent = { headers: null, body: '{"a":1}' };

    await expect(parse(event)).rejects.toMatchObject({ code: 'invalid_request', status: 415 });
  });

  it('accepts a body of exactly 16 KB', () => {
    const event = jsonEvent(objectOfBytes(LIMIT));

    const body = parseJsonBody(event);

    expect(body.a).toHaveLength(LIMIT - 8);
  });

  it('answers 413 for a body one byte over 16 KB', async () => {
    const event = jsonEvent(objectOfBytes(LIMIT + 1));

    await expect(parse(event)).rejects.toMatchObject({ code: 'invalid_request', status: 413 });
  });

  it('counts bytes, not characters: 6,000 three-byte characters are over 16 KB', async () => {
    const event = jsonEvent(`{"a":"${'€'.repeat(6000)}"}`);

    await expect(parse(event)).rejects.toMatchObject({ code: 'invalid_request', status: 413 });
  });

  it('answers 413 for a 1 MB body', async () => {
    const event = jsonEvent(objectOfBytes(1024 * 1024));

    await expect(parse(event)).rejects.toMatchObject({ code: 'invalid_request', status: 413 });
  });

  it('decodes a base64-encoded body', () => {
    const event = jsonEvent(Buffer.from('{"refresh_token":"abc"}').toString('base64'), 'application/json', true);

    const body = parseJsonBody(event);

    expect(body).toEqual({ refresh_token: 'abc' });
  });

  it('accepts a base64-encoded body that decodes to exactly 16 KB', () => {
    const event = jsonEvent(Buffer.from(objectOfBytes(LIMIT)).toString('base64'), 'application/json', true);

    const body = parseJsonBody(event);

    expect(body.a).toHaveLength(LIMIT - 8);
  });

  it('answers 413 for a base64-encoded body that decodes to over 16 KB', async () => {
    const event = jsonEvent(Buffer.from(objectOfBytes(LIMIT + 1)).toString('base64'), 'application/json', true);

    await expect(parse(event)).rejects.toMatchObject({ code: 'invalid_request', status: 413 });
  });

  it('answers 413 for a huge base64-encoded body', async () => {
    const event = jsonEvent(Buffer.from(objectOfBytes(512 * 1024)).toString('base64'), 'application/json', true);

    await expect(parse(event)).rejects.toMatchObject({ code: 'invalid_request', status: 413 });
  });

  it.each([
    ['malformed JSON', '{"a":'],
    ['a trailing comma', '{"a":1,}'],
    ['an array', '[{"a":1}]'],
    ['null', 'null'],
    ['a number', '42'],
    ['a string', '"hello"'],
    ['a boolean', 'true'],
    ['an empty body', ''],
    ['a missing body', null],
  ])('answers 400 invalid_request for %s', async (_what, text) => {
    const event = jsonEvent(text);

    await expect(parse(event)).rejects.toMatchObject({ name: 'AuthError', code: 'invalid_request', status: 400 });
  });
});

describe('header', () => {
  it.each(['authorization', 'Authorization', 'AUTHORIZATION', 'aUtHoRiZaTiOn'])('finds a header sent as "Authorization" when asked for %s', (name) => {
    const event: HttpEvent = { headers: { Authorization: 'Bearer abc' } };

    const value = header(event, name);

    expect(value).toBe('Bearer abc');
  });

  it('finds a header sent in lower case (as HTTP API v2 sends them) when asked in mixed case', () => {
    const event: HttpEvent = { headers: { 'x-forwarded-for': '203.0.113.7' } };

    const value = header(event, 'X-Forwarded-For');

    expect(value).toBe('203.0.113.7');
  });

  it.each<[string, HttpEvent]>([
    ['absent', { headers: { Accept: '*/*' } }],
    ['headers null', { headers: null }],
    ['headers missing', {}],
    ['value undefined', { headers: { Authorization: undefined } }],
  ])('is undefined when %s', (_what, event) => {
    const value = header(event, 'authorization');

    expect(value).toBeUndefined();
  });
});

describe('errorResponse', () => {
  it('answers an AuthError with its status and the contract body {code, error, error_description}', () => {
    const error = new AuthError('invalid_grant', 'The refresh token is invalid, expired or revoked.');

    const response = errorResponse(error);

    expect(response.statusCode).toBe(400);
    expect(response.headers['Content-Type']).toBe('application/json');
    expect(JSON.parse(response.body)).toEqual({
      code: 400,
      error: 'invalid_grant',
      error_description: 'The refresh token is invalid, expired or revoked.',
    });
  });

  it('keeps an overridden status in both the status line and the body', () => {
    const error = new AuthError('invalid_request', 'Too large.', { status: 413 });

    const response = errorResponse(error);

    expect(response.statusCode).toBe(413);
    expect(JSON.parse(response.body)).toEqual({ code: 413, error: 'invalid_request', error_description: 'Too large.' });
  });

  it('keeps the error\'s headers, e.g. WWW-Authenticate', () => {
    const error = new AuthError('invalid_token', 'The access token is missing.', { headers: { 'WWW-Authenticate': 'Bearer realm="jwt-auth"' } });

    const response = errorResponse(error);

    expect(response.statusCode).toBe(401);
    expect(response.headers['WWW-Authenticate']).toBe('Bearer realm="jwt-auth"');
  });

  it('answers a foreign error with a bare 500 that does not leak its message', () => {
    const error = new Error('connect ECONNREFUSED 10.0.0.12:8000 password=hunter2');

    const response = errorResponse(error);

    expect(response.statusCode).toBe(500);
    const body = JSON.parse(response.body) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(['code', 'error', 'error_description']);
    expect(body).toMatchObject({ code: 500, error: 'server_error' });
    expect(response.body).not.toMatch(/ECONNREFUSED|hunter2|10\.0\.0\.12/);
  });

  it.each<[string, unknown]>([
    ['a thrown string', 'db password hunter2'],
    ['undefined', undefined],
    ['a plain object', { secret: 'hunter2' }],
  ])('answers %s with a bare 500', (_what, thrown) => {
    const response = errorResponse(thrown);

    expect(response.statusCode).toBe(500);
    expect(JSON.parse(response.body)).toMatchObject({ code: 500, error: 'server_error' });
    expect(response.body).not.toContain('hunter2');
  });

  it('does not expose the message of an AuthError with a 5xx status', () => {
    const error = new AuthError('server_error', 'Table jwt-auth-prod-users missing GSI bySub');

    const response = errorResponse(error);

    expect(response.statusCode).toBe(500);
    expect(response.body).not.toContain('bySub');
  });

  it('answers 503 temporarily_unavailable with Retry-After and without the cause', () => {
    const error = temporarilyUnavailable(new Error('ProvisionedThroughputExceededException on table users'), 7);

    const response = errorResponse(error);

    expect(response.statusCode).toBe(503);
    expect(response.headers['Retry-After']).toBe('7');
    expect(JSON.parse(response.body)).toMatchObject({ code: 503, error: 'temporarily_unavailable' });
    expect(response.body).not.toContain('ProvisionedThroughput');
  });
});

describe('tokenResponse', () => {
  it('is the RFC 6749 §5.1 body with Cache-Control: no-store and Pragma: no-cache', () => {
    const tokens = { accessToken: 'eyJ.a.b', expiresIn: 900, refreshToken: 'r'.repeat(64), refreshExpiresIn: 1_209_600, scope: 'profile sessions' };

    const response = tokenResponse(201, tokens);

    expect(response.statusCode).toBe(201);
    expect(response.headers).toMatchObject({ 'Cache-Control': 'no-store', Pragma: 'no-cache', 'Content-Type': 'application/json' });
    expect(JSON.parse(response.body)).toEqual({
      token_type: 'Bearer',
      access_token: 'eyJ.a.b',
      expires_in: 900,
      refresh_token: 'r'.repeat(64),
      scope: 'profile sessions',
    });
  });
});
