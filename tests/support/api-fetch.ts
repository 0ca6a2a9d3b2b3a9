/**
 * The service's API as a `fetch` function, in this process and without a socket: each request becomes the
 * REST proxy event API Gateway sends, goes through the real TOKEN authorizer when serverless.yml puts the
 * route behind it (a refusal answered with the gateway response serverless.yml defines), then through the
 * real handler, on the test app's dynalite, keys and clock. A browser-like cookie jar sits in between.
 * The only things it makes up are faults that a real server cannot produce on demand.
 */
import { parseSetCookie } from 'cookie';
import { makeAuthorizerHandler } from '../../functions/authorizer';
import type { PolicyResult } from '../../lib/authorizer';
import type { HttpEvent } from '../../lib/http';
import type { VerifierDeps } from '../../lib/verifier-deps';
import { gatewayResponseFor, gatewayResponseResources, renderGatewayResponse, type AuthorizerOutcome, type RenderedResponse } from '../../scripts/local-gateway/gateway-responses';
import tokenEvent from '../fixtures/authorizer-token-event.json';
import { proxyEvent, uniqueSourceIp, type TestContext } from './app';

/** What the client sent, as the API received it (the jar's Cookie header included). */
export interface ApiRequest {
  method: string;
  path: string;
  headers: Headers;
  credentials: Request['credentials'];
  /** The parsed JSON body, the raw text when it is not JSON, undefined when there is none. */
  body: unknown;
  /** The status the client received; undefined until then, and for ever when the response was lost. */
  status?: number;
}

/** A cookie the browser keeps; no script of the page can read it (there is no `document.cookie` here). */
export interface StoredCookie {
  name: string;
  value: string;
  path: string;
  httpOnly: boolean;
}

export interface ApiFetchOptions {
  /** The authorizer's deps; default the app's own (the keys it signs with). */
  authorizer?: () => Promise<VerifierDeps>;
  /** The client's address (requestContext.identity.sourceIp); default one no other ApiFetch uses. */
  sourceIp?: string;
}

type HandlerName = keyof TestContext['handlers'];

/** serverless.yml's HTTP routes: method, path, the function, and whether the authorizer guards it. */
const ROUTES: ReadonlyArray<readonly [method: string, path: string, handler: HandlerName, guarded?: 'authorizer']> = [
  ['POST', '/auth/register', 'register'],
  ['POST', '/auth/login', 'login'],
  ['POST', '/auth/refresh', 'refresh'],
  ['POST', '/auth/logout', 'logout'],
  ['POST', '/auth/password', 'password', 'authorizer'],
  ['GET', '/me', 'me', 'authorizer'],
  ['GET', '/sessions', 'list', 'authorizer'],
  ['DELETE', '/sessions/{id}', 'remove', 'authorizer'],
  ['POST', '/oauth/token', 'token'],
  ['POST', '/oauth/revoke', 'revoke'],
];

/** The route that serves a request, with its path parameters (decoded, as API Gateway passes them). */
function findRoute(method: string, path: string) {
  for (const [routeMethod, template, handler, guarded] of ROUTES) {
    const names: string[] = [];
    const pattern = new RegExp(`^${template.replace(/\{(\w+)\}/g, (_, name: string) => (names.push(name), '([^/]+)'))}$`);
    const found = routeMethod === method ? pattern.exec(path) : null;
    if (found) {
      const parameters = Object.fromEntries(names.map((name, i) => [name, decodeURIComponent(found[i + 1] ?? '')]));
      return { template, handler, guarded: guarded === 'authorizer', pathParameters: names.length > 0 ? parameters : null };
    }
  }
  return undefined;
}

/** RFC 6265 §5.1.4: the cookie path matches the request path itself or a directory above it. */
const pathMatches = (requestPath: string, cookiePath: string) =>
  requestPath === cookiePath || (requestPath.startsWith(cookiePath) && (cookiePath.endsWith('/') || requestPath[cookiePath.length] === '/'));

/** The jar of one browser: Set-Cookie stored by name and path, Max-Age=0 deleting. */
function cookieJar() {
  let cookies: StoredCookie[] = [];
  return {
    all: () => [...cookies],
    store(requestPath: string, setCookies: readonly string[]) {
      for (const line of setCookies) {
        const parsed = parseSetCookie(line);
        const path = parsed.path?.startsWith('/') ? parsed.path : requestPath.replace(/\/[^/]*$/, '') || '/';
        cookies = cookies.filter((cookie) => cookie.name !== parsed.name || cookie.path !== path);
        if (parsed.maxAge === undefined || parsed.maxAge > 0) {
          cookies.push({ name: parsed.name, value: parsed.value ?? '', path, httpOnly: parsed.httpOnly === true });
        }
      }
    },
    /** The Cookie header for a request to `path`, the most specific path first; undefined when none match. */
    header(path: string): string | undefined {
      const matching = cookies.filter((cookie) => pathMatches(path, cookie.path)).sort((a, b) => b.path.length - a.path.length);
      return matching.length > 0 ? matching.map(({ name, value }) => `${name}=${value}`).join('; ') : undefined;
    },
  };
}

/** A handler's or the gateway's answer as the browser's fetch returns it: Set-Cookie never reaches the page. */
function toResponse(answer: RenderedResponse & { multiValueHeaders?: Record<string, string[]> }): { response: Response; setCookies: string[] } {
  const headers = new Headers(answer.headers);
  let setCookies: string[] = [];
  for (const [name, values] of Object.entries(answer.multiValueHeaders ?? {})) {
    if (name.toLowerCase() === 'set-cookie') setCookies = values;
    else for (const value of values) headers.append(name, value);
  }
  return { response: new Response(answer.body === '' ? null : answer.body, { status: answer.statusCode, headers }), setCookies };
}

const parsedBody = (text: string): unknown => {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
};

/** Takes the one-shot entry for `path` out of a fault map. */
function takeOnce<T>(faults: Map<string, T>, path: string): T | undefined {
  const fault = faults.get(path);
  faults.delete(path);
  return fault;
}

/** The API of the test app as `fetch`, with its request log, its cookie jar and its fault switches. */
export function createApiFetch(ctx: TestContext, options: ApiFetchOptions = {}) {
  const requests: ApiRequest[] = [];
  const jar = cookieJar();
  const lost = new Set<string>();
  const canned = new Map<string, Response>();
  const held = new Map<string, Promise<void>>();
  const sourceIp = options.sourceIp ?? uniqueSourceIp();
  const authorizer = makeAuthorizerHandler(options.authorizer ?? (() => ctx.app.deps()));
  const gatewayResponses = () => gatewayResponseResources({ realm: ctx.app.config.realm, corsOrigins: ctx.app.config.corsOrigins });

  /** What API Gateway makes of the TOKEN authorizer's verdict: the context for the route, or its refusal. */
  async function authorize(method: string, path: string, headers: Record<string, string>) {
    const authorization = headers.authorization;
    let outcome: AuthorizerOutcome;
    if (!authorization) {
      outcome = { missingToken: true }; // API Gateway does not even call a TOKEN authorizer then
    } else {
      const methodArn = `${tokenEvent.methodArn.split('/').slice(0, 2).join('/')}/${method}${path}`;
      try {
        outcome = { result: (await authorizer({ type: 'TOKEN', authorizationToken: authorization, methodArn })) as PolicyResult };
      } catch (error) {
        outcome = { error: error instanceof Error ? error.message : String(error) };
      }
    }
    const { response } = gatewayResponseFor(gatewayResponses(), outcome, headers);
    if (response) return { refusal: response };
    // No refusal: an Allow, whose context API Gateway hands the route with the principal.
    const { principalId, context } = (outcome as { result: PolicyResult }).result;
    return { context: { ...context, principalId } };
  }

  /** One request through API Gateway: the route, the authorizer where it guards the route, the handler. */
  async function gateway(method: string, path: string, headers: Record<string, string>, body: string) {
    const route = findRoute(method, path);
    if (!route) return renderGatewayResponse(gatewayResponses(), 'MISSING_AUTHENTICATION_TOKEN') as RenderedResponse;
    const verdict = route.guarded ? await authorize(method, path, headers) : undefined;
    if (verdict?.refusal) return verdict.refusal;
    const event = proxyEvent({ httpMethod: method, path, headers, rawBody: body === '' ? null : body, pathParameters: route.pathParameters, sourceIp });
    (event as HttpEvent).multiValueHeaders = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]]));
    event.resource = event.requestContext.resourcePath = route.template;
    if (verdict?.context) event.requestContext.authorizer = verdict.context;
    return ctx.handlers[route.handler](event);
  }

  async function apiFetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
    const request = new Request(input, init);
    const { pathname: path } = new URL(request.url);
    const body = await request.text();
    const headers = Object.fromEntries(request.headers);
    // A browser sends its cookies cross-origin only when asked to, and keeps them out of the page's reach.
    const cookie = request.credentials === 'include' ? jar.header(path) : undefined;
    if (cookie !== undefined) headers.cookie = cookie;
    const logged: ApiRequest = { method: request.method, path, headers: new Headers(headers), credentials: request.credentials, body: parsedBody(body) };
    requests.push(logged);

    await takeOnce(held, path);
    const cannedAnswer = takeOnce(canned, path);
    if (cannedAnswer) {
      logged.status = cannedAnswer.status;
      return cannedAnswer;
    }
    const { response, setCookies } = toResponse(await gateway(request.method, path, headers, body));
    if (lost.delete(path)) throw new TypeError('fetch failed');
    if (request.credentials === 'include') jar.store(path, setCookies);
    logged.status = response.status;
    return response;
  }

  return {
    fetch: apiFetch,
    /** Every request, in the order the API received them. */
    requests,
    /** The requests to one path (and method). */
    calls: (path: string, method?: string) => requests.filter((r) => r.path === path && (method === undefined || r.method === method)),
    /** What the browser's cookie jar holds. */
    cookies: () => jar.all(),
    /** The next request to `path` is handled, but its response is lost: the client gets a TypeError, as from a dropped connection. */
    loseNextResponse(path: string): void {
      lost.add(path);
    },
    /** The next request to `path` gets `response` from in front of the API, which never sees it (a 503 from a proxy, say). */
    answerNext(path: string, response: Response): void {
      canned.set(path, response);
    },
    /** The next request to `path` waits on its way to the API, before any of it runs, until the returned function is called. */
    holdNext(path: string): () => void {
      let release = () => undefined as void;
      held.set(path, new Promise<void>((resolve) => (release = resolve)));
      return () => release();
    },
  };
}
