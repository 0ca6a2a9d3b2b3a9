/**
 * What the OpenID provider's function tests share: a browser (a cookie jar and an address) driving the hosted
 * pages through the real handler, the events API Gateway's REST proxy integration would deliver for a GET with
 * a query and for a form post, and the token endpoint's form requests.
 */
import { randomBytes } from 'node:crypto';
import type { HttpEvent, HttpResponse } from '../../lib/http';
import type { HttpHandler } from '../../lib/route';
import { bodyOf, proxyEvent } from '../support/app';
import { authorizationQuery, formsOf, pkce } from '../support/oidc';

export const PASSWORD = 'correct horse battery staple';
export const WRONG_PASSWORD = 'not the password at all';
export const FORM = 'application/x-www-form-urlencoded';
export const SSO = 'jwt_auth_sso';
export const CSRF = 'jwt_auth_csrf';

/** The first-party loopback app of tests/support/oidc.ts, as its requests name it. */
export const APP = { client_id: 'oidc-app', redirect_uri: 'https://app.example/callback' } as const;
export const SECOND = { client_id: 'oidc-second', redirect_uri: 'https://second.example/cb' } as const;
/** The same app at its loopback redirect URI: single sign-on asks the user before a code goes there (RFC 8252 §8.6). */
export const APP_LOOPBACK = { client_id: 'oidc-app', redirect_uri: 'http://127.0.0.1/callback' } as const;
export const THIRD = { client_id: 'oidc-third', redirect_uri: 'https://third.example/cb' } as const;
export const CONFIDENTIAL = { client_id: 'oidc-confidential', redirect_uri: 'https://confidential.example/cb' } as const;

export type Params = Record<string, string | undefined>;

/**
 * An address no other browser or client of the file uses, so that no test's failures throttle another's
 * sign-ins: RFC 2544's benchmarking range (198.18.0.0/15) holds far more than the 256 of uniqueSourceIp().
 */
let addresses = 0;
export const newAddress = () => {
  addresses += 1;
  return `198.18.${Math.floor(addresses / 256)}.${addresses % 256}`;
};

const defined = (params: Params) => Object.entries(params).filter((entry): entry is [string, string] => entry[1] !== undefined);

/** A random value for state and nonce: what a client would send, and unique to the test that sends it. */
export const random = () => randomBytes(16).toString('base64url');

/** An authorization request (code, PKCE S256, openid) of `APP` unless overridden; undefined removes a parameter. */
export function authorizationRequest(overrides: Params = {}) {
  const { verifier, challenge } = pkce();
  const params: Params = {
    response_type: 'code',
    ...APP,
    scope: 'openid profile',
    state: random(),
    nonce: random(),
    code_challenge: challenge,
    code_challenge_method: 'S256',
    ...overrides,
  };
  return { params, query: authorizationQuery(params), verifier };
}

/**
 * A GET as the REST proxy integration delivers it: the query decoded into queryStringParameters (last value)
 * and multiValueQueryStringParameters (every value), no body.
 */
export function getEvent(path: string, query: string, headers: Record<string, string> = {}, sourceIp = newAddress()): HttpEvent {
  const event: HttpEvent = proxyEvent({ httpMethod: 'GET', path, rawBody: null, headers: { Accept: 'text/html', 'User-Agent': 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0', ...headers }, sourceIp });
  const single: Record<string, string> = {};
  const multi: Record<string, string[]> = {};
  for (const [name, value] of new URLSearchParams(query)) {
    single[name] = value;
    (multi[name] ??= []).push(value);
  }
  event.queryStringParameters = Object.keys(single).length > 0 ? single : null;
  event.multiValueQueryStringParameters = Object.keys(multi).length > 0 ? multi : null;
  return event;
}

/** A POST of a page's form (or of any body), as the REST proxy integration delivers it. */
export function postEvent(path: string, rawBody: string, headers: Record<string, string> = {}, sourceIp = newAddress()): HttpEvent {
  const event: HttpEvent = proxyEvent({
    httpMethod: 'POST',
    path,
    rawBody,
    headers: { 'Content-Type': FORM, Accept: 'text/html', 'User-Agent': 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0', ...headers },
    sourceIp,
  });
  event.queryStringParameters = null;
  event.multiValueQueryStringParameters = null;
  return event;
}

/** The Set-Cookie lines of an answer. */
export const setCookies = (response: HttpResponse): string[] => response.multiValueHeaders?.['Set-Cookie'] ?? [];

/** Whether an answer sets (not clears) the cookie `name`. */
export const sets = (response: HttpResponse, name: string) =>
  setCookies(response).some((line) => line.startsWith(`${name}=`) && !/Max-Age=0(;|$)/.test(line) && !line.startsWith(`${name}=;`));

/** A browser: its cookies for the hosted pages' path, and one source address. */
export class Browser {
  readonly cookies = new Map<string, string>();

  constructor(readonly pages: HttpHandler, readonly sourceIp = newAddress()) {}

  /** The Cookie header the browser sends (undefined without cookies). */
  cookieHeader(): string | undefined {
    return this.cookies.size === 0 ? undefined : [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  private headers(extra: Record<string, string>): Record<string, string> {
    const cookie = this.cookieHeader();
    return { ...(cookie === undefined ? {} : { Cookie: cookie }), ...extra };
  }

  /** Keeps what the answer's Set-Cookie lines set, drops what they clear. */
  remember(response: HttpResponse): HttpResponse {
    for (const line of setCookies(response)) {
      const [pair = ''] = line.split(';');
      const name = pair.slice(0, pair.indexOf('='));
      const value = pair.slice(pair.indexOf('=') + 1);
      if (value === '' || /;\s*Max-Age=0(;|$)/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return response;
  }

  async get(path: string, query: string, extra: Record<string, string> = {}): Promise<HttpResponse> {
    return this.remember(await this.pages(getEvent(path, query, this.headers(extra), this.sourceIp)));
  }

  async post(path: string, fields: Params, extra: Record<string, string> = {}): Promise<HttpResponse> {
    return this.remember(await this.pages(postEvent(path, new URLSearchParams(defined(fields)).toString(), this.headers(extra), this.sourceIp)));
  }

  /** Submits the page's only (or first) form with what the user typed and the button pressed. */
  async submit(page: HttpResponse, typed: Params, index = 0): Promise<HttpResponse> {
    const form = formsOf(page.body)[index];
    if (!form) throw new Error(`the page has no form ${index}: ${page.statusCode}`);
    return this.post(`/oauth/${form.action}`, { ...form.fields, ...typed });
  }

  /** GET /oauth/authorize and, on the sign-in page, the user's name and password: the answer to the form. */
  async signIn(query: string, username: string, password = PASSWORD): Promise<HttpResponse> {
    const page = await this.get('/oauth/authorize', query);
    if (page.statusCode !== 200) throw new Error(`the authorization endpoint answered ${page.statusCode}, not the sign-in page`);
    return this.submit(page, { username, password, action: 'login' });
  }
}

/** The Location of a 303, parsed (fails the test on any other answer). */
export function locationOf(response: HttpResponse): URL {
  expect({ status: response.statusCode, location: response.headers.Location }).toEqual({ status: 303, location: expect.any(String) });
  return new URL(response.headers.Location!);
}

/** The redirect's parameters as an object. */
export const redirectParams = (response: HttpResponse) => Object.fromEntries(locationOf(response).searchParams);

/** The code a redirect carries. */
export function codeOf(response: HttpResponse): string {
  const code = locationOf(response).searchParams.get('code');
  if (code === null) throw new Error(`no code in ${response.headers.Location}`);
  return code;
}

/** Whether an answer is the sign-in page (a form with a password field). */
export const isLoginPage = (response: HttpResponse) =>
  response.statusCode === 200 && formsOf(response.body).some((form) => form.action === 'authorize' && 'password' in form.fields);

/** A form-encoded POST /oauth/token, from its own address unless given. */
export function tokenEvent(params: Params, options: { authorization?: string; sourceIp?: string } = {}): HttpEvent {
  return proxyEvent({
    rawBody: new URLSearchParams(defined(params)).toString(),
    headers: { 'Content-Type': FORM, 'User-Agent': 'oidc-test-client/1.0', ...(options.authorization ? { Authorization: options.authorization } : {}) },
    sourceIp: options.sourceIp ?? newAddress(),
  });
}

/** The authorization_code grant's request for a code of `client` (APP by default). */
export const codeGrant = (code: string, verifier: string, client: { client_id: string; redirect_uri: string } = APP, extra: Params = {}): Params => ({
  grant_type: 'authorization_code',
  code,
  code_verifier: verifier,
  ...client,
  ...extra,
});

/** A refresh of a public client's refresh token. */
export const refreshGrant = (refreshToken: string, clientId: string = APP.client_id): Params => ({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: clientId });

/** The error of a JSON error body. */
export const errorOf = (response: HttpResponse) => bodyOf(response).error;

/** HTTP Basic (RFC 6749 §2.3.1: each part form-encoded first). */
export const basic = (clientId: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;
