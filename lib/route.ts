import { challenge } from './bearer';
import { caller, requireScope, requireUnexpired, type Caller } from './caller';
import type { Config } from './config';
import { withCors } from './cors';
import type { Context } from 'aws-lambda';
import { AuthError } from './errors';
import { errorResponse, sourceIp, type HttpEvent, type HttpResponse } from './http';
import { logger, startInvocation, withRequest } from './log';
import { publishMetrics } from './metrics';

/** What every route needs from its deps at the edge. */
export interface EdgeDeps {
  config: Pick<Config, 'realm' | 'corsOrigins'>;
}

/** What a route behind the authorizer needs besides: the clock, to refuse a token that expired under a cached Allow. */
export interface ProtectedDeps extends EdgeDeps {
  config: Pick<Config, 'realm' | 'corsOrigins' | 'clockSkew'>;
  now: () => number;
}

export type HttpHandler = (event: HttpEvent, context?: Context) => Promise<HttpResponse>;

type RequestContext = NonNullable<HttpEvent['requestContext']> & { requestId?: string };

/**
 * A refused bearer token gets its RFC 6750 challenge: the realm alone when no token came, else the error,
 * and the scope a 403 lacked.
 */
function withChallenge(error: unknown, realm: string): unknown {
  if (!(error instanceof AuthError) || (error.code !== 'invalid_token' && error.code !== 'insufficient_scope')) return error;
  return new AuthError(error.code, error.message, {
    status: error.status,
    headers: { ...error.headers, 'WWW-Authenticate': challenge(realm, error) },
    cause: error.cause,
  });
}

/**
 * The edge of every HTTP handler, as middy's http-error-handler: the handler only returns its answer or
 * throws; this turns what it throws into the contract's error body (with the challenge a refused token
 * needs) and gives every answer the CORS headers its origin may have. Handlers never catch.
 *
 * It also makes the invocation observable: every log line carries the function, the request id, the cold
 * start and the source address; what the request counted is written as one EMF line when it ends.
 */
export function route<D extends EdgeDeps>(
  deps: () => Promise<D>,
  handle: (event: HttpEvent, deps: D) => Promise<HttpResponse>,
  { cors = true }: { cors?: boolean } = {},
): HttpHandler {
  return async (event, context) => {
    startInvocation(context);
    const requestId = (event.requestContext as RequestContext | null | undefined)?.requestId ?? context?.awsRequestId;
    return withRequest({ requestId, sourceIp: sourceIp(event) }, async () => {
      let built: D | undefined;
      let response: HttpResponse;
      try {
        built = await deps();
        response = await handle(event, built);
      } catch (error) {
        if (!(error instanceof AuthError) || !error.expose) logger.error('request failed', error);
        response = errorResponse(built ? withChallenge(error, built.config.realm) : error);
      } finally {
        // What was counted must never turn an answer into a failed invocation (a 502).
        try {
          publishMetrics();
        } catch (error) {
          logger.warn('could not publish metrics', error);
        }
      }
      return built && cors ? withCors(event, response, built.config.corsOrigins) : response;
    });
  };
}

/**
 * A route behind the authorizer: the caller comes from the authorizer's context; a token that has expired
 * since the authorizer allowed it (a cached Allow) gets the contract's expired-token 401, and one without
 * `scope` (when one is named) gets 403 `insufficient_scope`, before the handler runs.
 */
export function protectedRoute<D extends ProtectedDeps>(
  scope: string | undefined,
  deps: () => Promise<D>,
  handle: (event: HttpEvent, who: Caller, deps: D) => Promise<HttpResponse>,
): HttpHandler {
  return route(deps, async (event, built) => {
    const who = caller(event);
    requireUnexpired(who, built.now(), built.config.clockSkew);
    requireScope(who, scope);
    return handle(event, who, built);
  });
}
