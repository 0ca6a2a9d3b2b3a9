/**
 * The OpenID provider over real HTTP, as relying parties built on standard libraries meet it: oauth4webapi and
 * openid-client discover it and send a browser to the authorization endpoint, and the browser signs in on the
 * hosted page, its form read and posted as a browser posts it (CSRF cookie, hidden fields, the button pressed),
 * with no shortcut around the page. Then single sign-on across apps, re-authentication (prompt=login, max_age),
 * a confidential client, a third-party client's consent, native redirect URIs (where single sign-on asks the
 * user first, RFC 8252 §8.6) and RP-initiated logout.
 */
import { parseSetCookie, type SetCookie } from 'cookie';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import * as oauth from 'oauth4webapi';
import * as openid from 'openid-client';
import { CONFIDENTIAL_SECRET, formsOf } from '../support/oidc';
import { sharedServer, type SharedServer } from '../support/shared-servers';
import { PASSWORD, register } from './support';

jest.setTimeout(60_000);

/** Every oauth4webapi call needs this: the local server speaks http://. */
const INSECURE = { [oauth.allowInsecureRequests]: true } as const;
const SCOPE = 'openid profile email';
/** The apps' loopback redirect URIs: a code goes there at once only after a password typed in that very request (RFC 8252 §8.6). */
const CALLBACK = 'http://127.0.0.1/callback';
const SECOND_CALLBACK = 'http://127.0.0.1/second';
/** The same apps' claimed https redirect URIs: single sign-on sends codes there at once. */
const APP_HTTPS = 'https://app.example/callback';
const SECOND_HTTPS = 'https://second.example/cb';
const SIGNED_OUT = 'http://127.0.0.1/signed-out';
const THIRD_CALLBACK = 'https://third.example/cb';
const CONFIDENTIAL_CALLBACK = 'https://confidential.example/cb';
const NATIVE_CALLBACK = 'com.example.app:/oauth2redirect';
const COOKIE = { sso: 'jwt_auth_sso', csrf: 'jwt_auth_csrf' } as const;
/** The claims of an ID token of this provider, exactly (nonce when the request sent one). */
const ID_TOKEN_CLAIMS = ['amr', 'aud', 'auth_time', 'exp', 'iat', 'iss', 'nonce', 'sid', 'sub'];

let server: SharedServer;
let issuer: string;
let as: oauth.AuthorizationServer;
/** One user for every journey: each journey has its own browser, and logout ends that browser's sessions only. */
let username: string;
/** A browser signed in once for the tests that only read its sign-in (they never sign in or out with it). */
let signedIn: Browser;

interface Visit {
  url: URL;
  status: number;
  headers: Headers;
  location: string | undefined;
  html: string;
  /** The Set-Cookie lines of this answer, parsed. */
  cookies: SetCookie[];
}

/**
 * A browser as far as the provider's pages need one: a cookie jar for the provider's origin that honours Path,
 * Max-Age=0 and SameSite (a navigation that starts on a client's site carries Lax cookies only, a form the
 * provider's own page posts carries them all). Redirects are read, never followed: they lead to the clients.
 */
class Browser {
  private readonly jar = new Map<string, SetCookie>();

  /** A browser holding a cookie someone kept (a copy taken before a logout, say). */
  static holding(cookie: SetCookie): Browser {
    const browser = new Browser();
    browser.jar.set(cookie.name, cookie);
    return browser;
  }

  cookie(name: string): SetCookie | undefined {
    return this.jar.get(name);
  }

  /** A top-level GET; from a client's site unless said otherwise. */
  open(url: URL | string, from: 'client' | 'provider' = 'client'): Promise<Visit> {
    return this.send(new URL(url), { method: 'GET' }, from === 'client' ? 'lax' : 'all');
  }

  /** Submits the page's one form with the submit button `action=<button>` and what the user typed. */
  submit(page: Visit, button: string, typed: Record<string, string> = {}): Promise<Visit> {
    const forms = formsOf(page.html);
    expect(forms).toHaveLength(1);
    const { action, fields } = forms[0]!;
    const body = new URLSearchParams({ ...fields, ...typed, action: button });
    const headers = { 'content-type': 'application/x-www-form-urlencoded', origin: page.url.origin };
    return this.send(new URL(action, page.url), { method: 'POST', headers, body }, 'all');
  }

  private async send(url: URL, init: RequestInit, sameSite: 'lax' | 'all'): Promise<Visit> {
    const onPath = (path = '/') => url.pathname === path || url.pathname.startsWith(path.endsWith('/') ? path : `${path}/`);
    const sent = [...this.jar.values()]
      .filter((cookie) => url.origin === issuer && onPath(cookie.path) && (sameSite === 'all' || cookie.sameSite === 'lax'))
      .map(({ name, value }) => `${name}=${value}`);
    const headers = { ...(init.headers as Record<string, string> | undefined), ...(sent.length > 0 ? { cookie: sent.join('; ') } : {}) };
    const response = await fetch(url, { ...init, headers, redirect: 'manual' });
    const cookies = response.headers.getSetCookie().map((line) => parseSetCookie(line));
    for (const cookie of cookies) {
      if (cookie.maxAge === 0 || !cookie.value) this.jar.delete(cookie.name);
      else this.jar.set(cookie.name, cookie);
    }
    return { url, status: response.status, headers: response.headers, location: response.headers.get('location') ?? undefined, html: await response.text(), cookies };
  }
}

/** What a relying party keeps between sending the browser away and its return. */
interface AuthorizationRequest {
  url: URL;
  client: oauth.Client;
  redirectUri: string;
  state: string;
  nonce: string;
  verifier: string;
}

/** An authorization request of `clientId` built with oauth4webapi's PKCE, state and nonce. */
async function authorizationRequest(clientId: string, redirectUri: string, extra: Record<string, string> = {}): Promise<AuthorizationRequest> {
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const nonce = oauth.generateRandomNonce();
  const url = new URL(as.authorization_endpoint!);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: redirectUri,
    scope: SCOPE,
    state,
    nonce,
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    ...extra,
  }).toString();
  return { url, client: { client_id: clientId }, redirectUri, state, nonce, verifier };
}

/** Opens the request in `browser`, which must get the sign-in page, and signs in there as `username`. */
async function signIn(browser: Browser, url: URL, who = username): Promise<Visit> {
  const page = await browser.open(url);
  expect(page.status).toBe(200);
  expect(formsOf(page.html)[0]?.fields).toMatchObject({ username: '', password: '' });
  return browser.submit(page, 'login', { username: who, password: PASSWORD });
}

/** The client's redirect URI the answer sends the browser to (a 303 there, nothing else), with its parameters. */
function arrival(answer: Visit, redirectUri: string): URL {
  expect({ status: answer.status, location: answer.location?.split('?')[0] }).toEqual({ status: 303, location: redirectUri });
  return new URL(answer.location!);
}

/** The parameters a redirect carries, as one object. */
const paramsOf = (url: URL) => Object.fromEntries(url.searchParams);

/**
 * The consent screen for exactly `request` (RFC 8252 §8.6: single sign-on asks before a code goes where any app
 * could listen): its one form posts the request back to the authorization endpoint with the CSRF token and
 * nothing else, no password field, and its buttons allow or deny.
 */
function expectConsentScreen(page: Visit, request: AuthorizationRequest): void {
  const forms = formsOf(page.html);
  // Opened from the client's site, the page came without the Strict CSRF cookie, and set a new one.
  const csrf = page.cookies.find((cookie) => cookie.name === COOKIE.csrf);
  expect({ status: page.status, location: page.location }).toEqual({ status: 200, location: undefined });
  expect(forms).toHaveLength(1);
  expect(new URL(forms[0]!.action, page.url).href).toBe(`${issuer}/oauth/authorize`);
  expect(forms[0]!.fields).toEqual({ csrf: csrf!.value, ...paramsOf(request.url) });
  expect(page.html).toMatch(/<button type="submit" name="action" value="consent"[^>]*>Allow<\/button>/);
  expect(page.html).toMatch(/<button type="submit" name="action" value="deny"[^>]*>Deny<\/button>/);
}

/** The relying party's side of the return: oauth4webapi checks state and iss, redeems the code, checks the ID token's claims. */
async function redeem(request: AuthorizationRequest, answer: Visit, auth: oauth.ClientAuth = oauth.None(), maxAge?: number) {
  const params = oauth.validateAuthResponse(as, request.client, arrival(answer, request.redirectUri), request.state);
  const response = await oauth.authorizationCodeGrantRequest(as, request.client, auth, params, request.redirectUri, request.verifier, INSECURE);
  const tokens = await oauth.processAuthorizationCodeResponse(as, request.client, response, {
    expectedNonce: request.nonce,
    requireIdToken: true,
    ...(maxAge === undefined ? {} : { maxAge }),
  });
  return { tokens, claims: oauth.getValidatedIdTokenClaims(tokens)! };
}

/** A refresh through oauth4webapi, as its raw answer: status and OAuth error code. */
async function refreshOutcome(client: oauth.Client, refreshToken: string): Promise<{ status: number; error?: string }> {
  const response = await oauth.refreshTokenGrantRequest(as, client, oauth.None(), refreshToken, INSECURE);
  const body = (await response.json()) as { error?: string };
  return { status: response.status, ...(body.error === undefined ? {} : { error: body.error }) };
}

/** The end-session URL a relying party sends the browser to. */
function endSessionUrl(params: Record<string, string>): URL {
  const url = new URL(as.end_session_endpoint!);
  url.search = new URLSearchParams(params).toString();
  return url;
}

/** The ID token verified as a relying party should: signature from jwks_uri, issuer, audience, typ and algorithm pinned. */
function verifyIdToken(idToken: string, audience: string) {
  return jwtVerify(idToken, createRemoteJWKSet(new URL(as.jwks_uri!)), { issuer, audience, typ: 'JWT', algorithms: ['ES256'] });
}

const seconds = () => Math.floor(Date.now() / 1000);
const sorted = (scope: string | undefined) => (scope ?? '').split(' ').sort();

beforeAll(async () => {
  server = await sharedServer('standard');
  issuer = server.issuer;
  as = await oauth.processDiscoveryResponse(new URL(issuer), await oauth.discoveryRequest(new URL(issuer), INSECURE));
  ({ username } = await register(server));
  signedIn = new Browser();
  const request = await authorizationRequest('oidc-app', CALLBACK);
  expect((await signIn(signedIn, request.url)).status).toBe(303);
}, 130_000);

test('discovery: the metadata of an OpenID provider for the code flow with PKCE, through oauth4webapi\'s issuer check', async () => {
  const response = await oauth.discoveryRequest(new URL(issuer), INSECURE);

  const metadata = await oauth.processDiscoveryResponse(new URL(issuer), response);

  expect(new URL(response.url).pathname).toBe('/.well-known/openid-configuration');
  expect(metadata).toMatchObject({
    issuer,
    authorization_endpoint: `${issuer}/oauth/authorize`,
    token_endpoint: `${issuer}/oauth/token`,
    userinfo_endpoint: `${issuer}/oauth/userinfo`,
    end_session_endpoint: `${issuer}/oauth/end-session`,
    jwks_uri: `${issuer}/.well-known/jwks.json`,
    response_types_supported: ['code'],
    code_challenge_methods_supported: ['S256'],
    authorization_response_iss_parameter_supported: true,
    id_token_signing_alg_values_supported: ['ES256'],
    subject_types_supported: ['public'],
  });
  expect(metadata.scopes_supported).toEqual(expect.arrayContaining(['openid', 'profile', 'email']));
  expect(metadata.grant_types_supported).toEqual(expect.arrayContaining(['authorization_code', 'refresh_token']));
  expect(metadata.token_endpoint_auth_methods_supported).toEqual(expect.arrayContaining(['none', 'client_secret_basic', 'client_secret_post']));
});

test('oauth4webapi: the page, the code, a verified ID token, userinfo, a refresh, logout; then the refresh token and prompt=none fail', async () => {
  const browser = new Browser();
  const request = await authorizationRequest('oidc-app', CALLBACK);

  // The sign-in page, and the CSRF cookie its form must match.
  const page = await browser.open(request.url);
  const csrf = page.cookies.find((cookie) => cookie.name === COOKIE.csrf);
  const [form] = formsOf(page.html);
  expect(page.status).toBe(200);
  expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
  expect(page.headers.get('cache-control')).toBe('no-store');
  expect(csrf).toMatchObject({ name: COOKIE.csrf, value: expect.stringMatching(/^[\w-]{43}$/), path: '/oauth', maxAge: 3600, httpOnly: true, secure: true, sameSite: 'strict' });
  expect(new URL(form!.action, page.url).href).toBe(`${issuer}/oauth/authorize`);
  expect(form!.fields).toEqual({
    csrf: csrf!.value,
    ...paramsOf(request.url),
    username: '',
    password: '',
  });

  // Signing in: a 303 to the client with code, state and iss, and the single sign-on cookie. At once even to a
  // loopback redirect URI: the password was typed in this very request (RFC 8252 §8.6 asks only on single sign-on).
  const startedAt = seconds();
  const answer = await browser.submit(page, 'login', { username, password: PASSWORD });
  const sso = answer.cookies.find((cookie) => cookie.name === COOKIE.sso);
  expect(answer.status).toBe(303);
  expect(paramsOf(arrival(answer, CALLBACK))).toEqual({ code: expect.stringMatching(/\S/), state: request.state, iss: issuer });
  expect(sso).toMatchObject({ name: COOKIE.sso, value: expect.stringMatching(/\S/), path: '/oauth', maxAge: 43_200, httpOnly: true, secure: true, sameSite: 'lax' });

  // The code for tokens; the ID token's claims checked by oauth4webapi, its signature by jose against jwks_uri.
  const { tokens, claims } = await redeem(request, answer);
  const idToken = await verifyIdToken(tokens.id_token!, 'oidc-app');
  const accessToken = await jwtVerify(tokens.access_token, createRemoteJWKSet(new URL(as.jwks_uri!)), { issuer, audience: server.env.AUDIENCE, typ: 'at+jwt', algorithms: ['ES256'] });
  expect(tokens).toMatchObject({ token_type: 'bearer', expires_in: 900, refresh_token: expect.stringMatching(/^[\w-]{43,}$/) });
  expect(sorted(tokens.scope)).toEqual(['email', 'openid', 'profile']);
  expect(idToken.protectedHeader).toEqual({ alg: 'ES256', kid: server.signingKey.kid, typ: 'JWT' });
  expect(Object.keys(idToken.payload).sort()).toEqual(ID_TOKEN_CLAIMS);
  expect(idToken.payload).toMatchObject({ iss: issuer, aud: 'oidc-app', sub: claims.sub, nonce: request.nonce, amr: ['pwd'], sid: expect.stringMatching(/\S/) });
  expect(idToken.payload.exp! - idToken.payload.iat!).toBe(900);
  expect(claims.auth_time).toBeGreaterThanOrEqual(startedAt);
  expect(claims.auth_time).toBeLessThanOrEqual(seconds());
  expect(decodeProtectedHeader(tokens.access_token).typ).toBe('at+jwt');
  expect(accessToken.payload).toMatchObject({ sub: claims.sub, client_id: 'oidc-app' });
  expect(sorted(accessToken.payload.scope as string)).toEqual(['email', 'openid', 'profile']);

  // Userinfo, GET through oauth4webapi (which checks sub) and POST as Core §5.3.1 allows.
  const userinfo = await oauth.processUserInfoResponse(as, request.client, claims.sub, await oauth.userInfoRequest(as, request.client, tokens.access_token, INSECURE));
  const posted = await fetch(as.userinfo_endpoint!, { method: 'POST', headers: { authorization: `Bearer ${tokens.access_token}` } });
  expect(userinfo).toEqual({ sub: claims.sub, preferred_username: username });
  expect({ status: posted.status, body: await posted.json() }).toEqual({ status: 200, body: userinfo });

  // A refresh rotates the refresh token.
  const refreshed = await oauth.processRefreshTokenResponse(as, request.client, await oauth.refreshTokenGrantRequest(as, request.client, oauth.None(), tokens.refresh_token!, INSECURE));
  expect(refreshed.refresh_token).toEqual(expect.stringMatching(/^[\w-]{43,}$/));
  expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
  expect(sorted(refreshed.scope)).toEqual(['email', 'openid', 'profile']);

  // While signed in, prompt=none gets a code at once (at the app's https redirect URI, which single sign-on
  // answers silently): the control for what follows the logout.
  const silent = await authorizationRequest('oidc-app', APP_HTTPS, { prompt: 'none' });
  expect(paramsOf(arrival(await browser.open(silent.url), APP_HTTPS))).toEqual({ code: expect.any(String), state: silent.state, iss: issuer });

  // RP-initiated logout with this sign-in's ID token: at once, to the registered URI with the state, the cookie cleared.
  const ended = await browser.open(endSessionUrl({ id_token_hint: tokens.id_token!, post_logout_redirect_uri: SIGNED_OUT, state: 'after-logout' }));
  expect({ status: ended.status, location: ended.location }).toEqual({ status: 303, location: `${SIGNED_OUT}?state=after-logout` });
  expect(ended.cookies).toEqual([expect.objectContaining({ name: COOKIE.sso, value: '', path: '/oauth', maxAge: 0, httpOnly: true, secure: true, sameSite: 'lax' })]);
  expect(browser.cookie(COOKIE.sso)).toBeUndefined();

  // Afterwards the session's refresh token is refused, and the old cookie, replayed, signs nobody in.
  const refused = oauth.refreshTokenGrantRequest(as, request.client, oauth.None(), refreshed.refresh_token!, INSECURE).then((response) =>
    oauth.processRefreshTokenResponse(as, request.client, response),
  );
  await expect(refused).rejects.toBeInstanceOf(oauth.ResponseBodyError);
  await expect(refused).rejects.toMatchObject({ error: 'invalid_grant', status: 400 });
  const after = await authorizationRequest('oidc-app', APP_HTTPS, { prompt: 'none' });
  const replayed = arrival(await Browser.holding(sso!).open(after.url), APP_HTTPS);
  expect(paramsOf(replayed)).toEqual({ error: 'login_required', error_description: expect.any(String), state: after.state, iss: issuer });
  expect(() => oauth.validateAuthResponse(as, after.client, replayed, after.state)).toThrow(oauth.AuthorizationResponseError);
});

test('openid-client: the page, authorizationCodeGrant with ID token signature checks, fetchUserInfo, refreshTokenGrant, buildEndSessionUrl', async () => {
  const config = await openid.discovery(new URL(issuer), 'oidc-app', undefined, openid.None(), { execute: [openid.allowInsecureRequests] });
  // The ID token's signature too, against jwks_uri (by default openid-client trusts the token endpoint's TLS).
  openid.enableNonRepudiationChecks(config);
  const pkceCodeVerifier = openid.randomPKCECodeVerifier();
  const nonce = openid.randomNonce();
  const state = openid.randomState();
  const url = openid.buildAuthorizationUrl(config, {
    redirect_uri: CALLBACK,
    scope: SCOPE,
    code_challenge: await openid.calculatePKCECodeChallenge(pkceCodeVerifier),
    code_challenge_method: 'S256',
    nonce,
    state,
  });
  const browser = new Browser();

  const answer = await signIn(browser, url);
  const tokens = await openid.authorizationCodeGrant(config, arrival(answer, CALLBACK), { pkceCodeVerifier, expectedNonce: nonce, expectedState: state, idTokenExpected: true });
  const claims = tokens.claims()!;
  const userinfo = await openid.fetchUserInfo(config, tokens.access_token, claims.sub);
  const refreshed = await openid.refreshTokenGrant(config, tokens.refresh_token!);
  const ended = await browser.open(openid.buildEndSessionUrl(config, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: SIGNED_OUT, state }));

  expect(config.serverMetadata().issuer).toBe(issuer);
  expect(claims).toMatchObject({ iss: issuer, aud: 'oidc-app', nonce, amr: ['pwd'], sid: expect.stringMatching(/\S/), auth_time: expect.any(Number) });
  expect(userinfo).toEqual({ sub: claims.sub, preferred_username: username });
  expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
  expect({ status: ended.status, location: ended.location }).toEqual({ status: 303, location: `${SIGNED_OUT}?state=${state}` });
  const refused = openid.refreshTokenGrant(config, refreshed.refresh_token!);
  await expect(refused).rejects.toBeInstanceOf(openid.ResponseBodyError);
  await expect(refused).rejects.toMatchObject({ error: 'invalid_grant', status: 400 });
});

describe('single sign-on', () => {
  test('a second app at its https redirect URI gets a code at once (no page), with the same sid and auth_time; one logout ends both apps\' sessions', async () => {
    const browser = new Browser();
    const first = await authorizationRequest('oidc-app', CALLBACK);
    const app = await redeem(first, await signIn(browser, first.url));
    const second = await authorizationRequest('oidc-second', SECOND_HTTPS);

    const answer = await browser.open(second.url);
    const other = await redeem(second, answer);

    expect({ status: answer.status, body: answer.html, cookies: answer.cookies }).toEqual({ status: 303, body: '', cookies: [] });
    expect(paramsOf(arrival(answer, SECOND_HTTPS))).toEqual({ code: expect.any(String), state: second.state, iss: issuer });
    expect(other.claims).toMatchObject({ aud: 'oidc-second', sub: app.claims.sub, sid: app.claims.sid, auth_time: app.claims.auth_time, amr: ['pwd'], nonce: second.nonce });
    await expect(verifyIdToken(other.tokens.id_token!, 'oidc-second')).resolves.toBeDefined();
    expect(other.tokens.refresh_token).not.toBe(app.tokens.refresh_token);

    const ended = await browser.open(endSessionUrl({ id_token_hint: app.tokens.id_token!, post_logout_redirect_uri: SIGNED_OUT }));
    const outcomes = await Promise.all([refreshOutcome(first.client, app.tokens.refresh_token!), refreshOutcome(second.client, other.tokens.refresh_token!)]);

    expect({ status: ended.status, location: ended.location }).toEqual({ status: 303, location: SIGNED_OUT });
    expect(outcomes).toEqual([{ status: 400, error: 'invalid_grant' }, { status: 400, error: 'invalid_grant' }]);
  });

  test('prompt=login shows the page despite a live sign-in; signing in there starts a new browser session and ends the old one', async () => {
    const browser = new Browser();
    const first = await authorizationRequest('oidc-app', CALLBACK);
    const before = await redeem(first, await signIn(browser, first.url));
    const oldCookie = browser.cookie(COOKIE.sso)!;
    const again = await authorizationRequest('oidc-second', SECOND_CALLBACK, { prompt: 'login' });

    const page = await browser.open(again.url);
    const answer = await browser.submit(page, 'login', { username, password: PASSWORD });
    const after = await redeem(again, answer);
    const silent = await authorizationRequest('oidc-app', CALLBACK, { prompt: 'none' });
    const replayed = await Browser.holding(oldCookie).open(silent.url);

    expect(page.status).toBe(200);
    expect(formsOf(page.html)[0]?.fields).toMatchObject({ prompt: 'login', client_id: 'oidc-second', username: '', password: '' });
    expect(browser.cookie(COOKIE.sso)?.value).not.toBe(oldCookie.value);
    expect(after.claims.sid).not.toBe(before.claims.sid);
    expect(after.claims.auth_time).toBeGreaterThanOrEqual(before.claims.auth_time!);
    expect(paramsOf(arrival(replayed, CALLBACK))).toMatchObject({ error: 'login_required', state: silent.state });
  });

  test('max_age longer than the sign-in\'s age gives a code at once, its ID token carrying auth_time', async () => {
    const request = await authorizationRequest('oidc-second', SECOND_HTTPS, { max_age: '3600' });

    const answer = await signedIn.open(request.url);
    const { claims } = await redeem(request, answer, oauth.None(), 3600);

    expect(answer.status).toBe(303);
    expect(claims.auth_time).toBeLessThanOrEqual(seconds());
  });

  test('max_age=0 asks for the password again even just after a sign-in (OpenID Connect Core §3.1.2.1: as prompt=login)', async () => {
    const browser = new Browser();
    const first = await authorizationRequest('oidc-app', CALLBACK);
    const zero = await authorizationRequest('oidc-second', SECOND_CALLBACK, { max_age: '0' });
    expect((await signIn(browser, first.url)).status).toBe(303);

    const page = await browser.open(zero.url);

    expect({ status: page.status, location: page.location }).toEqual({ status: 200, location: undefined });
    const { claims } = await redeem(zero, await browser.submit(page, 'login', { username, password: PASSWORD }), oauth.None(), 0);
    expect(claims.auth_time).toBeLessThanOrEqual(seconds());
  });
});

describe('a confidential client (oidc-confidential)', () => {
  const confidential = (redirect: Visit, request: AuthorizationRequest, auth: oauth.ClientAuth) =>
    oauth.authorizationCodeGrantRequest(as, request.client, auth, oauth.validateAuthResponse(as, request.client, arrival(redirect, CONFIDENTIAL_CALLBACK), request.state), CONFIDENTIAL_CALLBACK, request.verifier, INSECURE);

  test('redeems its code with its secret (HTTP Basic or client_secret_post)', async () => {
    const basic = await authorizationRequest('oidc-confidential', CONFIDENTIAL_CALLBACK);
    const post = await authorizationRequest('oidc-confidential', CONFIDENTIAL_CALLBACK);

    const byBasic = await redeem(basic, await signedIn.open(basic.url), oauth.ClientSecretBasic(CONFIDENTIAL_SECRET));
    const byPost = await redeem(post, await signedIn.open(post.url), oauth.ClientSecretPost(CONFIDENTIAL_SECRET));

    expect(byBasic.claims).toMatchObject({ aud: 'oidc-confidential', nonce: basic.nonce });
    expect(byPost.claims).toMatchObject({ aud: 'oidc-confidential', nonce: post.nonce });
    expect(decodeProtectedHeader(byBasic.tokens.access_token).typ).toBe('at+jwt');
  });

  test('without its secret, or with a wrong one, the exchange fails: 401 invalid_client with a Basic challenge', async () => {
    const requests = await Promise.all([0, 1].map(() => authorizationRequest('oidc-confidential', CONFIDENTIAL_CALLBACK)));
    const redirects = await Promise.all(requests.map((request) => signedIn.open(request.url)));

    const answers = await Promise.all([
      confidential(redirects[0]!, requests[0]!, oauth.None()),
      confidential(redirects[1]!, requests[1]!, oauth.ClientSecretBasic(`${CONFIDENTIAL_SECRET}-wrong`)),
    ]);

    for (const answer of answers) {
      expect({ status: answer.status, challenge: answer.headers.get('www-authenticate'), body: await answer.json() }).toEqual({
        status: 401,
        challenge: 'Basic realm="token"',
        body: expect.objectContaining({ error: 'invalid_client' }),
      });
    }
  });
});

test('a third-party client: after sign-in the consent screen lists the scopes; deny gives access_denied, allow a code, remembered after', async () => {
  const browser = new Browser();
  const denied = await authorizationRequest('oidc-third', THIRD_CALLBACK);

  // Signing in leads to the consent screen, not to the client.
  const consent = await signIn(browser, denied.url);
  const [form] = formsOf(consent.html);
  expect(consent.status).toBe(200);
  expect(browser.cookie(COOKIE.sso)).toBeDefined();
  expect(consent.html).toContain('Third App would like to:');
  expect([...consent.html.matchAll(/<li>([^<]*)<\/li>/g)].map(([, item]) => item)).toEqual([
    'Sign you in and know who you are',
    'See your username',
    'See your email address',
  ]);
  expect(new URL(form!.action, consent.url).href).toBe(`${issuer}/oauth/authorize`);
  expect(form!.fields).toEqual({ csrf: browser.cookie(COOKIE.csrf)!.value, ...paramsOf(denied.url) });
  expect(consent.html).toMatch(/<button type="submit" name="action" value="consent"[^>]*>Allow<\/button>/);
  expect(consent.html).toMatch(/<button type="submit" name="action" value="deny"[^>]*>Deny<\/button>/);

  // Deny: access_denied at the redirect URI; consent is still missing, so prompt=none says so.
  const deny = await browser.submit(consent, 'deny');
  const silent = await authorizationRequest('oidc-third', THIRD_CALLBACK, { prompt: 'none' });
  const stillMissing = await browser.open(silent.url);
  expect(paramsOf(arrival(deny, THIRD_CALLBACK))).toEqual({ error: 'access_denied', error_description: expect.any(String), state: denied.state, iss: issuer });
  expect(paramsOf(arrival(stillMissing, THIRD_CALLBACK))).toMatchObject({ error: 'consent_required', state: silent.state, iss: issuer });

  // Asked again (signed in already: the consent screen at once), allow: a code, and the ID token for this client.
  const allowed = await authorizationRequest('oidc-third', THIRD_CALLBACK);
  const again = await browser.open(allowed.url);
  expect(again.status).toBe(200);
  expect(formsOf(again.html)[0]?.fields).not.toHaveProperty('password');
  const granted = await redeem(allowed, await browser.submit(again, 'consent'));
  expect(granted.claims).toMatchObject({ aud: 'oidc-third', nonce: allowed.nonce, amr: ['pwd'] });

  // The consent is remembered: a code at once; prompt=consent shows the screen again.
  const remembered = await authorizationRequest('oidc-third', THIRD_CALLBACK);
  const asked = await authorizationRequest('oidc-third', THIRD_CALLBACK, { prompt: 'consent' });
  expect(paramsOf(arrival(await browser.open(remembered.url), THIRD_CALLBACK))).toEqual({ code: expect.any(String), state: remembered.state, iss: issuer });
  expect((await browser.open(asked.url)).status).toBe(200);
});

describe('native apps', () => {
  test('a loopback redirect URI matches on any port (RFC 8252 §7.3); single sign-on asks the user first there (§8.6); the exchange must name that very port', async () => {
    const port = 49_152 + Math.floor(Math.random() * 16_000);
    const loopback = `http://127.0.0.1:${port}/callback`;
    const request = await authorizationRequest('oidc-app', loopback);
    const silent = await authorizationRequest('oidc-app', loopback, { prompt: 'none' });
    const portless = await authorizationRequest('oidc-app', loopback);

    const page = await signedIn.open(request.url);
    const answer = await signedIn.submit(page, 'consent');
    const { claims } = await redeem(request, answer);
    const none = await signedIn.open(silent.url);
    const mismatch = await signedIn.submit(await signedIn.open(portless.url), 'consent');
    const refused = await oauth.authorizationCodeGrantRequest(as, portless.client, oauth.None(), oauth.validateAuthResponse(as, portless.client, arrival(mismatch, loopback), portless.state), CALLBACK, portless.verifier, INSECURE);

    // Signed in already, no password typed in this request: the consent screen, then the allow gets the code.
    expectConsentScreen(page, request);
    expect(paramsOf(arrival(answer, loopback))).toEqual({ code: expect.any(String), state: request.state, iss: issuer });
    expect(claims.aud).toBe('oidc-app');
    // The allow answered that one screen: prompt=none, which allows no screen, still gets no code there.
    expect(paramsOf(arrival(none, loopback))).toEqual({ error: 'interaction_required', error_description: expect.any(String), state: silent.state, iss: issuer });
    expect({ status: refused.status, body: await refused.json() }).toEqual({ status: 400, body: expect.objectContaining({ error: 'invalid_grant' }) });
  });

  test('another path on the loopback address is no redirect URI of the client: an error page, no redirect', async () => {
    const request = await authorizationRequest('oidc-app', 'http://127.0.0.1:50000/elsewhere');

    const answer = await signedIn.open(request.url);

    expect({ status: answer.status, location: answer.location }).toEqual({ status: 400, location: undefined });
    expect(answer.headers.get('content-type')).toBe('text/html; charset=utf-8');
  });

  test('a private-use scheme redirect URI (RFC 8252 §7.1) gets its code once the user allows it on the screen single sign-on shows (§8.6)', async () => {
    const request = await authorizationRequest('oidc-native', NATIVE_CALLBACK);
    const silent = await authorizationRequest('oidc-native', NATIVE_CALLBACK, { prompt: 'none' });

    const page = await signedIn.open(request.url);
    const answer = await signedIn.submit(page, 'consent');
    const { claims } = await redeem(request, answer);
    const none = await signedIn.open(silent.url);

    expectConsentScreen(page, request);
    expect(paramsOf(arrival(answer, NATIVE_CALLBACK))).toEqual({ code: expect.any(String), state: request.state, iss: issuer });
    expect(claims.aud).toBe('oidc-native');
    expect(paramsOf(arrival(none, NATIVE_CALLBACK))).toEqual({ error: 'interaction_required', error_description: expect.any(String), state: silent.state, iss: issuer });
  });
});

describe('RP-initiated logout', () => {
  test('logout without an ID token of this sign-in asks first; confirming ends the sign-in and returns to the client', async () => {
    const browser = new Browser();
    const request = await authorizationRequest('oidc-app', CALLBACK);
    const { tokens } = await redeem(request, await signIn(browser, request.url));
    const fields = { client_id: 'oidc-app', post_logout_redirect_uri: SIGNED_OUT, state: 'confirm' };

    const page = await browser.open(endSessionUrl(fields));
    const [form] = formsOf(page.html);
    const confirmed = await browser.submit(page, 'logout');

    expect(page.status).toBe(200);
    expect(new URL(form!.action, page.url).href).toBe(`${issuer}/oauth/end-session`);
    expect(form!.fields).toEqual({ csrf: browser.cookie(COOKIE.csrf)!.value, ...fields });
    expect({ status: confirmed.status, location: confirmed.location }).toEqual({ status: 303, location: `${SIGNED_OUT}?state=confirm` });
    expect(browser.cookie(COOKIE.sso)).toBeUndefined();
    expect(await refreshOutcome(request.client, tokens.refresh_token!)).toEqual({ status: 400, error: 'invalid_grant' });
  });

  test('a code issued before the logout and redeemed after it gives no tokens', async () => {
    const browser = new Browser();
    const request = await authorizationRequest('oidc-app', CALLBACK);
    const { tokens } = await redeem(request, await signIn(browser, request.url));
    const pending = await authorizationRequest('oidc-second', SECOND_HTTPS);
    const issued = await browser.open(pending.url);
    const params = oauth.validateAuthResponse(as, pending.client, arrival(issued, SECOND_HTTPS), pending.state);

    const ended = await browser.open(endSessionUrl({ id_token_hint: tokens.id_token!, post_logout_redirect_uri: SIGNED_OUT }));
    const exchanged = await oauth.authorizationCodeGrantRequest(as, pending.client, oauth.None(), params, SECOND_HTTPS, pending.verifier, INSECURE);

    expect(ended.status).toBe(303);
    expect({ status: exchanged.status, body: await exchanged.json() }).toEqual({ status: 400, body: expect.objectContaining({ error: 'invalid_grant' }) });
  });

  test('after a new sign-in on prompt=login, logout also ends the sessions of the sign-in it replaced', async () => {
    const browser = new Browser();
    const first = await authorizationRequest('oidc-app', CALLBACK);
    const before = await redeem(first, await signIn(browser, first.url));
    const again = await authorizationRequest('oidc-second', SECOND_CALLBACK, { prompt: 'login' });
    const page = await browser.open(again.url);
    const after = await redeem(again, await browser.submit(page, 'login', { username, password: PASSWORD }));

    // oidc-second registered no post-logout URI: the signed-out page.
    const ended = await browser.open(endSessionUrl({ id_token_hint: after.tokens.id_token! }));
    const outcomes = await Promise.all([refreshOutcome(first.client, before.tokens.refresh_token!), refreshOutcome(again.client, after.tokens.refresh_token!)]);

    expect({ status: ended.status, cleared: ended.cookies.map(({ name, maxAge }) => [name, maxAge]) }).toEqual({ status: 200, cleared: [[COOKIE.sso, 0]] });
    expect(outcomes).toEqual([{ status: 400, error: 'invalid_grant' }, { status: 400, error: 'invalid_grant' }]);
  });
});
