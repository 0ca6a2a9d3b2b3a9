import { decodeJwt } from 'jose';
import { makeLoginHandler } from '../../functions/login';
import type { HttpResponse } from '../../lib/http';
import { bodyOf, proxyEvent, sha256, strangerRefreshToken, uniqueSourceIp, uniqueUsername, withTestApp } from '../support/app';

const PASSWORD = 'correct horse battery staple';
const FORM = 'application/x-www-form-urlencoded';

const ctx = withTestApp();
const { token } = ctx.handlers;

type Params = Record<string, string | undefined>;

/** A form-encoded POST /oauth/token from its own address, so no test's failures throttle another's logins. */
function formEvent(params: Params, sourceIp = uniqueSourceIp(), contentType = FORM) {
  const defined = Object.entries(params).filter((entry): entry is [string, string] => entry[1] !== undefined);
  return proxyEvent({ rawBody: new URLSearchParams(defined).toString(), contentType, sourceIp });
}

/** A JSON POST /oauth/token. */
const jsonEvent = (params: Record<string, unknown>, sourceIp = uniqueSourceIp()) => proxyEvent({ body: params, sourceIp });

/** A registered user's name. */
async function registered(): Promise<string> {
  const username = uniqueUsername('oauth');
  await ctx.app.auth.register({ username, password: PASSWORD });
  return username;
}

/** A session started at /oauth/token with the password grant. */
async function passwordGrant(params: Params = {}): Promise<{ refreshToken: string; sid: string; accessToken: string }> {
  const username = await registered();
  const response = await token(formEvent({ grant_type: 'password', username, password: PASSWORD, ...params }));
  expect(response.statusCode).toBe(200);
  const accessToken = bodyOf(response).access_token as string;
  return { refreshToken: bodyOf(response).refresh_token as string, accessToken, sid: claims(accessToken).sid as string };
}

const claims = (accessToken: string) => decodeJwt(accessToken);
const accessTokenOf = (response: HttpResponse) => bodyOf(response).access_token as string;
const refreshTokenOf = (response: HttpResponse) => bodyOf(response).refresh_token as string;
const readSession = (sid: string) => ctx.dynamo.read('SessionsTable', { id: sid });

/** The contract's error body for `error`, with any description. */
const oauthError = (error: string, code = 400) => ({ code, error, error_description: expect.any(String) });

describe('POST /oauth/token, grant_type=password', () => {
  it('answers a form request with 200 and an RFC 6749 §5.1 token response that must not be stored', async () => {
    const username = await registered();

    const response = await token(formEvent({ grant_type: 'password', username, password: PASSWORD }));

    expect(response.statusCode).toBe(200);
    expect(response.headers).toMatchObject({ 'Cache-Control': 'no-store', Pragma: 'no-cache', 'Content-Type': 'application/json' });
    expect(bodyOf(response)).toEqual({
      token_type: 'Bearer',
      access_token: expect.any(String),
      expires_in: 900,
      refresh_token: expect.any(String),
      scope: 'profile sessions',
    });
    const sid = claims(accessTokenOf(response)).sid as string;
    expect(await readSession(sid)).toMatchObject({ tokenHash: sha256(refreshTokenOf(response)) });
  });

  it('accepts application/x-www-form-urlencoded; charset=UTF-8', async () => {
    const username = await registered();

    const response = await token(formEvent({ grant_type: 'password', username, password: PASSWORD }, uniqueSourceIp(), `${FORM}; charset=UTF-8`));

    expect(response.statusCode).toBe(200);
  });

  it('answers a JSON request the same way', async () => {
    const username = await registered();

    const response = await token(jsonEvent({ grant_type: 'password', username, password: PASSWORD }));

    expect(response.statusCode).toBe(200);
    expect(response.headers).toMatchObject({ 'Cache-Control': 'no-store', Pragma: 'no-cache' });
    expect(bodyOf(response)).toMatchObject({ token_type: 'Bearer', expires_in: 900, scope: 'profile sessions' });
  });

  it('records client_id in the access token client_id claim and on the session', async () => {
    const username = await registered();

    const response = await token(formEvent({ grant_type: 'password', username, password: PASSWORD, client_id: 'mobile-app' }));

    expect(response.statusCode).toBe(200);
    const accessClaims = claims(accessTokenOf(response));
    expect(accessClaims.client_id).toBe('mobile-app');
    expect(await readSession(accessClaims.sid as string)).toMatchObject({ clientId: 'mobile-app' });
  });

  it('records the default client when none is named', async () => {
    const username = await registered();

    const response = await token(formEvent({ grant_type: 'password', username, password: PASSWORD }));

    const accessClaims = claims(accessTokenOf(response));
    expect(accessClaims.client_id).toBe('default');
    expect(await readSession(accessClaims.sid as string)).toMatchObject({ clientId: 'default' });
  });

  it('grants the requested narrower scope, and refuses an unknown one with invalid_scope', async () => {
    const username = await registered();

    const narrowed = await token(formEvent({ grant_type: 'password', username, password: PASSWORD, scope: 'profile' }));
    const widened = await token(formEvent({ grant_type: 'password', username, password: PASSWORD, scope: 'profile admin' }));

    expect(bodyOf(narrowed).scope).toBe('profile');
    expect(claims(accessTokenOf(narrowed)).scope).toBe('profile');
    expect(widened.statusCode).toBe(400);
    expect(bodyOf(widened)).toEqual(oauthError('invalid_scope'));
  });

  it('answers a wrong password and an unknown user alike: 400 invalid_grant, and no session', async () => {
    const username = await registered();
    const sourceIp = uniqueSourceIp();
    const sessionsBefore = (await ctx.dynamo.scan('SessionsTable')).length;

    const wrongPassword = await token(formEvent({ grant_type: 'password', username, password: 'not the password' }, sourceIp));
    const unknownUser = await token(formEvent({ grant_type: 'password', username: uniqueUsername('nobody'), password: PASSWORD }, sourceIp));

    expect(wrongPassword.statusCode).toBe(400);
    expect(bodyOf(wrongPassword)).toEqual(oauthError('invalid_grant'));
    expect(unknownUser).toEqual(wrongPassword);
    expect((await ctx.dynamo.scan('SessionsTable')).length).toBe(sessionsBefore);
  });

  it.each([
    ['username', { grant_type: 'password', password: PASSWORD }],
    ['password', { grant_type: 'password', username: 'someone' }],
    ['password', { grant_type: 'password', username: 'someone', password: '' }],
  ])('refuses a request without %s with 400 invalid_request naming it', async (name, params) => {
    const event = formEvent(params);

    const response = await token(event);

    expect(response.statusCode).toBe(400);
    expect(bodyOf(response)).toEqual({ code: 400, error: 'invalid_request', error_description: expect.stringContaining(name) });
  });

  it('shares the password guard with /auth/login: five failures of one account from one address, then 429 on both routes', async () => {
    const username = await registered();
    const sourceIp = uniqueSourceIp();
    const login = makeLoginHandler(ctx.app.deps);
    for (let i = 0; i < 5; i += 1) {
      const failed = await token(formEvent({ grant_type: 'password', username, password: 'a wrong guess' }, sourceIp));
      expect(bodyOf(failed).error).toBe('invalid_grant');
    }

    const throttled = await token(formEvent({ grant_type: 'password', username, password: PASSWORD }, sourceIp));
    const throttledLogin = await login(proxyEvent({ body: { username, password: PASSWORD }, sourceIp }));
    const elsewhere = await token(formEvent({ grant_type: 'password', username, password: PASSWORD }));

    expect(throttled.statusCode).toBe(429);
    expect(throttled.headers['Retry-After']).toMatch(/^[1-9]\d*$/);
    expect(bodyOf(throttled)).toEqual(oauthError('slow_down', 429));
    expect(throttledLogin.statusCode).toBe(429);
    expect(elsewhere.statusCode).toBe(200);
  });
});

describe('POST /oauth/token, grant_type=refresh_token', () => {
  it('rotates the refresh token inside the same session', async () => {
    const { refreshToken, sid } = await passwordGrant();

    const response = await token(formEvent({ grant_type: 'refresh_token', refresh_token: refreshToken }));

    expect(response.statusCode).toBe(200);
    expect(response.headers).toMatchObject({ 'Cache-Control': 'no-store', Pragma: 'no-cache' });
    expect(bodyOf(response)).toMatchObject({ token_type: 'Bearer', expires_in: 900, scope: 'profile sessions' });
    const next = refreshTokenOf(response);
    expect(next).not.toBe(refreshToken);
    expect(claims(accessTokenOf(response)).sid).toBe(sid);
    expect(await readSession(sid)).toMatchObject({ tokenHash: sha256(next), previousHash: sha256(refreshToken) });
  });

  it('accepts a JSON request', async () => {
    const { refreshToken } = await passwordGrant();

    const response = await token(jsonEvent({ grant_type: 'refresh_token', refresh_token: refreshToken }));

    expect(response.statusCode).toBe(200);
  });

  it('accepts the same client_id, and keeps the session client in the new access token', async () => {
    const { refreshToken, sid } = await passwordGrant({ client_id: 'mobile-app' });

    const same = await token(formEvent({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: 'mobile-app' }));

    expect(same.statusCode).toBe(200);
    expect(claims(accessTokenOf(same)).client_id).toBe('mobile-app');
    expect(await readSession(sid)).toMatchObject({ clientId: 'mobile-app', tokenHash: sha256(refreshTokenOf(same)) });
  });

  it('binds a refresh that names no client to the default one: a token issued to mobile-app does not refresh unnamed, and is not spent', async () => {
    const { refreshToken, sid } = await passwordGrant({ client_id: 'mobile-app' });

    const unnamed = await token(formEvent({ grant_type: 'refresh_token', refresh_token: refreshToken }));
    const named = await token(formEvent({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: 'mobile-app' }));

    expect(unnamed.statusCode).toBe(400);
    expect(bodyOf(unnamed)).toEqual(oauthError('invalid_grant'));
    expect(named.statusCode).toBe(200);
    expect(await readSession(sid)).toMatchObject({ tokenHash: sha256(refreshTokenOf(named)) });
  });

  it('refuses a client_id other than the session\'s with invalid_grant, and the token still works afterwards', async () => {
    const { refreshToken, sid } = await passwordGrant({ client_id: 'mobile-app' });
    const before = await readSession(sid);

    const other = await token(formEvent({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: 'web-app' }));
    const unchanged = await readSession(sid);
    const after = await token(formEvent({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: 'mobile-app' }));

    expect(other.statusCode).toBe(400);
    expect(bodyOf(other)).toEqual(oauthError('invalid_grant'));
    expect(unchanged).toEqual(before);
    expect(after.statusCode).toBe(200);
  });

  it('narrows the access token scope on request, and the session keeps what it was granted', async () => {
    const { refreshToken, sid } = await passwordGrant();

    const narrowed = await token(formEvent({ grant_type: 'refresh_token', refresh_token: refreshToken, scope: 'sessions' }));
    const full = await token(formEvent({ grant_type: 'refresh_token', refresh_token: refreshTokenOf(narrowed) }));

    expect(narrowed.statusCode).toBe(200);
    expect(bodyOf(narrowed).scope).toBe('sessions');
    expect(claims(accessTokenOf(narrowed)).scope).toBe('sessions');
    expect(bodyOf(full).scope).toBe('profile sessions');
    expect(await readSession(sid)).toMatchObject({ scopes: new Set(['profile', 'sessions']) });
  });

  it('refuses a scope wider than the session\'s with invalid_scope, and consumes nothing', async () => {
    const { refreshToken, sid } = await passwordGrant({ scope: 'profile' });
    const before = await readSession(sid);

    const widened = await token(formEvent({ grant_type: 'refresh_token', refresh_token: refreshToken, scope: 'profile sessions' }));

    expect(widened.statusCode).toBe(400);
    expect(bodyOf(widened)).toEqual(oauthError('invalid_scope'));
    expect(await readSession(sid)).toEqual(before);
    expect((await token(formEvent({ grant_type: 'refresh_token', refresh_token: refreshToken }))).statusCode).toBe(200);
  });

  it('refuses a request without refresh_token with 400 invalid_request', async () => {
    const event = formEvent({ grant_type: 'refresh_token', scope: 'profile' });

    const response = await token(event);

    expect(response.statusCode).toBe(400);
    expect(bodyOf(response)).toEqual({ code: 400, error: 'invalid_request', error_description: expect.stringContaining('refresh_token') });
  });

  it.each([
    ['an unknown token', () => strangerRefreshToken()],
    ['a malformed token', () => 'not a refresh token!'],
  ])('refuses %s with 400 invalid_grant', async (_case, refreshToken) => {
    const event = formEvent({ grant_type: 'refresh_token', refresh_token: refreshToken() });

    const response = await token(event);

    expect(response.statusCode).toBe(400);
    expect(bodyOf(response)).toEqual(oauthError('invalid_grant'));
  });

  it('refuses an access token presented as a refresh token with invalid_grant, and touches no session', async () => {
    const { accessToken, sid } = await passwordGrant();
    const before = await readSession(sid);

    const response = await token(formEvent({ grant_type: 'refresh_token', refresh_token: accessToken }));

    expect(response.statusCode).toBe(400);
    expect(bodyOf(response)).toEqual(oauthError('invalid_grant'));
    expect(await readSession(sid)).toEqual(before);
  });
});

describe('POST /oauth/token with an unsupported or missing grant type', () => {
  it.each([
    'client_credentials',
    'implicit',
    'urn:ietf:params:oauth:grant-type:jwt-bearer',
    'urn:ietf:params:oauth:grant-type:device_code',
  ])('answers grant_type=%s with 400 unsupported_grant_type', async (grantType) => {
    const event = formEvent({ grant_type: grantType, client_id: 'svc', username: 'someone', password: PASSWORD });

    const response = await token(event);

    expect(response.statusCode).toBe(400);
    expect(bodyOf(response)).toEqual(oauthError('unsupported_grant_type'));
  });

  it.each([
    ['no grant_type', { username: 'someone', password: PASSWORD }],
    ['an empty grant_type', { grant_type: '', username: 'someone', password: PASSWORD }],
  ])('answers %s with 400 invalid_request naming grant_type', async (_case, params) => {
    const event = formEvent(params);

    const response = await token(event);

    expect(response.statusCode).toBe(400);
    expect(bodyOf(response)).toEqual({ code: 400, error: 'invalid_request', error_description: expect.stringContaining('grant_type') });
  });
});

describe('POST /oauth/token with a malformed request', () => {
  it('refuses a repeated parameter with 400 invalid_request naming it', async () => {
    const username = await registered();
    const event = proxyEvent({
      rawBody: `grant_type=password&username=${username}&password=${encodeURIComponent(PASSWORD)}&scope=profile&scope=sessions`,
      contentType: FORM,
      sourceIp: uniqueSourceIp(),
    });

    const response = await token(event);

    expect(response.statusCode).toBe(400);
    expect(bodyOf(response)).toEqual({ code: 400, error: 'invalid_request', error_description: expect.stringContaining('"scope"') });
  });

  it('refuses a JSON body sent as a form with 400 invalid_request', async () => {
    const username = await registered();
    const event = proxyEvent({
      rawBody: JSON.stringify({ grant_type: 'password', username, password: PASSWORD }),
      contentType: FORM,
      sourceIp: uniqueSourceIp(),
    });

    const response = await token(event);

    expect(response.statusCode).toBe(400);
    expect(bodyOf(response)).toEqual(oauthError('invalid_request'));
  });

  it('refuses a form body sent as JSON with 400 invalid_request', async () => {
    const username = await registered();
    const event = proxyEvent({
      rawBody: new URLSearchParams({ grant_type: 'password', username, password: PASSWORD }).toString(),
      contentType: 'application/json',
      sourceIp: uniqueSourceIp(),
    });

    const response = await token(event);

    expect(response.statusCode).toBe(400);
    expect(bodyOf(response)).toEqual(oauthError('invalid_request'));
  });

  it('refuses a JSON parameter that is not a string with 400 invalid_request', async () => {
    const username = await registered();

    const response = await token(jsonEvent({ grant_type: 'password', username, password: ['a', 'b'] }));

    expect(response.statusCode).toBe(400);
    expect(bodyOf(response)).toEqual({ code: 400, error: 'invalid_request', error_description: expect.stringContaining('"password"') });
  });

  it.each([
    ['text/plain', 'text/plain'],
    ['no Content-Type', null],
  ])('refuses %s with 415', async (_case, contentType) => {
    const event = proxyEvent({ rawBody: 'grant_type=password&username=a&password=b', contentType, sourceIp: uniqueSourceIp() });

    const response = await token(event);

    expect(response.statusCode).toBe(415);
    expect(bodyOf(response)).toEqual(oauthError('invalid_request', 415));
  });

  it('refuses a body over 16 KB with 413', async () => {
    const event = formEvent({ grant_type: 'password', username: 'someone', password: 'p'.repeat(17 * 1024) });

    const response = await token(event);

    expect(response.statusCode).toBe(413);
    expect(bodyOf(response)).toEqual(oauthError('invalid_request', 413));
  });

  it.each([
    ['longer than 128 characters', 'c'.repeat(129)],
    ['with a control character', 'app\u0000'],
  ])('refuses a client_id %s with 400 invalid_request and starts no session', async (_case, clientId) => {
    const username = await registered();
    const sessionsBefore = (await ctx.dynamo.scan('SessionsTable')).length;

    const response = await token(formEvent({ grant_type: 'password', username, password: PASSWORD, client_id: clientId }));

    expect(response.statusCode).toBe(400);
    expect(bodyOf(response)).toEqual({ code: 400, error: 'invalid_request', error_description: expect.stringContaining('client_id') });
    expect((await ctx.dynamo.scan('SessionsTable')).length).toBe(sessionsBefore);
  });

  it('never answers hostile input with a 5xx', async () => {
    const bodies: [string | null, string | null][] = [
      ['%', FORM],
      ['%E0%A4%A=1&grant_type=password', FORM],
      ['\u0000\u0001\u0002', FORM],
      ['grant_type=refresh_token&refresh_token=%00%00', FORM],
      [null, FORM],
      [null, 'application/json'],
      ['{"grant_type":{"toString":1}}', 'application/json'],
      ['{"__proto__":{"grant_type":"password"}}', 'application/json'],
      ['1e999', 'application/json'],
    ];

    const responses = await Promise.all(bodies.map(([rawBody, contentType]) => token(proxyEvent({ rawBody, contentType, sourceIp: uniqueSourceIp() }))));

    for (const response of responses) {
      expect(response.statusCode).toBeGreaterThanOrEqual(400);
      expect(response.statusCode).toBeLessThan(500);
      expect(bodyOf(response)).toEqual(oauthError(bodyOf(response).error as string, response.statusCode));
    }
  });
});
