/**
 * The OpenID provider's hosted pages (functions/authorize.ts) through the real handler: which requests may be
 * answered at a redirect URI at all, the errors sent there, prompt and max_age, the single sign-on cookie,
 * CSRF, the password guard shared with POST /auth/login, consent, RP-initiated logout and hostile input.
 * The token endpoint is called only to show what a code or a logout is worth; its own rules are
 * tests/functions/oidc-token.test.ts.
 */
import { randomBytes } from 'node:crypto';
import { makeAuthorizeHandler } from '../../functions/authorize';
import type { HttpResponse } from '../../lib/http';
import { loginKey } from '../../lib/users';
import { authorizerFor, bodyOf, claimsOf, createTestApp, proxyEvent, uniqueUsername, withTestApp } from '../support/app';
import { formsOf } from '../support/oidc';
import {
  APP, APP_LOOPBACK, authorizationRequest, Browser, codeGrant, codeOf, CSRF, errorOf, FORM, getEvent, isLoginPage, locationOf, PASSWORD, postEvent, random, redirectParams,
  newAddress, refreshGrant, SECOND, sets, SSO, THIRD, tokenEvent, WRONG_PASSWORD, type Params,
} from './oidc-support';

const ctx = withTestApp();
const { token, login, password: changePassword } = ctx.handlers;
const pages = makeAuthorizeHandler(() => ctx.app.deps());

const ISSUER = 'https://auth.example.test';
const BROWSER_SESSION_TTL = 43_200;

/** A user most tests share; the tests that change a password or fill a bucket at a shared address make their own. */
let alice: { username: string; sub: string };

beforeAll(async () => {
  const username = uniqueUsername('alice');
  const { accessToken } = await ctx.app.auth.register({ username, password: PASSWORD });
  alice = { username, sub: claimsOf(accessToken).sub };
});

/**
 * A browser alice signed in with (APP) before the block's tests, for those that only read its sign-in. One per
 * block: other blocks move the clock past BROWSER_SESSION_TTL.
 */
function signedInBrowser(): () => Browser {
  let browser: Browser | undefined;
  beforeAll(async () => {
    browser = new Browser(pages);
    codeOf(await browser.signIn(authorizationRequest().query, alice.username));
  });
  return () => browser!;
}

async function newUser() {
  const username = uniqueUsername('oidc');
  const { accessToken } = await ctx.app.auth.register({ username, password: PASSWORD });
  return { username, accessToken, sub: claimsOf(accessToken).sub };
}

/** A new browser signed in at the hosted page (APP's request unless overridden), and the code it got. */
async function signedIn(overrides: Params = {}, username = alice.username) {
  const browser = new Browser(pages);
  const request = authorizationRequest(overrides);
  const answer = await browser.signIn(request.query, username);
  return { browser, ...request, answer };
}

const authorize = (browser: Browser, overrides: Params = {}) => browser.get('/oauth/authorize', authorizationRequest(overrides).query);

/** A page refusing a request it cannot answer at any redirect URI: 4xx HTML, nowhere to go, no sign-in. */
function expectPage(response: HttpResponse, status = 400) {
  expect({ status: response.statusCode, type: response.headers['Content-Type'], location: response.headers.Location }).toEqual({
    status,
    type: 'text/html; charset=utf-8',
    location: undefined,
  });
  expect(sets(response, SSO)).toBe(false);
  expect(response.body).not.toMatch(/code=/);
}

/** The client's error at its redirect URI (RFC 6749 §4.1.2.1, RFC 9207): no code, the state back, the issuer. */
function expectErrorRedirect(response: HttpResponse, error: string, state: string | undefined, redirectUri: string = APP.redirect_uri) {
  const location = locationOf(response);
  expect(`${location.origin}${location.pathname}`).toBe(redirectUri);
  expect(Object.fromEntries(location.searchParams)).toEqual({ error, error_description: expect.any(String), ...(state === undefined ? {} : { state }), iss: ISSUER });
}

describe('a request that cannot be answered at a redirect URI: a page, never a redirect', () => {
  const aliceBrowser = signedInBrowser();

  it.each<[string, Params, string]>([
    ['an unknown client_id', { client_id: 'no-such-client' }, 'Unknown app'],
    ['no client_id', { client_id: undefined }, 'Unknown app'],
    ['no redirect_uri', { redirect_uri: undefined }, 'Invalid return address'],
    ['a host that starts like the loopback address', { redirect_uri: 'http://127.0.0.1.evil.example/callback' }, 'Invalid return address'],
    ['a path suffix', { redirect_uri: 'http://127.0.0.1/callback/evil' }, 'Invalid return address'],
    ['a path suffix on another port', { redirect_uri: 'http://127.0.0.1:8080/callbackx' }, 'Invalid return address'],
    ['a fragment', { redirect_uri: 'http://127.0.0.1/callback#evil' }, 'Invalid return address'],
    ['a fragment on another port', { redirect_uri: 'http://127.0.0.1:8080/callback#evil' }, 'Invalid return address'],
    ['https instead of http', { redirect_uri: 'https://127.0.0.1/callback' }, 'Invalid return address'],
    ['a query the registration has not', { redirect_uri: 'http://127.0.0.1/callback?next=https://evil.example' }, 'Invalid return address'],
    ['user info before the host', { redirect_uri: 'http://evil.example@127.0.0.1/callback' }, 'Invalid return address'],
    ['localhost instead of the registered 127.0.0.1', { redirect_uri: 'http://localhost/callback' }, 'Invalid return address'],
    ['localhost on a port', { redirect_uri: 'http://localhost:51234/callback' }, 'Invalid return address'],
    ['the IPv6 loopback for an IPv4 registration', { redirect_uri: 'http://[::1]:51234/callback' }, 'Invalid return address'],
    ['another client\'s redirect URI', { redirect_uri: SECOND.redirect_uri }, 'Invalid return address'],
    ['a third party\'s URI with a trailing slash', { ...THIRD, redirect_uri: 'https://third.example/cb/' }, 'Invalid return address'],
    ['a third party\'s URI on another port', { ...THIRD, redirect_uri: 'https://third.example:8443/cb' }, 'Invalid return address'],
    ['a third party\'s URI over http', { ...THIRD, redirect_uri: 'http://third.example/cb' }, 'Invalid return address'],
  ])('%s: 400 page without Location, even for a signed-in browser', async (_case, overrides, title) => {
    const response = await authorize(aliceBrowser(), overrides);

    expectPage(response);
    expect(response.body).toContain(`<h1>${title}</h1>`);
  });

  it('keeps that order: a bad redirect_uri with a bad PKCE request is still a page', async () => {
    const response = await authorize(aliceBrowser(), { redirect_uri: 'https://evil.example/cb', code_challenge: undefined, prompt: 'none' });

    expectPage(response);
  });
});

describe('a loopback redirect URI (RFC 8252 §7.3)', () => {
  it('matches the registered http://127.0.0.1 on any port, and the code is exchanged at that very URI', async () => {
    const redirectUri = 'http://127.0.0.1:49152/callback';
    const browser = new Browser(pages);
    const { query, verifier } = authorizationRequest({ redirect_uri: redirectUri });

    const page = await browser.get('/oauth/authorize', query);
    const answer = await browser.signIn(query, alice.username);
    const location = locationOf(answer);
    const code = codeOf(answer);
    const otherPort = await token(tokenEvent(codeGrant(code, verifier, { client_id: APP.client_id, redirect_uri: 'http://127.0.0.1:49153/callback' })));

    expect(page.headers['Content-Security-Policy']).toContain("form-action 'self' http://127.0.0.1:49152;");
    expect(`${location.origin}${location.pathname}`).toBe(redirectUri);
    expect(errorOf(otherPort)).toBe('invalid_grant');
  });

  it('exchanges a code issued at a port for tokens when the same URI is presented', async () => {
    const redirectUri = 'http://127.0.0.1:3001/callback';
    const { answer, verifier } = await signedIn({ redirect_uri: redirectUri });

    const exchanged = await token(tokenEvent(codeGrant(codeOf(answer), verifier, { client_id: APP.client_id, redirect_uri: redirectUri })));

    expect(exchanged.statusCode).toBe(200);
  });
});

describe('an error sent back to the client at its redirect URI', () => {
  const aliceBrowser = signedInBrowser();

  it.each<[string, Params, string]>([
    ['no code_challenge', { code_challenge: undefined }, 'invalid_request'],
    ['no PKCE at all', { code_challenge: undefined, code_challenge_method: undefined }, 'invalid_request'],
    ['code_challenge_method=plain', { code_challenge_method: 'plain' }, 'invalid_request'],
    ['no code_challenge_method', { code_challenge_method: undefined }, 'invalid_request'],
    ['a code_challenge that is no SHA-256', { code_challenge: 'too-short' }, 'invalid_request'],
    ['no response_type', { response_type: undefined }, 'invalid_request'],
    ['response_type=token', { response_type: 'token' }, 'unsupported_response_type'],
    ['response_mode=fragment', { response_mode: 'fragment' }, 'invalid_request'],
    ['only scopes the service does not know', { scope: 'admin offline_access' }, 'invalid_scope'],
    ['a malformed scope', { scope: 'openid "quoted"' }, 'invalid_scope'],
    ['no scope', { scope: undefined }, 'invalid_scope'],
    ['prompt=none with login', { prompt: 'none login' }, 'invalid_request'],
    ['an unknown prompt', { prompt: 'always' }, 'invalid_request'],
    ['a negative max_age', { max_age: '-1' }, 'invalid_request'],
    ['a request object', { request: 'eyJhbGciOiJub25lIn0.e30.' }, 'request_not_supported'],
  ])('%s: 303 to the redirect URI with the error, state and iss, and no code even for a signed-in browser', async (_case, overrides, error) => {
    const state = random();

    const response = await authorize(aliceBrowser(), { state, ...overrides });

    expectErrorRedirect(response, error, state);
  });

  it('sends the error without state when the request had none', async () => {
    const response = await authorize(aliceBrowser(), { state: undefined, code_challenge_method: 'plain' });

    expectErrorRedirect(response, 'invalid_request', undefined);
  });
});

describe('prompt and max_age', () => {
  const aliceBrowser = signedInBrowser();

  it('answers prompt=none without a sign-in with login_required', async () => {
    const state = random();

    const response = await authorize(new Browser(pages), { prompt: 'none', state });

    expectErrorRedirect(response, 'login_required', state);
  });

  it('answers prompt=none for a third-party client never allowed with consent_required, and for a first-party one with a code at once', async () => {
    const state = random();

    const third = await authorize(aliceBrowser(), { ...THIRD, prompt: 'none', state });
    const second = await authorize(aliceBrowser(), { ...SECOND, prompt: 'none', state });

    expectErrorRedirect(third, 'consent_required', state, THIRD.redirect_uri);
    expect(redirectParams(second)).toEqual({ code: expect.stringMatching(/^[\w-]{43}$/), state, iss: ISSUER });
    expect(locationOf(second).pathname).toBe('/cb');
  });

  it('shows the sign-in page for prompt=login despite a live sign-in, and the new sign-in ends the old one', async () => {
    const { browser } = await signedIn();
    const before = browser.cookies.get(SSO)!;

    const page = await authorize(browser, { prompt: 'login' });
    const answer = await browser.submit(page, { username: alice.username, password: PASSWORD, action: 'login' });
    browser.cookies.set(SSO, before);
    const withOld = await authorize(browser, { prompt: 'none', state: undefined });

    expect(isLoginPage(page)).toBe(true);
    expect(codeOf(answer)).toMatch(/^[\w-]{43}$/);
    expectErrorRedirect(withOld, 'login_required', undefined);
  });

  it('shows the sign-in page again once the sign-in is older than max_age, and gives a code at once while it is not', async () => {
    const { browser } = await signedIn();
    ctx.app.clock.advance(120);

    const tooOld = await authorize(browser, { max_age: '60' });
    const tooOldNone = await authorize(browser, { max_age: '60', prompt: 'none', state: undefined });
    const recentEnough = await authorize(browser, { max_age: '3600' });

    expect(isLoginPage(tooOld)).toBe(true);
    expectErrorRedirect(tooOldNone, 'login_required', undefined);
    expect(codeOf(recentEnough)).toMatch(/^[\w-]{43}$/);
  });

  it('treats max_age=0 as prompt=login, even within the second of the sign-in', async () => {
    const { browser } = await signedIn();

    const page = await authorize(browser, { max_age: '0' });
    const none = await authorize(browser, { max_age: '0', prompt: 'none', state: undefined });

    expect(isLoginPage(page)).toBe(true);
    expectErrorRedirect(none, 'login_required', undefined);
  });
});

describe('a redirect URI any app on the device could claim (RFC 8252 §8.6)', () => {
  const aliceBrowser = signedInBrowser();

  it('asks the user before single sign-on sends a code to a loopback or private-use redirect URI, and prompt=none gets interaction_required', async () => {
    const state = random();
    const native = { client_id: 'oidc-native', redirect_uri: 'com.example.app:/oauth2redirect' };

    const loopback = await authorize(aliceBrowser(), { ...APP_LOOPBACK, redirect_uri: 'http://127.0.0.1:50123/callback' });
    const scheme = await authorize(aliceBrowser(), { ...native });
    const none = await authorize(aliceBrowser(), { ...APP_LOOPBACK, prompt: 'none', state });
    const allowed = await aliceBrowser().submit(loopback, { action: 'consent' });
    const https = await authorize(aliceBrowser(), { ...APP });

    for (const page of [loopback, scheme]) {
      expect(page.statusCode).toBe(200);
      expect(page.headers.Location).toBeUndefined();
      expect(page.body).toMatch(/<button[^>]*name="action" value="consent"/);
      expect(page.body).toContain('would like to:');
    }
    expectErrorRedirect(none, 'interaction_required', state, APP_LOOPBACK.redirect_uri);
    expect(`${locationOf(allowed).origin}${locationOf(allowed).pathname}`).toBe('http://127.0.0.1:50123/callback');
    expect(codeOf(allowed)).toMatch(/^[\w-]{43}$/);
    expect(codeOf(https)).toMatch(/^[\w-]{43}$/); // a claimed https redirect gets its code at once
  });

  it('asks too at a private-use scheme that merely starts like https', async () => {
    const app = await createTestApp(ctx.dynamo, { OAUTH_CLIENTS: JSON.stringify([{ client_id: 'lookalike', redirect_uris: ['https.example.app:/cb'], first_party: true }]) }, ctx.app.clock);
    const hosted = makeAuthorizeHandler(app.deps);
    const browser = new Browser(hosted);
    const request = authorizationRequest({ client_id: 'lookalike', redirect_uri: 'https.example.app:/cb' });
    codeOf(await browser.signIn(request.query, alice.username));

    const again = await browser.get('/oauth/authorize', authorizationRequest({ client_id: 'lookalike', redirect_uri: 'https.example.app:/cb' }).query);

    expect(again.statusCode).toBe(200);
    expect(again.headers.Location).toBeUndefined();
  });

  it('sends the code at once after a sign-in typed in this very request', async () => {
    const { answer } = await signedIn({ ...APP_LOOPBACK });

    expect(codeOf(answer)).toMatch(/^[\w-]{43}$/);
  });
});

describe('the single sign-on cookie', () => {
  it.each([
    ['a forged one (43 random characters)', () => randomBytes(32).toString('base64url')],
    ['a malformed one', () => 'not a session cookie!'],
    ['an overlong one', () => 'A'.repeat(4000)],
  ])('treats %s as signed out: the sign-in page, and login_required for prompt=none', async (_case, value) => {
    const browser = new Browser(pages);
    browser.cookies.set(SSO, value());

    const page = await authorize(browser);
    const none = await authorize(browser, { prompt: 'none', state: undefined });

    expect(isLoginPage(page)).toBe(true);
    expectErrorRedirect(none, 'login_required', undefined);
  });

  it('signs in until BROWSER_SESSION_TTL has passed, and not a second after', async () => {
    const { browser } = await signedIn();

    ctx.app.clock.advance(BROWSER_SESSION_TTL - 1);
    const lastSecond = await authorize(browser, { prompt: 'none' });
    ctx.app.clock.advance(1);
    const expired = await authorize(browser);
    const expiredNone = await authorize(browser, { prompt: 'none', state: undefined });

    expect(codeOf(lastSecond)).toMatch(/^[\w-]{43}$/);
    expect(isLoginPage(expired)).toBe(true);
    expectErrorRedirect(expiredNone, 'login_required', undefined);
  });

  it('no longer signs in after a password change, and a code issued before it is refused at the token endpoint', async () => {
    const user = await newUser();
    const { browser, answer, verifier } = await signedIn({}, user.username);
    const change = proxyEvent({ body: { password: PASSWORD, new_password: 'an entirely new passphrase' }, authorizer: authorizerFor(user.accessToken), sourceIp: newAddress() });

    const changed = await changePassword(change);
    const page = await authorize(browser);
    const none = await authorize(browser, { prompt: 'none', state: undefined });
    const exchanged = await token(tokenEvent(codeGrant(codeOf(answer), verifier)));

    expect(changed.statusCode).toBe(204);
    expect(isLoginPage(page)).toBe(true);
    expectErrorRedirect(none, 'login_required', undefined);
    expect(errorOf(exchanged)).toBe('invalid_grant');
  });
});

describe('CSRF on the hosted forms', () => {
  it.each<[string, (browser: Browser, fields: Record<string, string>) => void]>([
    ['without the CSRF cookie', (browser) => browser.cookies.delete(CSRF)],
    ['with a csrf field other than the cookie', (_browser, fields) => { fields.csrf = randomBytes(32).toString('base64url'); }],
    ['without a csrf field', (_browser, fields) => { delete fields.csrf; }],
    ['with a cookie and field that match but are not a token', (browser, fields) => { browser.cookies.set(CSRF, 'x'); fields.csrf = 'x'; }],
  ])('refuses the sign-in form posted %s with 403, and signs nobody in', async (_case, tamper) => {
    const browser = new Browser(pages);
    const page = await authorize(browser);
    const [form] = formsOf(page.body);
    const fields = { ...form!.fields, username: alice.username, password: PASSWORD, action: 'login' };
    tamper(browser, fields);

    const response = await browser.post('/oauth/authorize', fields);

    expectPage(response, 403);
    expect(response.body).toContain('This page expired. Please try again.');
    expect(browser.cookies.has(SSO)).toBe(false);
  });

  it.each<[string, (browser: Browser, fields: Record<string, string>) => void]>([
    ['without the CSRF cookie', (browser) => browser.cookies.delete(CSRF)],
    ['with a csrf field other than the cookie', (_browser, fields) => { fields.csrf = randomBytes(32).toString('base64url'); }],
  ])('refuses the sign-up form posted %s with 403, and creates no account', async (_case, tamper) => {
    const browser = new Browser(pages);
    const username = uniqueUsername('csrf');
    const page = await browser.get('/oauth/signup', authorizationRequest().query);
    const [form] = formsOf(page.body);
    const fields = { ...form!.fields, username, password: PASSWORD, action: 'signup' };
    tamper(browser, fields);

    const response = await browser.post('/oauth/signup', fields);

    expectPage(response, 403);
    expect(await ctx.dynamo.userNamed(username)).toBeUndefined();
    expect(browser.cookies.has(SSO)).toBe(false);
  });

  it('creates the account from the sign-up form with its CSRF token, signs the browser in and sends the code', async () => {
    const browser = new Browser(pages);
    const username = uniqueUsername('signup');
    const { query, verifier } = authorizationRequest();
    const page = await browser.get('/oauth/signup', query);

    const answer = await browser.submit(page, { username, password: PASSWORD, action: 'signup' });
    const exchanged = await token(tokenEvent(codeGrant(codeOf(answer), verifier)));

    expect(page.statusCode).toBe(200);
    expect(browser.cookies.has(SSO)).toBe(true);
    expect(claimsOf(bodyOf(exchanged).access_token as string).sub).toBe((await ctx.dynamo.userNamed(username))!.sub);
  });

  it('refuses the consent form posted without the CSRF token: no code', async () => {
    const { browser, answer } = await signedIn({ ...THIRD });
    const [form] = formsOf(answer.body);
    browser.cookies.delete(CSRF);

    const response = await browser.post('/oauth/authorize', { ...form!.fields, action: 'consent' });

    expectPage(response, 403);
  });
});

describe('the password guard, shared with POST /auth/login', () => {
  const wrongAtPage = async (browser: Browser, username: string) => {
    const page = await authorize(browser);
    return browser.submit(page, { username, password: WRONG_PASSWORD, action: 'login' });
  };

  it('throttles the page after five wrong passwords for one account from one address, and /auth/login with it; another address still signs in', async () => {
    const user = await newUser();
    const browser = new Browser(pages);
    const failures: HttpResponse[] = [];
    for (let i = 0; i < 5; i += 1) failures.push(await wrongAtPage(browser, user.username));

    const page = await authorize(browser);
    const throttled = await browser.submit(page, { username: user.username, password: PASSWORD, action: 'login' });
    const viaLogin = await login(proxyEvent({ body: { username: user.username, password: PASSWORD }, sourceIp: browser.sourceIp }));
    const elsewhere = await signedIn({}, user.username);

    for (const failure of failures) {
      expectPage(failure, 400); // not 401: a form has no WWW-Authenticate challenge to carry
      expect(failure.body).toContain('The username or password is incorrect.');
    }
    expectPage(throttled, 429);
    expect(throttled.headers['Retry-After']).toMatch(/^[1-9]\d*$/);
    expect(throttled.body).toContain('Too many attempts.');
    expect(browser.cookies.has(SSO)).toBe(false);
    expect(viaLogin.statusCode).toBe(429);
    expect(codeOf(elsewhere.answer)).toMatch(/^[\w-]{43}$/);
  });

  it('throttles the page after five wrong passwords at POST /auth/login from the same address', async () => {
    const user = await newUser();
    const browser = new Browser(pages);
    for (let i = 0; i < 5; i += 1) {
      const failed = await login(proxyEvent({ body: { username: user.username, password: WRONG_PASSWORD }, sourceIp: browser.sourceIp }));
      expect(errorOf(failed)).toBe('invalid_grant');
    }

    const page = await authorize(browser);
    const throttled = await browser.submit(page, { username: user.username, password: PASSWORD, action: 'login' });

    expectPage(throttled, 429);
    expect(browser.cookies.has(SSO)).toBe(false);
  });

  it('checks at most five of twenty parallel wrong passwords for one account from one address', async () => {
    const user = await newUser();
    const browser = new Browser(pages);
    const [form] = formsOf((await authorize(browser)).body);

    const answers = await Promise.all(Array.from({ length: 20 }, () => browser.post('/oauth/authorize', { ...form!.fields, username: user.username, password: WRONG_PASSWORD, action: 'login' })));

    const statuses = answers.map((answer) => answer.statusCode);
    const checked = statuses.filter((status) => status === 400);
    expect(checked.length).toBeGreaterThanOrEqual(1);
    expect(checked.length).toBeLessThanOrEqual(5);
    expect(statuses.filter((status) => status !== 400 && status !== 429)).toEqual([]);
    for (const answer of answers) expect(answer.body).toMatch(/The username or password is incorrect\.|Too many attempts\./);
    const bucket = await ctx.dynamo.read('LoginAttemptsTable', { key: `account#${loginKey(user.username)}#${browser.sourceIp}` });
    expect(bucket).toMatchObject({ count: 5 });
  });
});

describe('consent for a third-party client', () => {
  const aliceBrowser = signedInBrowser();

  it('lists the scopes after the sign-in, and a denial sends access_denied', async () => {
    const state = random();
    const { browser, answer } = await signedIn({ ...THIRD, state });

    const denied = await browser.submit(answer, { action: 'deny' });

    expect(answer.statusCode).toBe(200);
    expect(answer.headers.Location).toBeUndefined();
    expect(answer.body).toContain('Third App would like to:');
    expect(answer.body).toContain('<li>Sign you in and know who you are</li><li>See your username</li>');
    expect(answer.headers['Content-Security-Policy']).toContain("form-action 'self' https://third.example;");
    expectErrorRedirect(denied, 'access_denied', state, THIRD.redirect_uri);
  });

  it('sends a code once allowed, and remembers it in the browser session for the same scopes only', async () => {
    const { browser, answer, verifier } = await signedIn({ ...THIRD });

    const allowed = await browser.submit(answer, { action: 'consent' });
    const exchanged = await token(tokenEvent(codeGrant(codeOf(allowed), verifier, THIRD)));
    const again = await authorize(browser, { ...THIRD });
    const againNone = await authorize(browser, { ...THIRD, prompt: 'none' });
    const wider = await authorize(browser, { ...THIRD, scope: 'openid profile email' });
    const asked = await authorize(browser, { ...THIRD, prompt: 'consent' });
    const otherBrowser = await authorize(aliceBrowser(), { ...THIRD, prompt: 'none', state: undefined });

    expect(exchanged.statusCode).toBe(200);
    expect(claimsOf(bodyOf(exchanged).access_token as string).client_id).toBe(THIRD.client_id);
    expect(codeOf(again)).toMatch(/^[\w-]{43}$/);
    expect(codeOf(againNone)).toMatch(/^[\w-]{43}$/);
    expect(wider.statusCode).toBe(200);
    expect(wider.body).toContain('See your email address');
    expect(asked.statusCode).toBe(200);
    expect(formsOf(asked.body)[0]!.action).toBe('authorize');
    expectErrorRedirect(otherBrowser, 'consent_required', undefined, THIRD.redirect_uri);
  });

  it('takes an allow only as the answer to the screen shown for that very request, once: not for prompt=login, max_age or a first-party client', async () => {
    const { browser } = await signedIn({ ...THIRD });
    // The page prompt=login shows (a sign-in page) carries the request and a CSRF token; posted as an "allow":
    const forLogin = await authorize(browser, { ...THIRD, prompt: 'login' });
    const bypassLogin = await browser.submit(forLogin, { action: 'consent' });
    ctx.app.clock.advance(5);
    const forMaxAge = await authorize(browser, { ...APP, max_age: '1' });
    const bypassMaxAge = await browser.submit(forMaxAge, { action: 'consent' });
    const firstParty = await authorize(browser, { ...APP, prompt: 'login' });
    const bypassFirstParty = await browser.submit(firstParty, { action: 'consent' });

    for (const [page, answer] of [[forLogin, bypassLogin], [forMaxAge, bypassMaxAge], [firstParty, bypassFirstParty]] as const) {
      expect(isLoginPage(page)).toBe(true);
      expect(isLoginPage(answer)).toBe(true);
      expect(answer.headers.Location).toBeUndefined();
    }
  });

  it('takes one allow per screen: the same answer posted twice gets a code once', async () => {
    const { browser } = await signedIn({ ...THIRD, scope: 'openid' });
    const screen = await authorize(browser, { ...THIRD, prompt: 'consent' });

    const [first, second] = [await browser.submit(screen, { action: 'consent' }), await browser.submit(screen, { action: 'consent' })];

    expect(codeOf(first)).toMatch(/^[\w-]{43}$/);
    expect(isLoginPage(second)).toBe(true);
  });

  it('sends a browser that is not signed in to the sign-in page when it posts an allow', async () => {
    const browser = new Browser(pages);
    const page = await authorize(browser, { ...THIRD });

    const response = await browser.submit(page, { action: 'consent' });

    expect(isLoginPage(response)).toBe(true);
    expect(response.headers.Location).toBeUndefined();
  });
});

describe('RP-initiated logout (GET and POST /oauth/end-session)', () => {
  /** A browser signed in to APP and SECOND, with the tokens each exchange gave. */
  async function twoApps() {
    const { browser, answer, verifier } = await signedIn();
    const app = bodyOf(await token(tokenEvent(codeGrant(codeOf(answer), verifier)))) as Record<string, string>;
    const second = authorizationRequest({ ...SECOND });
    const secondCode = codeOf(await browser.get('/oauth/authorize', second.query));
    const other = bodyOf(await token(tokenEvent(codeGrant(secondCode, second.verifier, SECOND)))) as Record<string, string>;
    return { browser, app, other, cookie: browser.cookies.get(SSO)! };
  }

  const endSession = (browser: Browser, params: Params) =>
    browser.get('/oauth/end-session', new URLSearchParams(Object.entries(params).filter((entry): entry is [string, string] => entry[1] !== undefined)).toString());

  it('with an ID token of this browser session and a registered post_logout_redirect_uri: 303 there with state, the cookie cleared, every refresh token of the sign-in refused', async () => {
    const { browser, app, other, cookie } = await twoApps();
    const state = random();

    const response = await endSession(browser, { id_token_hint: app.id_token, post_logout_redirect_uri: 'http://127.0.0.1/signed-out', state });
    const appRefresh = await token(tokenEvent(refreshGrant(app.refresh_token!)));
    const otherRefresh = await token(tokenEvent(refreshGrant(other.refresh_token!, SECOND.client_id)));
    browser.cookies.set(SSO, cookie);
    const withOldCookie = await authorize(browser, { prompt: 'none', state: undefined });

    expect(locationOf(response).href).toBe(`http://127.0.0.1/signed-out?state=${state}`);
    expect(response.multiValueHeaders?.['Set-Cookie']).toEqual([expect.stringMatching(new RegExp(`^${SSO}=; Max-Age=0; Path=/oauth; HttpOnly; Secure; SameSite=Lax$`))]);
    expect(errorOf(appRefresh)).toBe('invalid_grant');
    expect(errorOf(otherRefresh)).toBe('invalid_grant');
    expectErrorRedirect(withOldCookie, 'login_required', undefined);
  });

  it.each<[string, (tokens: Record<string, string>) => Params]>([
    ['an unregistered post_logout_redirect_uri', (app) => ({ id_token_hint: app.id_token, post_logout_redirect_uri: 'https://evil.example/' })],
    ['the client\'s redirect URI as post_logout_redirect_uri', (app) => ({ id_token_hint: app.id_token, post_logout_redirect_uri: APP.redirect_uri })],
    ['another client\'s registered URI', (app) => ({ id_token_hint: app.id_token, client_id: SECOND.client_id, post_logout_redirect_uri: 'http://127.0.0.1/signed-out' })],
    ['an access token as id_token_hint', (app) => ({ id_token_hint: app.access_token, post_logout_redirect_uri: 'http://127.0.0.1/signed-out' })],
  ])('answers %s with a 400 page, no redirect, and the sign-in lives on', async (_case, params) => {
    const { browser, app } = await twoApps();

    const response = await endSession(browser, params(app));
    const stillSignedIn = await authorize(browser, { prompt: 'none' });
    const refreshed = await token(tokenEvent(refreshGrant(app.refresh_token!)));

    expectPage(response);
    expect(codeOf(stillSignedIn)).toMatch(/^[\w-]{43}$/);
    expect(refreshed.statusCode).toBe(200);
  });

  it('without an id_token_hint asks first, and the confirming form (with its CSRF token) ends the sign-in', async () => {
    const { browser, app } = await twoApps();

    const confirm = await endSession(browser, { client_id: APP.client_id, post_logout_redirect_uri: 'http://127.0.0.1/signed-out' });
    const beforeConfirming = await authorize(browser, { prompt: 'none' });
    const confirmed = await browser.submit(confirm, { action: 'logout' });
    const refreshed = await token(tokenEvent(refreshGrant(app.refresh_token!)));

    expect(confirm.statusCode).toBe(200);
    expect(formsOf(confirm.body)).toEqual([{ action: 'end-session', fields: expect.objectContaining({ csrf: browser.cookies.get(CSRF) }) }]);
    expect(codeOf(beforeConfirming)).toMatch(/^[\w-]{43}$/);
    expect(locationOf(confirmed).href).toBe('http://127.0.0.1/signed-out');
    expect(browser.cookies.has(SSO)).toBe(false);
    expect(errorOf(refreshed)).toBe('invalid_grant');
  });

  it('refuses at the token endpoint a code issued before the browser signed out', async () => {
    const { browser } = await twoApps();
    const pending = authorizationRequest();
    const code = codeOf(await browser.get('/oauth/authorize', pending.query));
    const confirm = await endSession(browser, {});
    await browser.submit(confirm, { action: 'logout' });

    const exchanged = await token(tokenEvent(codeGrant(code, pending.verifier)));

    expect(errorOf(exchanged)).toBe('invalid_grant');
    expect(browser.cookies.has(SSO)).toBe(false);
  });

  it('ends, with one sign-out, the sessions of a sign-in that a new sign-in in the same browser replaced', async () => {
    const { browser, app, other } = await twoApps();
    const page = await authorize(browser, { prompt: 'login' });
    const answer = await browser.submit(page, { username: alice.username, password: PASSWORD, action: 'login' });
    const latest = authorizationRequest();
    const latestCode = codeOf(await browser.get('/oauth/authorize', latest.query));
    const current = bodyOf(await token(tokenEvent(codeGrant(latestCode, latest.verifier)))) as Record<string, string>;

    const response = await endSession(browser, { id_token_hint: current.id_token, post_logout_redirect_uri: 'http://127.0.0.1/signed-out' });

    expect(codeOf(answer)).toMatch(/^[\w-]{43}$/);
    expect(locationOf(response).pathname).toBe('/signed-out');
    for (const [refreshToken, clientId] of [[app.refresh_token!, APP.client_id], [other.refresh_token!, SECOND.client_id], [current.refresh_token!, APP.client_id]] as const) {
      expect(errorOf(await token(tokenEvent(refreshGrant(refreshToken, clientId))))).toBe('invalid_grant');
    }
  });

  it('asks first for an ID token of an earlier sign-in of the browser', async () => {
    const { browser, app } = await twoApps();
    const page = await authorize(browser, { prompt: 'login' });
    await browser.submit(page, { username: alice.username, password: PASSWORD, action: 'login' });

    const response = await endSession(browser, { id_token_hint: app.id_token });

    expect(response.statusCode).toBe(200);
    expect(formsOf(response.body)[0]!.action).toBe('end-session');
    expect(browser.cookies.has(SSO)).toBe(true);
  });

  it('refuses the confirming form without its CSRF token, and the sign-in lives on', async () => {
    const { browser, app } = await twoApps();
    const confirm = await endSession(browser, {});
    browser.cookies.delete(CSRF);

    const refused = await browser.submit(confirm, { action: 'logout' });
    const stillSignedIn = await authorize(browser, { prompt: 'none' });
    const refreshed = await token(tokenEvent(refreshGrant(app.refresh_token!)));

    expectPage(refused);
    expect(refused.multiValueHeaders?.['Set-Cookie'] ?? []).not.toContainEqual(expect.stringMatching(new RegExp(`^${SSO}=`)));
    expect(codeOf(stillSignedIn)).toMatch(/^[\w-]{43}$/);
    expect(refreshed.statusCode).toBe(200);
  });
});

describe('hostile input at the hosted pages', () => {
  /** Either a 4xx page with nowhere to go, or the client's error at its registered redirect URI: never a code, never a 5xx. */
  function expectRefused(response: HttpResponse) {
    if (response.statusCode === 303) {
      const location = locationOf(response);
      expect(`${location.origin}${location.pathname}`).toBe(APP.redirect_uri);
      expect(location.searchParams.get('error')).toEqual(expect.any(String));
      expect(location.searchParams.has('code')).toBe(false);
      return;
    }
    expect(response.statusCode).toBeGreaterThanOrEqual(400);
    expect(response.statusCode).toBeLessThan(500);
    expectPage(response, response.statusCode);
  }

  const validQuery = () => authorizationRequest().query;

  it.each<[string, () => string]>([
    ['a 100 KB state', () => authorizationRequest({ state: 's'.repeat(100 * 1024) }).query],
    ['a 10 KB client_id', () => validQuery().replace('client_id=oidc-app', `client_id=${'c'.repeat(10 * 1024)}`)],
    ['client_id twice', () => `${validQuery()}&client_id=oidc-second`],
    ['redirect_uri twice', () => `${validQuery()}&redirect_uri=${encodeURIComponent('https://evil.example/cb')}`],
    ['a NUL in client_id', () => validQuery().replace('client_id=oidc-app', 'client_id=oidc-app%00')],
    ['a lone surrogate in client_id', () => validQuery().replace('client_id=oidc-app', 'client_id=oidc-app%ED%A0%80')],
    ['broken percent-encoding everywhere', () => `%E0%A4%A&${validQuery()}&%=%%&scope%ZZ=1`.replace('client_id=oidc-app', 'client_id=%FF%FE')],
  ])('answers %s (GET /oauth/authorize) without a 5xx or a code', async (_case, query) => {
    const response = await pages(getEvent('/oauth/authorize', query()));

    expectRefused(response);
  });

  it('answers a query API Gateway passes raw (HTTP API rawQueryString) with percent garbage without a 5xx', async () => {
    const event = getEvent('/oauth/authorize', '');
    event.rawQueryString = `${validQuery()}&%E0%A4%A=%C0%AF&state=%FF%FE%FD`;

    const response = await pages(event);

    expectRefused(response);
  });

  it('sends a repeated scope back to the client as invalid_request, with its state (RFC 6749 §4.1.2.1)', async () => {
    const { query, params } = authorizationRequest();

    const response = await pages(getEvent('/oauth/authorize', `${query}&scope=email`));

    expectErrorRedirect(response, 'invalid_request', params.state);
  });

  it('escapes a state full of markup in the hidden field, and carries it unchanged', async () => {
    const state = '"><script>alert(1)</script><input name="csrf" value="x';
    const browser = new Browser(pages);

    const page = await authorize(browser, { state });

    expect(page.statusCode).toBe(200);
    expect(page.body).not.toContain('<script>');
    expect(formsOf(page.body)[0]!.fields).toMatchObject({ state, csrf: browser.cookies.get(CSRF) });
  });

  it.each<[string, (csrf: string, fields: string) => { body: string | null; type?: string; base64?: boolean }]>([
    ['a JSON body sent as a form', (csrf) => ({ body: JSON.stringify({ csrf, username: 'alice', password: PASSWORD }) })],
    ['a JSON body sent as JSON without the CSRF token', () => ({ body: JSON.stringify({ username: 'alice', password: PASSWORD }), type: 'application/json' })],
    ['a body over 16 KB', (_csrf, fields) => ({ body: `${fields}&filler=${'f'.repeat(17 * 1024)}` })],
    ['percent garbage in the fields', (_csrf, fields) => ({ body: `${fields}&%E0%A4%A=%C0%AF&username=%FF%FE&password=%` })],
    ['a repeated client_id', (_csrf, fields) => ({ body: `${fields}&client_id=oidc-second` })],
    ['text/plain', (_csrf, fields) => ({ body: fields, type: 'text/plain' })],
    ['no body', () => ({ body: null })],
    ['invalid base64', () => ({ body: '%%%not base64%%%', base64: true })],
    ['a NUL and control characters', (_csrf, fields) => ({ body: `${fields.replace(/username=[^&]*/, '')}&username=%00%01%02&password=%00` })],
  ])('answers %s (POST /oauth/authorize) without a 5xx or a sign-in', async (_case, make) => {
    const browser = new Browser(pages);
    const page = await authorize(browser);
    const csrf = browser.cookies.get(CSRF)!;
    const fields = new URLSearchParams({ ...formsOf(page.body)[0]!.fields, username: alice.username, password: WRONG_PASSWORD, action: 'login' }).toString();
    const { body, type = FORM, base64 } = make(csrf, fields);
    const event = postEvent('/oauth/authorize', body ?? '', { 'Content-Type': type, Cookie: browser.cookieHeader()! }, browser.sourceIp);
    if (body === null) event.body = null;
    if (base64) event.isBase64Encoded = true;

    const response = await pages(event);

    expectRefused(response);
  });

  it.each(['GET', 'POST'])('answers a Cookie header over 8 KB (%s) with a 400 page', async (method) => {
    const browser = new Browser(pages);
    const page = await authorize(browser);
    browser.cookies.set('filler', 'f'.repeat(9 * 1024));

    const response = method === 'GET' ? await authorize(browser) : await browser.submit(page, { username: alice.username, password: PASSWORD, action: 'login' });

    expectPage(response, 400);
  });

  it('answers an unknown hosted path and an unknown method with a 4xx page', async () => {
    const unknownPath = await pages(getEvent('/oauth/nowhere', validQuery()));
    const deleted = await pages({ ...getEvent('/oauth/authorize', validQuery()), httpMethod: 'DELETE' });

    expectPage(unknownPath);
    expectPage(deleted);
  });
});

describe('consent screens open at once', () => {
  it('takes the answer of each of several screens open at once (tabs); past twenty, the older ones are dropped', async () => {
    // The sign-in shows the first screen; then twenty-one more: the twentieth in all starts the list over.
    const { browser } = await signedIn({ ...THIRD, scope: 'openid' });
    const screens = [];
    for (let i = 0; i < 21; i += 1) screens.push(await authorize(browser, { ...THIRD, prompt: 'consent', state: `tab-${i}` }));

    const oldest = await browser.submit(screens[0]!, { action: 'consent' });
    const newest = await browser.submit(screens[20]!, { action: 'consent' });
    const another = await browser.submit(screens[19]!, { action: 'consent' });

    expect(isLoginPage(oldest)).toBe(true); // dropped when the list started over
    expect(redirectParams(newest).state).toBe('tab-20');
    expect(codeOf(another)).toMatch(/^[\w-]{43}$/);
  });
});

describe('requests from other sites', () => {
  it('takes an authorization request by POST as by GET (OpenID Connect Core §3.1.2.1)', async () => {
    const { browser } = await signedIn();
    const request = authorizationRequest({ ...APP });

    const posted = await browser.post('/oauth/authorize', Object.fromEntries(new URLSearchParams(request.query)), { Origin: 'https://app.example', 'Sec-Fetch-Site': 'cross-site' });

    expect(codeOf(posted)).toMatch(/^[\w-]{43}$/);
  });

  it('refuses a sign-in or consent form posted from another site, even with the browser\'s CSRF token', async () => {
    const browser = new Browser(pages);
    const page = await authorize(browser, { ...APP });
    const form = formsOf(page.body)[0]!;
    const fields = { ...form.fields, username: alice.username, password: PASSWORD, action: 'login' };

    const fromOrigin = await browser.post('/oauth/authorize', fields, { Origin: 'https://evil.example' });
    const byFetchMetadata = await browser.post('/oauth/authorize', fields, { 'Sec-Fetch-Site': 'cross-site' });
    const fromHere = await browser.post('/oauth/authorize', fields, { Origin: ISSUER, 'Sec-Fetch-Site': 'same-origin' });

    expectPage(fromOrigin);
    expectPage(byFetchMetadata);
    expect(codeOf(fromHere)).toMatch(/^[\w-]{43}$/);
  });

  it('takes an RP\'s logout request by POST (RP-Initiated Logout §2): with an ID token of this sign-in, it ends it', async () => {
    const { browser, answer, verifier } = await signedIn();
    const issued = bodyOf(await token(tokenEvent(codeGrant(codeOf(answer), verifier)))) as Record<string, string>;

    const response = await browser.post('/oauth/end-session', { id_token_hint: issued.id_token!, post_logout_redirect_uri: 'http://127.0.0.1/signed-out' }, { Origin: 'https://app.example', 'Sec-Fetch-Site': 'cross-site' });
    const after = await authorize(browser, { prompt: 'none', state: undefined });

    expect(locationOf(response).href).toBe('http://127.0.0.1/signed-out');
    expectErrorRedirect(after, 'login_required', undefined);
  });

  it('gives the pages no CORS headers, even for an origin of CORS_ORIGINS', async () => {
    const app = await createTestApp(ctx.dynamo, { CORS_ORIGINS: 'https://app.example' }, ctx.app.clock);
    const withCors = makeAuthorizeHandler(app.deps);

    const page = await withCors(getEvent('/oauth/authorize', authorizationRequest({ ...APP }).query, { Origin: 'https://app.example' }));

    expect(page.statusCode).toBe(200);
    expect(Object.keys(page.headers).filter((name) => name.toLowerCase().startsWith('access-control-'))).toEqual([]);
  });
});

describe('a client whose id is this service\'s audience', () => {
  it('is no client: its ID tokens would differ from access tokens by typ alone', async () => {
    const audience = ISSUER; // AUDIENCE defaults to the issuer
    const app = await createTestApp(ctx.dynamo, { OAUTH_CLIENTS: JSON.stringify([{ client_id: audience, redirect_uris: ['https://aud.example/cb'], first_party: true }]) }, ctx.app.clock);
    const hosted = makeAuthorizeHandler(app.deps);

    const page = await hosted(getEvent('/oauth/authorize', authorizationRequest({ client_id: audience, redirect_uri: 'https://aud.example/cb' }).query));

    expectPage(page);
    expect(page.body).toContain('Unknown app');
  });
});
