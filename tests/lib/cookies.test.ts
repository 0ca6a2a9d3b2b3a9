import { parseSetCookie } from 'cookie';
import fc from 'fast-check';
import { clearingCookies, cookieMode, REFRESH_COOKIES, refreshTokenCookie, tokenAnswer } from '../../lib/cookies';
import { AuthError } from '../../lib/errors';
import { noContent, type HttpEvent } from '../../lib/http';
import { bodyOf, proxyEvent } from '../support/app';

const TOKENS = { accessToken: 'h.p.s', expiresIn: 900, refreshToken: 'r'.repeat(86), refreshExpiresIn: 1_209_600, scope: 'profile' };

const withCookie = (cookie: string, extra: Partial<HttpEvent> = {}): HttpEvent => ({
  ...proxyEvent({ headers: { Cookie: cookie } }),
  multiValueHeaders: null,
  ...extra,
});
const thrown = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    return error;
  }
  return undefined;
};

describe('cookieMode', () => {
  it.each([
    ['no header', {}, false],
    ['body', { 'Refresh-Token-Transport': 'body' }, false],
    ['cookie', { 'Refresh-Token-Transport': 'cookie' }, true],
    ['Cookie, any case and spaces', { 'refresh-token-transport': ' Cookie ' }, true],
  ])('%s', (_case, headers, expected) => {
    expect(cookieMode(proxyEvent({ headers }))).toBe(expected);
  });

  it.each(['', 'cookies', 'cookie, body', 'x'.repeat(5000)])('refuses %j with 400 invalid_request', (value) => {
    const error = thrown(() => cookieMode(proxyEvent({ headers: { 'Refresh-Token-Transport': value } })));

    expect(error).toBeInstanceOf(AuthError);
    expect(error).toMatchObject({ code: 'invalid_request', status: 400 });
  });
});

describe('refreshTokenCookie', () => {
  const { refresh, logout } = REFRESH_COOKIES;

  it('reads each path\'s own cookie among others', () => {
    const event = withCookie(`theme=dark; ${refresh.name}=for-refresh; ${logout.name}=for-logout`);

    expect([refreshTokenCookie(event, 'refresh'), refreshTokenCookie(event, 'logout')]).toEqual(['for-refresh', 'for-logout']);
  });

  it('takes the first of several (the browser sends the most specific path first)', () => {
    expect(refreshTokenCookie(withCookie(`${refresh.name}=first; ${refresh.name}=second`), 'refresh')).toBe('first');
  });

  it('reads REST multiValueHeaders and HTTP API v2 cookies', () => {
    const multi = withCookie('ignored=1', { multiValueHeaders: { cookie: ['a=1', `${refresh.name}=from-multi`] } });
    const v2: HttpEvent = { headers: {}, cookies: ['a=1', `${refresh.name}=from-v2`] };

    expect([refreshTokenCookie(multi, 'refresh'), refreshTokenCookie(v2, 'refresh')]).toEqual(['from-multi', 'from-v2']);
  });

  it.each([
    ['no Cookie header', proxyEvent({ headers: {} })],
    ['an empty value', withCookie(`${refresh.name}=`)],
    ['only the other path\'s cookie', withCookie(`${logout.name}=x`)],
    ['a prototype name', withCookie('__proto__=x; constructor=y; toString=z')],
    ['no pairs at all', withCookie(';;;===;')],
  ])('finds none in %s', (_case, event) => {
    expect(refreshTokenCookie(event, 'refresh')).toBeUndefined();
  });

  it('refuses a Cookie header over 8 KB with 400 invalid_request, without parsing it', () => {
    const error = thrown(() => refreshTokenCookie(withCookie(`${refresh.name}=${'a'.repeat(9000)}`), 'refresh'));

    expect(error).toMatchObject({ code: 'invalid_request', status: 400 });
  });

  it('never throws anything but a 400 on any Cookie header, and never invents a cookie that was not sent', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300, unit: 'binary' }), (text) => {
        const found = refreshTokenCookie(withCookie(text), 'refresh');
        if (found !== undefined) expect(text).toContain(refresh.name);
      }),
      { numRuns: 500 },
    );
  });
});

describe('tokenAnswer and clearingCookies', () => {
  const setCookies = (response: { multiValueHeaders?: Record<string, string[]> }) =>
    (response.multiValueHeaders?.['Set-Cookie'] ?? []).map((line) => ({ line, cookie: parseSetCookie(line) }));

  it('without cookie mode, is the contract\'s token response with the refresh token in the body and no cookie', () => {
    const response = tokenAnswer(proxyEvent(), 200, TOKENS, false);

    expect(bodyOf(response)).toMatchObject({ refresh_token: TOKENS.refreshToken });
    expect(response.multiValueHeaders).toBeUndefined();
  });

  it('in cookie mode, moves the refresh token into two HttpOnly Secure SameSite=Strict cookies, one per path', () => {
    const response = tokenAnswer(proxyEvent({ path: '/auth/login' }), 200, TOKENS, true);

    expect(bodyOf(response)).toEqual({ token_type: 'Bearer', access_token: 'h.p.s', expires_in: 900, scope: 'profile' });
    const cookies = setCookies(response);
    expect(cookies.map(({ cookie }) => [cookie.name, cookie.value, cookie.path, cookie.maxAge])).toEqual([
      [REFRESH_COOKIES.refresh.name, TOKENS.refreshToken, '/auth/refresh', 1_209_600],
      [REFRESH_COOKIES.logout.name, TOKENS.refreshToken, '/auth/logout', 1_209_600],
    ]);
    for (const { cookie } of cookies) expect(cookie).toMatchObject({ httpOnly: true, secure: true, sameSite: 'strict' });
    expect(cookies.every(({ line }) => !/domain=/i.test(line))).toBe(true); // host-only
  });

  it('puts the stage prefix the client saw in front of the paths, and nothing odd', () => {
    const staged = { ...proxyEvent({ path: '/auth/login' }), requestContext: { path: '/prod/auth/login' } };
    const hostile = { ...proxyEvent({ path: '/auth/login' }), requestContext: { path: '/a;b=c/auth/login' } };
    const unrelated = { ...proxyEvent({ path: '/auth/login' }), requestContext: { path: '/elsewhere' } };

    const paths = (event: HttpEvent) => setCookies(tokenAnswer(event, 200, TOKENS, true)).map(({ cookie }) => cookie.path);

    expect(paths(staged)).toEqual(['/prod/auth/refresh', '/prod/auth/logout']);
    expect(paths(hostile)).toEqual(['/auth/refresh', '/auth/logout']);
    expect(paths(unrelated)).toEqual(['/auth/refresh', '/auth/logout']);
  });

  it('clears both cookies with an empty value and Max-Age=0, keeping the answer', () => {
    const response = clearingCookies(proxyEvent({ path: '/auth/logout' }), noContent());

    expect(response.statusCode).toBe(204);
    expect(setCookies(response).map(({ cookie }) => [cookie.name, cookie.value, cookie.maxAge, cookie.path])).toEqual([
      [REFRESH_COOKIES.refresh.name, '', 0, '/auth/refresh'],
      [REFRESH_COOKIES.logout.name, '', 0, '/auth/logout'],
    ]);
  });
});
