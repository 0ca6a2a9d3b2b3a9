import { randomBytes, timingSafeEqual } from 'node:crypto';
import { stringifySetCookie } from 'cookie';
import { pathPrefix, readCookie } from './cookies';
import type { AppDeps } from './deps';
import { AuthError } from './errors';
import { header, method, sourceIp, type HttpEvent, type HttpResponse } from './http';
import { logger } from './log';
import {
  chooseLocale, htmlPage, renderConsent, renderError, renderForgot, renderForgotSent, renderLogin, renderLogoutConfirm, renderReset, renderSignedOut,
  renderSignup, type Locale, type LoginError, type RequestPage, type SignupError,
} from './pages';
import { parseOAuthParams } from './params';
import { AUTHORIZATION_PARAMS, AuthorizationError, UnsafeRequestError, withParams, type AuthorizationRequest, type Decision, type Provider } from './provider';
import { route, type HttpHandler } from './route';

/**
 * The hosted pages of the OpenID provider (GET and POST /oauth/authorize, /oauth/signup, /oauth/forgot,
 * /oauth/reset, /oauth/end-session): server-rendered HTML without JavaScript (lib/pages.ts). Every form
 * carries a CSRF token that must equal the browser's CSRF cookie (SameSite=Strict, HttpOnly: another site
 * can neither send nor read it); the authorization request rides along in hidden fields and is checked
 * again at every step, so nothing a form says is trusted more than the original query.
 */
export const COOKIES = {
  /** The browser's sign-in (single sign-on): SameSite=Lax, so a client's redirect here carries it. */
  session: 'jwt_auth_sso',
  csrf: 'jwt_auth_csrf',
} as const;

/** Seconds a CSRF cookie lives: a page left open longer asks again. */
const CSRF_TTL = 3600;
const CSRF_FORMAT = /^[A-Za-z0-9_-]{43}$/;

type Deps = AppDeps & { provider: Provider };

/** The cookie's path: the hosted routes alone (behind the stage prefix, deployed without a custom domain). */
const cookiePath = (event: HttpEvent) => `${pathPrefix(event)}/oauth`;

function setCookie(event: HttpEvent, name: string, value: string | undefined, maxAge: number, sameSite: 'lax' | 'strict'): string {
  return stringifySetCookie({ name, value: value ?? '', path: cookiePath(event), maxAge: value === undefined ? 0 : maxAge, httpOnly: true, secure: true, sameSite });
}

/** The browser's CSRF token: the one its cookie holds, or a new one (with the cookie that sets it). */
function csrfOf(event: HttpEvent): { token: string; cookies: string[] } {
  const current = readCookie(event, COOKIES.csrf);
  if (current !== undefined && CSRF_FORMAT.test(current)) return { token: current, cookies: [] };
  const token = randomBytes(32).toString('base64url');
  return { token, cookies: [setCookie(event, COOKIES.csrf, token, CSRF_TTL, 'strict')] };
}

/**
 * A POST a browser says came from another site (Fetch Metadata, or an Origin other than the issuer's): our
 * forms post to their own origin, and an RP's logout request carries no cookie that matters. Checked before
 * the CSRF token, as defence in depth (OWASP); browsers that send neither header rely on the token alone.
 */
function crossSite(event: HttpEvent, issuer: string): boolean {
  if (header(event, 'sec-fetch-site')?.toLowerCase() === 'cross-site') return true;
  const origin = header(event, 'origin');
  if (origin === undefined || origin === 'null' || origin === new URL(issuer).origin) return false;
  // The page may have been reached at another name of this API than the issuer's (its execute-api URL).
  const host = URL.canParse(origin) ? new URL(origin).host : undefined;
  return host === undefined || host !== header(event, 'host');
}

/** Whether a form's `csrf` field equals the browser's CSRF cookie. */
function csrfMatches(event: HttpEvent, field: string | undefined): boolean {
  const cookie = readCookie(event, COOKIES.csrf);
  if (cookie === undefined || field === undefined || !CSRF_FORMAT.test(cookie)) return false;
  const a = Buffer.from(cookie);
  const b = Buffer.from(field);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The query of a GET: each parameter's first value, and the names sent more than once, which RFC 6749 §3.1
 * makes an error (the provider reports it once it trusts the client and the redirect URI).
 */
function queryOf(event: HttpEvent): { params: Record<string, string>; repeated: string[] } {
  const query = new URLSearchParams();
  if (typeof event.rawQueryString === 'string') {
    for (const [name, value] of new URLSearchParams(event.rawQueryString)) query.append(name, value);
  } else {
    const multi = event.multiValueQueryStringParameters ?? {};
    for (const [name, values] of Object.entries(multi)) for (const value of values ?? []) if (value !== undefined) query.append(name, value);
    if (Object.keys(multi).length === 0) for (const [name, value] of Object.entries(event.queryStringParameters ?? {})) if (value !== undefined) query.append(name, value);
  }
  const params: Record<string, string> = Object.create(null);
  const repeated = new Set<string>();
  for (const [name, value] of query) {
    if (name in params) repeated.add(name);
    else if (value !== '') params[name] = value; // an empty parameter counts as omitted (RFC 6749 §3.1)
  }
  return { params, repeated: [...repeated] };
}

/** An authorization request from a query: checked, with a repeated parameter refused as the provider sees fit. */
const requestFrom = (provider: Provider, event: HttpEvent) => {
  const { params, repeated } = queryOf(event);
  return provider.check(params, repeated);
};

const pick = (params: Record<string, string>, names: readonly string[]) =>
  Object.fromEntries(names.filter((name) => params[name] !== undefined).map((name) => [name, params[name]!]));

const localeFor = (event: HttpEvent, uiLocales?: string): Locale => chooseLocale(uiLocales, header(event, 'accept-language'));

function redirect(location: string, cookies: string[] = []): HttpResponse {
  return {
    statusCode: 303,
    headers: { Location: location, 'Cache-Control': 'no-store', Pragma: 'no-cache', 'Referrer-Policy': 'no-referrer' },
    ...(cookies.length > 0 ? { multiValueHeaders: { 'Set-Cookie': cookies } } : {}),
    body: '',
  };
}

/** Where a hosted page's forms may lead: here, and (after the redirect a form answers with) the client's URI. */
function formTargets(redirectUri: string): string[] {
  const target = new URL(redirectUri);
  return [target.protocol === 'http:' || target.protocol === 'https:' ? target.origin : target.protocol];
}

/** The fields every page of one authorization request shows. */
function requestPage(event: HttpEvent, request: AuthorizationRequest, csrf: string): RequestPage {
  return {
    locale: localeFor(event, request.uiLocales),
    csrf,
    request: request.params,
    query: new URLSearchParams(request.params).toString(),
    clientName: request.client.name ?? request.client.clientId,
  };
}

/** Answers a decision of the provider: a redirect to the client, or the sign-in or consent page. */
function answer(event: HttpEvent, request: AuthorizationRequest, decision: Decision, cookies: string[] = []): HttpResponse {
  if (decision.kind === 'redirect') return redirect(decision.location, cookies);
  const csrf = csrfOf(event);
  const page = requestPage(event, request, csrf.token);
  const html = decision.kind === 'login' ? renderLogin({ ...page, ...(request.loginHint ? { username: request.loginHint } : {}) }) : renderConsent({ ...page, scopes: decision.scopes });
  return htmlPage(200, html, { formTargets: formTargets(request.redirectUri), cookies: [...cookies, ...csrf.cookies] });
}

/** The sign-in page again, with what went wrong. */
function loginAgain(event: HttpEvent, request: AuthorizationRequest, status: number, error: LoginError, extra: { username?: string; retryAfter?: number } = {}): HttpResponse {
  const csrf = csrfOf(event);
  const html = renderLogin({ ...requestPage(event, request, csrf.token), error, ...extra });
  const headers: Record<string, string> = extra.retryAfter === undefined ? {} : { 'Retry-After': String(extra.retryAfter) };
  return htmlPage(status, html, { formTargets: formTargets(request.redirectUri), cookies: csrf.cookies, headers });
}

const retryAfterOf = (error: AuthError) => {
  const value = Number(error.headers['Retry-After']);
  return Number.isFinite(value) && value > 0 ? value : undefined;
};

/** The hosted page's sign-in: the password through the login guard (so throttled exactly like POST /auth/login). */
async function signIn(event: HttpEvent, deps: Deps, request: AuthorizationRequest, form: Record<string, string>): Promise<HttpResponse> {
  const username = form.username ?? '';
  let user;
  try {
    user = await deps.auth.authenticate({ username: form.username, password: form.password, sourceIp: sourceIp(event) });
  } catch (error) {
    if (!(error instanceof AuthError) || error.status >= 500) throw error;
    if (error.code === 'slow_down') return loginAgain(event, request, 429, 'throttled', { username, retryAfter: retryAfterOf(error) });
    const disabled = error.code === 'invalid_grant' && /disabled/.test(error.message);
    // 400, not 401: a 401 must carry a WWW-Authenticate challenge (RFC 9110 §15.5.2), and a form has none.
    return loginAgain(event, request, disabled ? 403 : 400, disabled ? 'disabled' : 'invalid', { username });
  }
  const previous = await deps.provider.signedIn(readCookie(event, COOKIES.session));
  const { cookie, decision } = await deps.provider.signIn(request, user, previous?.session);
  return answer(event, request, decision, [setCookie(event, COOKIES.session, cookie, deps.provider.browserSessionTtl, 'lax')]);
}

const SIGNUP_ERRORS: [RegExp, SignupError][] = [
  [/password/i, 'weak_password'],
  [/email|address/i, 'invalid_email'],
];

async function signUp(event: HttpEvent, deps: Deps, request: AuthorizationRequest, form: Record<string, string>): Promise<HttpResponse> {
  const entered = { ...(form.username ? { username: form.username } : {}), ...(form.email ? { email: form.email } : {}) };
  let user;
  try {
    user = await deps.auth.signUp({ username: form.username, password: form.password, ...(form.email ? { email: form.email } : {}) });
  } catch (error) {
    if (!(error instanceof AuthError) || error.status >= 500) throw error;
    const kind: SignupError =
      error.code === 'username_taken' || error.code === 'email_taken' ? error.code : (SIGNUP_ERRORS.find(([pattern]) => pattern.test(error.message))?.[1] ?? 'invalid_username');
    const csrf = csrfOf(event);
    const html = renderSignup({ ...requestPage(event, request, csrf.token), ...entered, error: kind, detail: error.message });
    return htmlPage(error.status, html, { formTargets: formTargets(request.redirectUri), cookies: csrf.cookies });
  }
  const previous = await deps.provider.signedIn(readCookie(event, COOKIES.session));
  const { cookie, decision } = await deps.provider.signIn(request, user, previous?.session);
  return answer(event, request, decision, [setCookie(event, COOKIES.session, cookie, deps.provider.browserSessionTtl, 'lax')]);
}

async function forgot(event: HttpEvent, deps: Deps, request: AuthorizationRequest, form: Record<string, string>): Promise<HttpResponse> {
  const csrf = csrfOf(event);
  const page = requestPage(event, request, csrf.token);
  const name = form.username ?? '';
  try {
    await deps.accounts.forgotPassword(name.includes('@') ? { email: name } : { username: name }, sourceIp(event));
  } catch (error) {
    if (!(error instanceof AuthError) || error.status >= 500) throw error;
    const retryAfter = error.code === 'slow_down' ? retryAfterOf(error) : undefined;
    const html = renderForgot({ ...page, error: error.code === 'slow_down' ? 'throttled' : 'invalid', ...(retryAfter ? { retryAfter } : {}) });
    return htmlPage(error.status, html, { cookies: csrf.cookies, headers: retryAfter ? { 'Retry-After': String(retryAfter) } : undefined });
  }
  return htmlPage(202, renderForgotSent(page), { cookies: csrf.cookies });
}

async function reset(event: HttpEvent, deps: Deps, form: Record<string, string>): Promise<HttpResponse> {
  const csrf = csrfOf(event);
  const locale = localeFor(event, form.ui_locales);
  const token = form.token ?? '';
  try {
    await deps.accounts.resetPassword(token, form.new_password);
  } catch (error) {
    if (!(error instanceof AuthError) || error.status >= 500) throw error;
    const kind = error.code === 'invalid_grant' || !form.token ? 'invalid_token' : 'weak_password';
    return htmlPage(error.status, renderReset({ locale, csrf: csrf.token, token, error: kind, detail: error.message }), { cookies: csrf.cookies });
  }
  return htmlPage(200, renderReset({ locale, csrf: csrf.token, token: '', done: true }), { cookies: csrf.cookies });
}

/**
 * RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0). With an ID token of this very browser
 * session as `id_token_hint`, at once; otherwise the user confirms on a page first (another site could
 * otherwise sign the user out). `post_logout_redirect_uri` must be one the client registered.
 */
async function endSession(event: HttpEvent, deps: Deps, params: Record<string, string>, confirmed: boolean): Promise<HttpResponse> {
  const locale = localeFor(event, params.ui_locales);
  const hint = params.id_token_hint === undefined ? undefined : await deps.tokens.readIdTokenHint(params.id_token_hint);
  if (params.id_token_hint !== undefined && !hint) throw new UnsafeRequestError('bad_request', 'The id_token_hint is not an ID token of this provider.');
  if (params.client_id !== undefined && hint && hint.aud !== params.client_id) throw new UnsafeRequestError('bad_request', 'The id_token_hint was issued to another client.');
  let back: string | undefined;
  if (params.post_logout_redirect_uri !== undefined) {
    const clientId = params.client_id ?? hint?.aud;
    const client = clientId === undefined ? undefined : await deps.provider.client(clientId);
    if (!client || !client.postLogoutRedirectUris.includes(params.post_logout_redirect_uri)) {
      throw new UnsafeRequestError('bad_redirect_uri', 'The post_logout_redirect_uri is not one the client registered.');
    }
    back = withParams(params.post_logout_redirect_uri, { state: params.state });
  }
  const current = await deps.provider.browserSession(readCookie(event, COOKIES.session));
  if (current && !confirmed && !(hint?.sid !== undefined && hint.sid === current.sid)) {
    const csrf = csrfOf(event);
    const fields = pick(params, ['id_token_hint', 'post_logout_redirect_uri', 'client_id', 'state', 'ui_locales']);
    const html = renderLogoutConfirm({ locale, csrf: csrf.token, fields });
    return htmlPage(200, html, { cookies: csrf.cookies, formTargets: back ? formTargets(back) : [] });
  }
  if (current) await deps.provider.endBrowserSession(current);
  const cleared = [setCookie(event, COOKIES.session, undefined, 0, 'lax')];
  if (back) return redirect(back, cleared);
  return htmlPage(200, renderSignedOut({ locale }), { cookies: cleared });
}

/** Where a request goes: the route's own path (stage left out), and the method. */
function screenOf(event: HttpEvent): string {
  const path = (event.path ?? '').replace(/\/+$/, '');
  return `${method(event)} ${path.slice(path.lastIndexOf('/oauth/'))}`;
}

/** A page for what went wrong before any redirect could be trusted, or the client's error at its redirect URI. */
function failure(event: HttpEvent, error: unknown, issuer: string): HttpResponse {
  const locale = localeFor(event);
  if (error instanceof AuthorizationError) {
    return redirect(withParams(error.request.redirectUri, { error: error.code, error_description: error.message, state: error.request.state, iss: issuer }));
  }
  if (error instanceof UnsafeRequestError) return htmlPage(400, renderError({ locale, title: error.reason, description: error.message }));
  if (error instanceof AuthError && error.code === 'temporarily_unavailable') {
    return htmlPage(503, renderError({ locale, title: 'unavailable' }), { headers: { 'Retry-After': error.headers['Retry-After'] ?? '1' } });
  }
  if (error instanceof AuthError && error.expose) return htmlPage(error.status, renderError({ locale, title: 'bad_request', description: error.message }));
  logger.error('hosted page failed', error);
  return htmlPage(500, renderError({ locale, title: 'unavailable' }));
}

/** The hosted pages' handler: one function for every screen, as they share the provider and its cookies. */
export function hostedPages(deps: () => Promise<AppDeps>): HttpHandler {
  return route(deps, async (event, built) => {
    const { provider } = built;
    if (!provider) throw new AuthError('server_error', 'This function cannot run the provider.');
    const app: Deps = { ...built, provider };
    try {
      return await screen(event, app);
    } catch (error) {
      return failure(event, error, built.config.issuer);
    }
    // No CORS: these pages are for the browser's own navigation, never for another site's script.
  }, { cors: false });
}

async function screen(event: HttpEvent, deps: Deps): Promise<HttpResponse> {
  const where = screenOf(event);
  const { provider } = deps;
  const cookie = () => readCookie(event, COOKIES.session);
  switch (where) {
    case 'GET /oauth/authorize': {
      const request = await requestFrom(provider, event);
      return answer(event, request, await provider.authorize(request, cookie()));
    }
    case 'GET /oauth/signup':
    case 'GET /oauth/forgot': {
      const request = await requestFrom(provider, event);
      const csrf = csrfOf(event);
      const page = requestPage(event, request, csrf.token);
      const html = where === 'GET /oauth/signup' ? renderSignup(page) : renderForgot(page);
      return htmlPage(200, html, { formTargets: formTargets(request.redirectUri), cookies: csrf.cookies });
    }
    case 'GET /oauth/reset': {
      const query = queryOf(event).params;
      const csrf = csrfOf(event);
      return htmlPage(200, renderReset({ locale: localeFor(event, query.ui_locales), csrf: csrf.token, token: query.token ?? '' }), { cookies: csrf.cookies });
    }
    case 'GET /oauth/end-session':
      return endSession(event, deps, queryOf(event).params, false);
    default:
  }
  if (method(event) !== 'POST') throw new UnsafeRequestError('bad_request', 'There is no such page.');
  // A form post: the page's fields, application/x-www-form-urlencoded as browsers send them.
  const form = parseOAuthParams(event);
  // An RP may post its request as it may send it by GET (OpenID Connect Core §3.1.2.1, RP-Initiated Logout
  // §2): without the `action` of our own forms, a POST is that request, from any site.
  if (form.action === undefined && where === 'POST /oauth/authorize') {
    const request = await provider.check(pick(form, AUTHORIZATION_PARAMS));
    return answer(event, request, await provider.authorize(request, cookie()));
  }
  if (form.action === undefined && where === 'POST /oauth/end-session') return endSession(event, deps, form, false);
  if (crossSite(event, deps.config.issuer)) throw new UnsafeRequestError('bad_request', 'The form was posted from another site.');
  const fromPage = csrfMatches(event, form.csrf);
  if (where === 'POST /oauth/end-session') {
    if (!fromPage) throw new UnsafeRequestError('bad_request', 'The form has expired; go back and try again.');
    return endSession(event, deps, form, form.action === 'logout');
  }
  if (where === 'POST /oauth/reset') {
    if (!fromPage) return htmlPage(403, renderReset({ locale: localeFor(event, form.ui_locales), csrf: csrfOf(event).token, token: form.token ?? '', error: 'csrf' }), { cookies: csrfOf(event).cookies });
    return reset(event, deps, form);
  }
  const request = await provider.check(pick(form, AUTHORIZATION_PARAMS));
  if (!fromPage) {
    // A form without the browser's own CSRF token (posted from another site, or after the cookie expired).
    if (where === 'POST /oauth/signup') {
      const csrf = csrfOf(event);
      return htmlPage(403, renderSignup({ ...requestPage(event, request, csrf.token), error: 'csrf' }), { formTargets: formTargets(request.redirectUri), cookies: csrf.cookies });
    }
    return loginAgain(event, request, 403, 'csrf');
  }
  switch (where) {
    case 'POST /oauth/authorize':
      if (form.action === 'consent' || form.action === 'deny') return answer(event, request, await provider.consent(request, cookie(), form.action === 'consent'));
      return signIn(event, deps, request, form);
    case 'POST /oauth/signup':
      return signUp(event, deps, request, form);
    case 'POST /oauth/forgot':
      return forgot(event, deps, request, form);
    default:
      throw new UnsafeRequestError('bad_request', 'There is no such page.');
  }
}
