/**
 * Hostile input, property-based: whatever a client puts in a request (body, encoding, content type,
 * headers, Authorization, path), every handler answers 2xx or a contract 4xx, never throws and never 5xx
 * while DynamoDB is up. The pure parsers underneath keep to their own narrow contracts.
 */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { base64url } from 'jose';
import { makeLoginHandler } from '../../functions/login';
import { makeLogoutHandler } from '../../functions/logout';
import { makeMeHandler } from '../../functions/me';
import { makePasswordHandler } from '../../functions/password';
import { makeRefreshHandler } from '../../functions/refresh';
import { makeRegisterHandler } from '../../functions/register';
import { makeRevokeHandler } from '../../functions/revoke';
import { makeDeleteSessionHandler } from '../../functions/sessions-delete';
import { makeListSessionsHandler } from '../../functions/sessions-list';
import { makeDeleteMeHandler } from '../../functions/delete-me';
import { makeEmailHandler } from '../../functions/email';
import { makeForgotPasswordHandler } from '../../functions/forgot-password';
import { makeResetPasswordHandler } from '../../functions/reset-password';
import { makeVerifyEmailHandler } from '../../functions/verify-email';
import { makeTokenHandler } from '../../functions/token';
import { makeAuthorizeHandler } from '../../functions/authorize';
import { makeUserinfoHandler } from '../../functions/userinfo';
import { OIDC_CLIENTS, pkce } from '../support/oidc';
import { bearerToken } from '../../lib/bearer';
import { AuthError } from '../../lib/errors';
import { parseJsonBody, type HttpEvent, type HttpResponse } from '../../lib/http';
import { parseOAuthParams } from '../../lib/params';
import { parseRefreshToken } from '../../lib/refresh-tokens';
import { authorizerFor, claimsOf, proxyEvent, uniqueUsername, type TestApp, withTestApp } from '../support/app';

const RUNS = 200;
const PASSWORD = 'correct horse battery staple';

/** A real user with a live session, so generated requests can also name real things. */
const real = { username: '', accessToken: '', refreshToken: '', sid: '', sub: '', kid: '' };

const ctx = withTestApp();
beforeAll(async () => {
  real.username = uniqueUsername('real');
  const issued = await ctx.app.auth.register({ username: real.username, password: PASSWORD });
  Object.assign(real, { accessToken: issued.accessToken, refreshToken: issued.refreshToken, ...claimsOf(issued.accessToken) });
  real.kid = ctx.app.keys.signing.kid;
});
afterEach(() => jest.restoreAllMocks());

// ---------------------------------------------------------------------------------------------------------
// Arbitraries

/** A value known only once beforeAll has run (arbitraries are built at import time). */
const later = <T>(get: () => T) => fc.constant(null).map(get);

const text = fc.string({ unit: 'binary', maxLength: 60 });
const B64URL = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'];
const B64TOKEN = [...B64URL, '.', '~', '+', '/'];
const b64urlOf = (bytes: number) => fc.uint8Array({ minLength: bytes, maxLength: bytes }).map((b) => Buffer.from(b).toString('base64url'));
const refreshShaped = b64urlOf(48);

/** What a client may put in a field: garbage, JSON of any type, and values that pass some checks. */
const fieldValue: fc.Arbitrary<unknown> = fc.oneof(
  text,
  fc.jsonValue({ maxDepth: 2 }),
  refreshShaped,
  later(() => real.refreshToken),
  later(() => real.username),
  fc.stringMatching(/^[a-z0-9._@+-]{3,20}$/),
  fc.constantFrom(PASSWORD, 'another fine passphrase', '', ' ', 'password', 'refresh_token', 'profile', 'profile sessions', 'admin', 'default'),
  fc.constantFrom(true, false, null, 0, -1, 1e308, [], {}),
  fc.integer({ min: 0, max: 3000 }).map((n) => 'x'.repeat(n)),
);

const FIELDS = [
  'username', 'password', 'new_password', 'scope', 'refresh_token', 'all', 'token', 'token_type_hint', 'grant_type', 'client_id', 'email',
  '__proto__', 'constructor', 'prototype',
];
const fieldName = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...FIELDS) }, { weight: 1, arbitrary: text });

/** An object with the given own properties, `__proto__` included (a literal would set the prototype). */
function ownProperties(entries: [string, unknown][]): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  for (const [key, value] of entries) Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
  return object;
}

const fieldsJson = fc.array(fc.tuple(fieldName, fieldValue), { maxLength: 6 }).map((entries) => JSON.stringify(ownProperties(entries)));
const formValue = fc.oneof(text, fieldValue.map((value) => (typeof value === 'string' ? value : JSON.stringify(value) ?? '')));
const formBody = fc.oneof(
  fc.array(fc.tuple(fieldName, formValue), { maxLength: 6 }).map((pairs) => new URLSearchParams(pairs).toString()),
  // Raw form text: broken percent-escapes, repeated names, separators only.
  fc.string({ unit: fc.constantFrom('%', 'E0', 'ff', '=', '&', '+', ';', 'grant_type', 'password', 'username', 'a', '\u0000', '\ud800'), maxLength: 30 }),
);
/** Bodies around and far beyond the 16 KiB limit. */
const hugeBody = fc.oneof(
  fc.integer({ min: 16 * 1024 - 64, max: 70_000 }).map((n) => 'a'.repeat(n)),
  fc.integer({ min: 16 * 1024 - 64, max: 40_000 }).map((n) => JSON.stringify({ username: 'someone', password: 'p'.repeat(n) })),
  fc.integer({ min: 5_000, max: 12_000 }).map((n) => JSON.stringify({ username: 'é'.repeat(n), password: 'ü'.repeat(n) })),
);

interface BodyPart {
  body: string | null;
  isBase64Encoded: boolean;
}
const plainBody: fc.Arbitrary<BodyPart> = fc
  .oneof(text, fc.json({ maxDepth: 3 }), { weight: 2, arbitrary: fieldsJson }, formBody, hugeBody, fc.constant(''), fc.constant(null))
  .map((body) => ({ body, isBase64Encoded: false }));
const base64Body: fc.Arbitrary<BodyPart> = fc
  .oneof(
    fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes).toString('base64')), // invalid UTF-8, mostly
    fieldsJson.map((json) => Buffer.from(json).toString('base64')),
    text, // not base64 at all
    fc.integer({ min: 16 * 1024 - 8, max: 24_000 }).map((n) => Buffer.alloc(n, 0xff).toString('base64')),
  )
  .map((body) => ({ body, isBase64Encoded: true }));

const contentType = fc.oneof(
  fc.constantFrom(
    'application/json', 'application/json; charset=utf-8', 'APPLICATION/JSON', ' application/json ', 'application/json;;;=',
    'application/jsonx', 'application/x-www-form-urlencoded', 'application/x-www-form-urlencoded;charset=UTF-8', 'text/plain',
    'multipart/form-data; boundary=x', '', ';',
  ),
  text,
);

/** Compact-JWS-shaped text: any header (alg none, HS/RS confusion, jku, embedded jwk, crit …), payload and signature. */
const jwtWith = (header: unknown, payload: unknown, signature = '') =>
  `${base64url.encode(JSON.stringify(header))}.${base64url.encode(JSON.stringify(payload))}.${signature}`;
const jwtShaped = fc.tuple(
  fc.oneof(
    fc.record(
      {
        alg: fc.oneof(fc.constantFrom('ES256', 'RS256', 'EdDSA', 'HS256', 'none', 'NONE', ''), text),
        typ: fc.oneof(fc.constantFrom('at+jwt', 'JWT', 'application/at+jwt'), text),
        kid: fc.oneof(later(() => real.kid), text),
        jku: fc.constant('http://127.0.0.1:9/jwks.json'),
        jwk: fc.constant({ kty: 'EC', crv: 'P-256', x: 'x', y: 'y' }),
        crit: fc.constantFrom(['exp'], ['b64'], []),
        b64: fc.boolean(),
      },
      { requiredKeys: ['alg'] },
    ),
    fc.jsonValue({ maxDepth: 2 }),
  ),
  fc.oneof(later(() => claimsOf(real.accessToken) as unknown), fc.jsonValue({ maxDepth: 2 })),
  fc.oneof(fc.constant(''), b64urlOf(64), text),
).map(([header, payload, signature]) => jwtWith(header, payload, signature));
/** A real access token with one character changed. */
const tamperedToken = fc
  .tuple(fc.nat(), fc.constantFrom(...B64URL))
  .map(([at, char]) => {
    const index = at % real.accessToken.length;
    return `${real.accessToken.slice(0, index)}${char}${real.accessToken.slice(index + 1)}`;
  });
const tokenLike = fc.oneof(text, jwtShaped, tamperedToken, refreshShaped, later(() => real.accessToken), fc.integer({ min: 4000, max: 9000 }).map((n) => 'a'.repeat(n)));

const authorization = fc.oneof(
  fc.constantFrom('Bearer', 'Bearer ', 'bearer  x', 'BEARER a.b.c', 'Basic dXNlcjpwYXNz', 'Bearer a b', 'Bearer =', 'Bearer\ttoken'),
  tokenLike.map((token) => `Bearer ${token}`),
  text,
);

const HEADER_NAMES = [
  'Content-Type', 'content-type', 'CONTENT-TYPE', 'Authorization', 'authorization', 'AUTHORIZATION', 'Origin', 'X-Forwarded-For',
  '__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'toString', 'valueOf',
];
const headerEntry = fc.tuple(
  fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...HEADER_NAMES) }, { weight: 1, arbitrary: text }),
  fc.oneof(contentType, authorization, text, fc.constantFrom<unknown>(undefined, null, 42, ['application/json'], { toString: 'x' })),
);
/** Header maps: null, or a Content-Type first (so bodies get parsed) and then anything, duplicates in other cases included. */
const headers = fc.oneof(
  { weight: 1, arbitrary: fc.constant(null) },
  {
    weight: 8,
    arbitrary: fc
      .tuple(fc.option(fc.tuple(fc.constantFrom('Content-Type', 'content-type'), contentType)), fc.array(headerEntry, { maxLength: 8 }))
      .map(([first, rest]) => ownProperties(first ? [first, ...rest] : rest)),
  },
);

/** Authorizer context values are strings (functions/authorizer.ts), but any strings: a real user's or not. */
const contextString = (realValue: () => string, extra: string[] = []) =>
  fc.oneof(text, later(realValue), ...(extra.length > 0 ? [fc.constantFrom(...extra)] : []));
const authorizerContext = fc
  .record({
    sub: contextString(() => real.sub),
    scope: contextString(() => 'profile sessions', ['profile', 'sessions', '', 'sessions profile admin']),
    sid: contextString(() => real.sid),
    client_id: contextString(() => 'default'),
  })
  .chain((context) =>
    fc.constantFrom<Record<string, unknown>>(
      context,
      { lambda: context },
      { jwt: { claims: context } },
      ownProperties([...Object.entries(context), ['__proto__', 'x'], ['constructor', 'x']]),
    ),
  );

const pathParameters = fc.oneof(
  fc.constant(null),
  fc.constant({}),
  text.map((id) => ({ id })),
  b64urlOf(16).map((id) => ({ id: id.slice(0, 22) })),
  later(() => ({ id: real.sid })),
  fc.constant(ownProperties([['__proto__', 'x'], ['id', '__proto__']])),
);

/** Field values that get past the first checks more often than pure garbage does. */
const plausible = (...pool: fc.Arbitrary<unknown>[]) => fc.oneof({ weight: 3, arbitrary: fc.oneof(...pool) }, { weight: 1, arbitrary: fieldValue });
const plausibleFields = fc.record(
  {
    username: plausible(later(() => real.username), fc.stringMatching(/^[A-Za-z0-9._@+-]{3,20}$/), text),
    password: plausible(fc.constantFrom(PASSWORD, 'another fine passphrase', 'short'), text),
    new_password: plausible(fc.constantFrom('another fine passphrase', 'short', 'x'.repeat(300)), text),
    scope: plausible(fc.constantFrom('profile', 'sessions', 'profile sessions', 'admin', ' ', 'profile  sessions'), text),
    refresh_token: plausible(later(() => real.refreshToken), refreshShaped, text),
    token: plausible(later(() => real.refreshToken), later(() => real.accessToken), refreshShaped, b64urlOf(48), text),
    token_type_hint: plausible(fc.constantFrom('refresh_token', 'access_token', 'unknown')),
    grant_type: plausible(fc.constantFrom('password', 'refresh_token', 'client_credentials', 'PASSWORD')),
    client_id: plausible(fc.constantFrom('default', 'cli', 'x'.repeat(200), 'tab\tname'), text),
    all: plausible(fc.constantFrom(true, false, 'true', 1)),
    email: plausible(fc.emailAddress(), fc.constantFrom('ada@example.com', 'ADA@EXAMPLE.COM', 'a@b', '@', 'a\r\nBcc: x@y.z'), text),
  },
  { requiredKeys: [] },
);
const asForm = (fields: Record<string, unknown>) =>
  new URLSearchParams(Object.entries(fields).map(([key, value]): [string, string] => [key, typeof value === 'string' ? value : JSON.stringify(value) ?? ''])).toString();

const JSON_TYPES = ['application/json', 'application/json; charset=utf-8', 'APPLICATION/JSON'];
const FORM_TYPES = ['application/x-www-form-urlencoded', 'application/x-www-form-urlencoded;charset=UTF-8'];

/** A body the handler will parse: a JSON or form Content-Type first, then any further headers (other-case duplicates too). */
const jsonTyped = fc.tuple(
  fc.constantFrom(...JSON_TYPES),
  fc.oneof(
    { weight: 3, arbitrary: plausibleFields.map((fields) => JSON.stringify(fields)) },
    { weight: 1, arbitrary: fieldsJson },
    { weight: 1, arbitrary: fc.oneof(text, fc.json({ maxDepth: 3 }), hugeBody) },
  ),
);
const formTyped = fc.tuple(
  fc.constantFrom(...FORM_TYPES),
  fc.oneof({ weight: 3, arbitrary: plausibleFields.map(asForm) }, { weight: 1, arbitrary: formBody }, { weight: 1, arbitrary: fc.oneof(text, hugeBody) }),
);
const parsedBody = fc.oneof({ weight: 2, arbitrary: jsonTyped }, { weight: 1, arbitrary: formTyped });
const wellFormed = fc
  .record({ typed: parsedBody, base64: fc.nat(3).map((n) => n === 0), rest: fc.array(headerEntry, { maxLength: 4 }) })
  .map(({ typed: [type, body], base64, rest }) => ({
    part: { body: base64 ? Buffer.from(body).toString('base64') : body, isBase64Encoded: base64 },
    headers: ownProperties([['Content-Type', type], ...rest.filter(([name]) => name !== 'Content-Type')]) as Record<string, unknown> | null,
  }));
const anything = fc.record({ part: fc.oneof({ weight: 4, arbitrary: plainBody }, { weight: 1, arbitrary: base64Body }), headers });

/** A REST proxy event (AWS's documented fixture) carrying whatever the generators chose. */
const hostileEvent: fc.Arbitrary<HttpEvent> = fc
  .record({
    envelope: fc.oneof({ weight: 4, arbitrary: wellFormed }, { weight: 1, arbitrary: anything }),
    authorizer: authorizerContext,
    pathParameters,
  })
  .map(({ envelope: { part, headers: map }, authorizer, pathParameters: path }) => {
    const event = proxyEvent({ rawBody: part.body, isBase64Encoded: part.isBase64Encoded, pathParameters: path as Record<string, string> | null });
    (event as HttpEvent).headers = map as Record<string, string> | null;
    event.requestContext.authorizer = authorizer;
    return event;
  });

// ---------------------------------------------------------------------------------------------------------
// Helpers

/** A handler's answer is 2xx, or a 4xx carrying the contract's error body. */
function expectContractAnswer(response: HttpResponse): void {
  const { statusCode } = response;
  expect([2, 4]).toContain(Math.floor(statusCode / 100));
  if (statusCode >= 400) {
    expect(JSON.parse(response.body)).toEqual({ code: statusCode, error: expect.any(String), error_description: expect.any(String) });
  }
}

/** What a synchronous call did: its value, or what it threw (so test bodies need no try/catch). */
function outcome<T>(run: () => T): { ok: true; value: T } | { ok: false; error: unknown } {
  try {
    return { ok: true, value: run() };
  } catch (error) {
    return { ok: false, error };
  }
}

/**
 * True when two compact JWS strings carry the same bytes: base64url's last character has bits that decode
 * to nothing, so a string that differs there is still the genuine token, signature and all.
 */
const sameJws = (a: string, b: string) => {
  const parts = (token: string) => token.split('.').map((part) => Buffer.from(part, 'base64url').toString('hex'));
  return a.split('.').length === 3 && parts(a).join('.') === parts(b).join('.');
};

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => new Error('resolved, but a rejection was expected'),
    (error: unknown) => error,
  );
}

type Handler = (event: HttpEvent) => Promise<HttpResponse>;
const HANDLERS: [string, (deps: TestApp['deps']) => Handler][] = [
  ['POST /auth/register', makeRegisterHandler],
  ['POST /auth/login', makeLoginHandler],
  ['POST /auth/refresh', makeRefreshHandler],
  ['POST /auth/logout', makeLogoutHandler],
  ['POST /oauth/token', makeTokenHandler],
  ['POST /oauth/revoke', makeRevokeHandler],
  ['POST /auth/password', makePasswordHandler],
  ['DELETE /sessions/{id}', makeDeleteSessionHandler],
  ['GET /me', makeMeHandler],
  ['GET /sessions', makeListSessionsHandler],
  ['POST /auth/password/forgot', makeForgotPasswordHandler],
  ['POST /auth/password/reset', makeResetPasswordHandler],
  ['POST /auth/email', makeEmailHandler],
  ['POST /auth/email/verify', makeVerifyEmailHandler],
  ['DELETE /me', makeDeleteMeHandler],
  ['GET /oauth/userinfo', makeUserinfoHandler],
];

// ---------------------------------------------------------------------------------------------------------

describe('handlers under hostile input', () => {
  it.each(HANDLERS)('%s never throws and answers 2xx or a contract 4xx, whatever the request', async (_route, make) => {
    const handler = make(ctx.app.deps);

    await fc.assert(
      fc.asyncProperty(hostileEvent, async (event) => {
        expectContractAnswer(await handler(event));
      }),
      { numRuns: RUNS },
    );
  });

  it.each(HANDLERS.filter(([route]) => ['GET /me', 'GET /sessions', 'DELETE /sessions/{id}', 'POST /auth/password', 'GET /oauth/userinfo'].includes(route)))(
    '%s answers a contract body (a 5xx only as server_error) even for an authorizer context of any shape',
    async (_route, make) => {
      const handler = make(ctx.app.deps);
      const anyContext = fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.dictionary(fc.constantFrom('sub', 'scope', 'sid', 'client_id', 'lambda', 'jwt'), fc.jsonValue({ maxDepth: 2 })));

      await fc.assert(
        fc.asyncProperty(hostileEvent, anyContext, async (event, context) => {
          const response = await handler({ ...event, requestContext: { ...event.requestContext, authorizer: context as Record<string, unknown> } });
          const body = JSON.parse(response.body || '{}') as Record<string, unknown>;
          if (response.statusCode >= 500) expect(body).toEqual({ code: 500, error: 'server_error', error_description: expect.any(String) });
          else expectContractAnswer(response);
        }),
        { numRuns: 100 },
      );
    },
  );

  it('lets no "__proto__" or "constructor" key in a JSON or form body pollute Object.prototype', async () => {
    const before = Object.getOwnPropertyNames(Object.prototype).sort();
    const json = '{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}},"username":"someone","password":"x"}';
    const form = '__proto__[polluted]=yes&constructor[prototype][polluted]=yes&__proto__=yes&grant_type=password';
    const events = [
      proxyEvent({ rawBody: json, contentType: 'application/json', authorizer: authorizerFor(real.accessToken) }),
      proxyEvent({ rawBody: form, contentType: 'application/x-www-form-urlencoded', authorizer: authorizerFor(real.accessToken) }),
    ];

    const responses = await Promise.all(HANDLERS.flatMap(([, make]) => events.map((event) => make(ctx.app.deps)(structuredClone(event)))));

    responses.forEach(expectContractAnswer);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(before);
  });
});

describe('the hosted pages under hostile input', () => {
  /**
   * Where a redirect may lead, written out apart from the code under test: a registered redirect or post-logout
   * URI exactly, or a registered loopback one on some port (RFC 8252 §7.3), each with a query added.
   */
  const REGISTERED: string[] = OIDC_CLIENTS.flatMap((client) => [...client.redirect_uris, ...('post_logout_redirect_uris' in client ? client.post_logout_redirect_uris : [])]);
  const mayRedirectTo = (location: string) => {
    const bare = location.split('?')[0]!;
    return REGISTERED.includes(bare) || /^http:\/\/127\.0\.0\.1:\d{1,5}\/(callback|second|signed-out)$/.test(bare);
  };
  const seen = new Map<number, number>();
  const { challenge } = pkce();
  const REDIRECTS = [
    ...OIDC_CLIENTS.flatMap((client) => client.redirect_uris),
    'http://127.0.0.1:8123/callback', 'http://127.0.0.1/callback/../evil', 'https://evil.example/cb', 'http://127.0.0.1.evil.example/callback',
    'http://127.0.0.1/callback#frag', 'javascript:alert(1)', '//evil.example/cb', 'HTTP://127.0.0.1/callback', 'http://user@127.0.0.1/callback', '',
  ];
  const query = fc.record(
    {
      response_type: plausible(fc.constantFrom('code', 'token', 'code id_token', '')),
      client_id: plausible(fc.constantFrom(...OIDC_CLIENTS.map((client) => client.client_id), 'unknown', 'x'.repeat(300)), text),
      redirect_uri: plausible(fc.constantFrom(...REDIRECTS), text),
      scope: plausible(fc.constantFrom('openid', 'openid profile email', 'openid sessions admin', 'profile', ''), text),
      state: plausible(fc.constantFrom('s', '<script>', 'x'.repeat(5000)), text),
      nonce: plausible(text),
      code_challenge: plausible(fc.constant(challenge), fc.constant('short'), text),
      code_challenge_method: plausible(fc.constantFrom('S256', 'plain', 's256')),
      prompt: plausible(fc.constantFrom('none', 'login', 'consent', 'none login', 'bogus')),
      max_age: plausible(fc.constantFrom('0', '10', '-1', '1e3', '99999999999')),
      ui_locales: plausible(fc.constantFrom('ko', 'en', 'ko-KR en', 'x'.repeat(3000)), text),
      id_token_hint: plausible(tokenLike),
      post_logout_redirect_uri: plausible(fc.constantFrom(...REDIRECTS, 'http://127.0.0.1/signed-out'), text),
      csrf: plausible(b64urlOf(32), text),
      action: plausible(fc.constantFrom('login', 'consent', 'deny', 'signup', 'forgot', 'logout', 'reset')),
      username: plausible(later(() => real.username), text),
      password: plausible(fc.constantFrom(PASSWORD, 'wrong'), text),
      token: plausible(b64urlOf(48), text),
    },
    { requiredKeys: [] },
  );
  /** A good request of some client, then up to three of its parameters set to anything above (or added). */
  const nearlyGood = fc
    .tuple(fc.constantFrom(...OIDC_CLIENTS), fc.constantFrom(undefined, 'none'), query, fc.subarray(['response_type', 'client_id', 'redirect_uri', 'scope', 'state', 'code_challenge', 'code_challenge_method', 'prompt', 'max_age', 'ui_locales', 'action', 'csrf'], { maxLength: 3 }))
    .map(([client, prompt, hostile, keys]) => {
      const good: Record<string, unknown> = {
        response_type: 'code', client_id: client.client_id, redirect_uri: client.redirect_uris[0], scope: 'openid profile', state: 's', nonce: 'n', ...(prompt ? { prompt } : {}),
        code_challenge: challenge, code_challenge_method: 'S256', username: real.username, password: PASSWORD, action: 'login',
      };
      for (const key of keys) if (key in hostile) good[key] = (hostile as Record<string, unknown>)[key];
      return good;
    });
  /** The open-redirect attempt: a good request but for an unregistered redirect URI, often with an error to report. */
  const UNREGISTERED = REDIRECTS.filter((uri) => !mayRedirectTo(uri));
  const wrongRedirect = fc
    .tuple(nearlyGood, fc.constantFrom(...UNREGISTERED), fc.constantFrom(undefined, 'none', 'bogus'), fc.constantFrom(undefined, 'plain', 'token'))
    .map(([good, redirect, prompt, broken]) => ({
      ...good,
      redirect_uri: redirect,
      ...(prompt ? { prompt } : {}),
      ...(broken === 'plain' ? { code_challenge_method: 'plain' } : broken === 'token' ? { response_type: 'token' } : {}),
    }));
  const cookie = fc.oneof(
    fc.constant(undefined),
    b64urlOf(32).map((value) => `jwt_auth_csrf=${value}; jwt_auth_sso=${value}`),
    text.map((value) => `jwt_auth_sso=${value}`),
    fc.integer({ min: 8000, max: 12_000 }).map((n) => `jwt_auth_csrf=${'a'.repeat(n)}`),
  );
  const pageEvent = fc
    .record({
      method: fc.constantFrom('GET', 'GET', 'POST', 'POST', 'PUT'),
      path: fc.constantFrom('/oauth/authorize', '/oauth/signup', '/oauth/forgot', '/oauth/reset', '/oauth/end-session', '/oauth/nothing'),
      fields: fc.oneof({ weight: 2, arbitrary: nearlyGood }, { weight: 1, arbitrary: wrongRedirect }, { weight: 1, arbitrary: query }),
      // Raw form text in place of the fields, now and then.
      raw: fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: formBody }),
      cookie,
      type: fc.constantFrom('application/x-www-form-urlencoded', 'application/x-www-form-urlencoded', 'application/x-www-form-urlencoded', 'application/json', 'text/plain'),
    })
    .map(({ method, path, fields, raw, cookie: cookies, type }) => {
      const params = asForm(fields);
      const event = proxyEvent({ httpMethod: method, path, rawBody: method === 'GET' ? null : (raw ?? params), contentType: type });
      const query = raw ?? params;
      (event as HttpEvent).multiValueQueryStringParameters = method === 'GET' ? groupQuery(query) : null;
      (event as HttpEvent).queryStringParameters = null;
      if (cookies !== undefined) event.headers.Cookie = cookies;
      return event as HttpEvent;
    });
  function groupQuery(text: string): Record<string, string[]> {
    const grouped: Record<string, string[]> = Object.create(null);
    for (const [name, value] of new URLSearchParams(text)) (grouped[name] ??= []).push(value);
    return grouped;
  }

  it('never throws, never answers 5xx, and redirects only to a URI a client registered', async () => {
    const hosted = makeAuthorizeHandler(ctx.app.deps);

    await fc.assert(
      fc.asyncProperty(pageEvent, async (event) => {
        const response = await hosted(event);
        seen.set(response.statusCode, (seen.get(response.statusCode) ?? 0) + 1);
        expect([200, 202, 303, 400, 403, 404, 405, 409, 413, 415, 429]).toContain(response.statusCode);
        if (response.statusCode === 303) expect({ location: response.headers.Location, allowed: mayRedirectTo(response.headers.Location!) }).toMatchObject({ allowed: true });
        else expect(response.headers['Content-Type']).toBe('text/html; charset=utf-8');
      }),
      { numRuns: RUNS },
    );
    // The generators reach the pages, the redirects and the refusals alike, or the property proves little.
    expect([...seen.keys()]).toEqual(expect.arrayContaining([200, 303, 400]));
  });
});

describe('parsers under hostile input', () => {
  it('bearerToken never throws and returns only an RFC 6750 b64token', () => {
    const header = fc.oneof(text, authorization, fc.string({ unit: fc.constantFrom('B', 'e', 'a', 'r', ' ', '\t', '\n', '=', 'x', '.', '~', '+', '/', '-'), maxLength: 20 }));

    fc.assert(
      fc.property(fc.option(header, { nil: undefined }), (value) => {
        const token = bearerToken(value);
        if (token !== undefined) expect(token).toMatch(/^[A-Za-z0-9\-._~+/]+=*$/);
      }),
      { numRuns: 1000 },
    );
  });

  it('bearerToken returns exactly the b64token after a Bearer scheme in any case', () => {
    const b64token = fc
      .tuple(fc.string({ unit: fc.constantFrom(...B64TOKEN), minLength: 1, maxLength: 80 }), fc.string({ unit: fc.constant('='), maxLength: 3 }))
      .map(([body, padding]) => body + padding);

    fc.assert(
      fc.property(fc.constantFrom('Bearer', 'bearer', 'BEARER'), fc.integer({ min: 1, max: 3 }), b64token, (scheme, spaces, token) => {
        expect(bearerToken(`${scheme}${' '.repeat(spaces)}${token}`)).toBe(token);
      }),
      { numRuns: 500 },
    );
  });

  it('parseJsonBody returns a plain object or throws AuthError invalid_request with 400, 413 or 415', () => {
    fc.assert(
      fc.property(hostileEvent, (event) => {
        const result = outcome(() => parseJsonBody(event));
        if (result.ok) {
          expect(typeof result.value).toBe('object');
          expect(result.value).not.toBeNull();
          expect(Array.isArray(result.value)).toBe(false);
        } else {
          expect(result.error).toBeInstanceOf(AuthError);
          expect(result.error).toMatchObject({ code: 'invalid_request' });
          expect([400, 413, 415]).toContain((result.error as AuthError).status);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('parseOAuthParams returns non-empty string parameters or throws AuthError invalid_request with 400, 413 or 415', () => {
    fc.assert(
      fc.property(hostileEvent, (event) => {
        const result = outcome(() => parseOAuthParams(event));
        if (result.ok) {
          for (const value of Object.values(result.value)) {
            expect(typeof value).toBe('string');
            expect(value).not.toBe('');
          }
        } else {
          expect(result.error).toBeInstanceOf(AuthError);
          expect(result.error).toMatchObject({ code: 'invalid_request' });
          expect([400, 413, 415]).toContain((result.error as AuthError).status);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('tokens.verify rejects every string but a real token with AuthError invalid_token, never another error', async () => {
    await fc.assert(
      fc.asyncProperty(tokenLike.filter((token) => !sameJws(token, real.accessToken)), async (token) => {
        const error = await rejection(ctx.app.tokens.verify(token));
        expect(error).toBeInstanceOf(AuthError);
        expect(error).toMatchObject({ code: 'invalid_token', status: 401 });
      }),
      { numRuns: RUNS },
    );
  });

  it('parseRefreshToken returns the token it was given or throws AuthError invalid_grant', () => {
    const candidate = fc.oneof(
      text,
      refreshShaped,
      fc.string({ unit: fc.constantFrom(...B64URL, '=', '+', '/', '.'), minLength: 60, maxLength: 68 }),
      later(() => real.accessToken),
      fc.constant(randomBytes(48).toString('base64')),
    );

    fc.assert(
      fc.property(candidate, (value) => {
        const result = outcome(() => parseRefreshToken(value));
        if (result.ok) {
          expect(result.value.token).toBe(value);
          expect(result.value.sid).toMatch(/^[A-Za-z0-9_-]{22}$/);
        } else {
          expect(result.error).toBeInstanceOf(AuthError);
          expect(result.error).toMatchObject({ code: 'invalid_grant' });
        }
      }),
      { numRuns: 1000 },
    );
  });
});
