import { AuthError } from '../../lib/errors';
import type { HttpEvent } from '../../lib/http';
import { clientIdParam, parseOAuthParams } from '../../lib/params';

const FORM = 'application/x-www-form-urlencoded';
const JSON_TYPE = 'application/json';
const LIMIT = 16 * 1024;

/** An API Gateway event carrying `body`; a `contentType` of null sends no Content-Type header. */
function bodyEvent(body: string | null, contentType: string | null, isBase64Encoded = false): HttpEvent {
  return { headers: contentType === null ? {} : { 'Content-Type': contentType }, body, isBase64Encoded };
}

const formEvent = (body: string) => bodyEvent(body, FORM);
const jsonEvent = (body: string) => bodyEvent(body, JSON_TYPE);

/** parseOAuthParams as a promise, so a refusal can be matched with `rejects`. */
const parsed = (event: HttpEvent) => Promise.resolve().then(() => parseOAuthParams(event));
const clientId = (params: Record<string, string>) => Promise.resolve().then(() => clientIdParam(params.client_id));

/** Every character of an error description a client may see: printable ASCII, plus the ellipsis of a cut. */
const PRINTABLE = /^[\x20-\x7e…]*$/;

describe('parseOAuthParams with a form body (RFC 6749 Appendix B)', () => {
  it('decodes every parameter, with + as a space and percent-encoded UTF-8', () => {
    const event = formEvent('grant_type=password&username=J%C3%BCrgen&password=p%40ss+w%26rd%3D1&scope=profile+sessions');

    const params = parseOAuthParams(event);

    expect({ ...params }).toEqual({ grant_type: 'password', username: 'Jürgen', password: 'p@ss w&rd=1', scope: 'profile sessions' });
  });

  it.each([
    'application/x-www-form-urlencoded; charset=UTF-8',
    'application/x-www-form-urlencoded;charset=utf-8',
    'Application/X-WWW-Form-Urlencoded',
  ])('accepts Content-Type %s', (type) => {
    const event = bodyEvent('grant_type=refresh_token&refresh_token=abc', type);

    const params = parseOAuthParams(event);

    expect({ ...params }).toEqual({ grant_type: 'refresh_token', refresh_token: 'abc' });
  });

  it('finds the content type whatever the header name case', () => {
    const event: HttpEvent = { headers: { 'content-type': FORM }, body: 'token=abc' };

    const params = parseOAuthParams(event);

    expect(params.token).toBe('abc');
  });

  it('reads a base64-encoded body, as API Gateway passes binary media types', () => {
    const event = bodyEvent(Buffer.from('token=abc&token_type_hint=refresh_token').toString('base64'), FORM, true);

    const params = parseOAuthParams(event);

    expect({ ...params }).toEqual({ token: 'abc', token_type_hint: 'refresh_token' });
  });

  it.each([
    ['grant_type=password&grant_type=refresh_token', 'grant_type'],
    ['token=a&token=a', 'token'],
    ['scope=profile&username=ada&scope=sessions', 'scope'],
  ])('refuses %s with 400 invalid_request naming the repeated parameter', async (body, name) => {
    const event = formEvent(body);

    const result = parsed(event);

    await expect(result).rejects.toBeInstanceOf(AuthError);
    await expect(result).rejects.toMatchObject({ code: 'invalid_request', status: 400, message: expect.stringContaining(`"${name}"`) });
  });

  it('treats empty values as omitted (RFC 6749 §3.1)', () => {
    const event = formEvent('grant_type=password&username=ada&password=secret&scope=&client_id=');

    const params = parseOAuthParams(event);

    expect({ ...params }).toEqual({ grant_type: 'password', username: 'ada', password: 'secret' });
    expect('scope' in params).toBe(false);
  });

  it('gives an empty body no parameters', () => {
    const event = formEvent('');

    const params = parseOAuthParams(event);

    expect({ ...params }).toEqual({});
  });

  it('does not read a JSON body sent as a form as its JSON fields', () => {
    const event = formEvent(JSON.stringify({ grant_type: 'password', username: 'ada', password: 'secret' }));

    const params = parseOAuthParams(event);

    expect(params.grant_type).toBeUndefined();
    expect(params.username).toBeUndefined();
    expect(params.password).toBeUndefined();
  });

  it('keeps inherited names such as __proto__ and constructor as plain parameters', () => {
    const event = formEvent('__proto__=x&constructor=y&toString=z');

    const params = parseOAuthParams(event);

    expect(Object.entries(params)).toEqual([['__proto__', 'x'], ['constructor', 'y'], ['toString', 'z']]);
  });
});

describe('parseOAuthParams with a JSON body', () => {
  it('reads a flat object of strings', () => {
    const event = jsonEvent(JSON.stringify({ grant_type: 'password', username: 'ada', password: 'p@ss w&rd=1', client_id: 'cli' }));

    const params = parseOAuthParams(event);

    expect({ ...params }).toEqual({ grant_type: 'password', username: 'ada', password: 'p@ss w&rd=1', client_id: 'cli' });
  });

  it('accepts application/json; charset=utf-8', () => {
    const event = bodyEvent('{"token":"abc"}', 'application/json; charset=utf-8');

    const params = parseOAuthParams(event);

    expect(params.token).toBe('abc');
  });

  it('treats empty strings and nulls as omitted', () => {
    const event = jsonEvent(JSON.stringify({ grant_type: 'refresh_token', refresh_token: 'abc', scope: '', client_id: null }));

    const params = parseOAuthParams(event);

    expect({ ...params }).toEqual({ grant_type: 'refresh_token', refresh_token: 'abc' });
  });

  it.each([
    ['a number', { grant_type: 'password', username: 'ada', password: 12345 }, 'password'],
    ['a boolean', { token: true }, 'token'],
    ['an array', { scope: ['profile', 'sessions'] }, 'scope'],
    ['an object', { username: { $ne: '' } }, 'username'],
  ])('refuses %s value with 400 invalid_request naming the parameter', async (_case, body, name) => {
    const event = jsonEvent(JSON.stringify(body));

    const result = parsed(event);

    await expect(result).rejects.toMatchObject({ code: 'invalid_request', status: 400, message: expect.stringContaining(`"${name}"`) });
  });

  it('refuses a parameter sent twice with 400 invalid_request naming it, as a form body would be', async () => {
    const event = jsonEvent('{"grant_type":"password","username":"ada","password":"secret","username":"root"}');

    const result = parsed(event);

    await expect(result).rejects.toMatchObject({ code: 'invalid_request', status: 400, message: expect.stringContaining('"username"') });
  });

  it.each([
    ['a form body', 'grant_type=password&username=ada&password=secret'],
    ['truncated JSON', '{"grant_type":"password"'],
    ['an empty body', ''],
    ['an array', '["grant_type","password"]'],
    ['a string', '"grant_type=password"'],
    ['null', 'null'],
  ])('refuses %s sent as JSON with 400 invalid_request', async (_case, body) => {
    const event = jsonEvent(body);

    const result = parsed(event);

    await expect(result).rejects.toBeInstanceOf(AuthError);
    await expect(result).rejects.toMatchObject({ code: 'invalid_request', status: 400 });
  });
});

describe('parseOAuthParams refusals by media type and size', () => {
  it.each([
    ['no Content-Type', null],
    ['text/plain', 'text/plain'],
    ['multipart/form-data', 'multipart/form-data; boundary=x'],
    ['a lookalike', 'application/x-www-form-urlencodedx'],
    ['application/jsonp', 'application/jsonp'],
  ])('refuses %s with 415 invalid_request', async (_case, type) => {
    const event = bodyEvent('grant_type=password', type);

    const result = parsed(event);

    await expect(result).rejects.toMatchObject({ code: 'invalid_request', status: 415 });
  });

  it.each([FORM, JSON_TYPE])('refuses a %s body over 16 KB with 413', async (type) => {
    const body = type === FORM ? `token=${'a'.repeat(LIMIT)}` : JSON.stringify({ token: 'a'.repeat(LIMIT) });
    const event = bodyEvent(body, type);

    const result = parsed(event);

    await expect(result).rejects.toMatchObject({ code: 'invalid_request', status: 413 });
  });

  it('accepts a body of exactly 16 KB', () => {
    const event = formEvent(`token=${'a'.repeat(LIMIT - 'token='.length)}`);

    const params = parseOAuthParams(event);

    expect(params.token).toHaveLength(LIMIT - 'token='.length);
  });

  it('counts bytes, not characters: 6,000 three-byte characters are over the limit', async () => {
    const event = jsonEvent(JSON.stringify({ token: '€'.repeat(6000) }));

    const result = parsed(event);

    await expect(result).rejects.toMatchObject({ status: 413 });
  });
});

describe('parseOAuthParams echoes hostile parameter names safely', () => {
  it('shortens a very long repeated name', async () => {
    const name = 'n'.repeat(5000);
    const event = formEvent(`${name}=1&${name}=2`);

    const result = parsed(event);

    await expect(result).rejects.toMatchObject({ code: 'invalid_request', status: 400 });
    const error = (await result.catch((e: unknown) => e)) as AuthError;
    expect(error.message.length).toBeLessThan(100);
    expect(error.message).toContain(`"${'n'.repeat(40)}…"`);
  });

  it('replaces control characters in a repeated form name', async () => {
    const name = 'a\r\nSet-Cookie: x\u0000\u001b[31m';
    const event = formEvent(`${encodeURIComponent(name)}=1&${encodeURIComponent(name)}=2`);

    const error = (await parsed(event).catch((e: unknown) => e)) as AuthError;

    expect(error).toBeInstanceOf(AuthError);
    expect(error.code).toBe('invalid_request');
    expect(error.message).toMatch(PRINTABLE);
    expect(error.message).toContain('"a??Set-Cookie: x??[31m"');
  });

  it('replaces control and non-ASCII characters in a JSON name', async () => {
    const event = jsonEvent(JSON.stringify({ 'bell\u0007\u2028é': 1 }));

    const error = (await parsed(event).catch((e: unknown) => e)) as AuthError;

    expect(error).toBeInstanceOf(AuthError);
    expect(error.status).toBe(400);
    expect(error.message).toMatch(PRINTABLE);
    expect(error.message).toContain('"bell???"');
  });
});

describe('clientIdParam (RFC 6749 Appendix A.1)', () => {
  it('is undefined when no client_id is sent', () => {
    const params: Record<string, string> = { grant_type: 'password' };

    const id = clientIdParam(params.client_id);

    expect(id).toBeUndefined();
  });

  it.each([
    ['a simple id', 'my-cli'],
    ['every printable ASCII character, space included', ' !"#$%&\'()*+,-./09:;<=>?@AZ[\\]^_`az{|}~'],
    ['128 characters', 'c'.repeat(128)],
  ])('accepts %s', (_case, value) => {
    const params = { client_id: value };

    const id = clientIdParam(params.client_id);

    expect(id).toBe(value);
  });

  it.each([
    ['129 characters', 'c'.repeat(129)],
    ['a control character', 'cli\u0000'],
    ['a line break', 'cli\nent'],
    ['a tab', 'cli\tent'],
    ['DEL', 'cli\u007f'],
    ['a non-ASCII character', 'clïent'],
  ])('refuses %s with 400 invalid_request', async (_case, value) => {
    const params = { client_id: value };

    const result = clientId(params);

    await expect(result).rejects.toMatchObject({ code: 'invalid_request', status: 400, message: expect.stringContaining('client_id') });
  });
});
