import { AuthError, temporarilyUnavailable } from '../../lib/errors';
import { json, noContent, type HttpResponse } from '../../lib/http';
import { EXPIRED_DESCRIPTION } from '../../lib/tokens';
import { logger } from '../../lib/log';
import { protectedRoute, route, type EdgeDeps, type ProtectedDeps } from '../../lib/route';
import { bodyOf, proxyEvent } from '../support/app';
import { captureOutput } from '../support/logs';
import { parseBearerChallenge } from '../support/offline';

const APP = 'https://app.example.com';
const NOW = Date.UTC(2030, 0, 1);
const deps = async (): Promise<ProtectedDeps> => ({ config: { realm: 'jwt-auth', corsOrigins: [APP], clockSkew: 0 }, now: () => NOW });
const CALLER = { sub: 'user-7f3a', scope: 'profile', sid: 'sid-1', client_id: 'default', exp: String(NOW / 1000 + 60) };

const fromApp = (options: Parameters<typeof proxyEvent>[0] = {}) =>
  proxyEvent({ ...options, headers: { Origin: APP, 'Content-Type': 'application/json', ...options.headers } });
const throwing = (error: unknown) => async (): Promise<HttpResponse> => {
  throw error;
};

const output = captureOutput();

describe('route', () => {
  it('returns the handler’s answer with the CORS headers of a configured origin', async () => {
    const handler = route(deps, async () => json(200, { ok: true }));

    const response = await handler(fromApp());

    expect(response.statusCode).toBe(200);
    expect(bodyOf(response)).toEqual({ ok: true });
    expect(response.headers).toMatchObject({ 'Access-Control-Allow-Origin': APP, Vary: 'Origin', 'Cache-Control': 'no-store' });
  });

  it('turns what the handler throws into the contract’s error body, with CORS, so a browser can read a 503', async () => {
    const handler = route(deps, throwing(temporarilyUnavailable(new Error('throttled'))));

    const response = await handler(fromApp());

    expect(response.statusCode).toBe(503);
    expect(bodyOf(response)).toMatchObject({ code: 503, error: 'temporarily_unavailable' });
    expect(response.headers).toMatchObject({ 'Retry-After': '1', 'Access-Control-Allow-Origin': APP });
    expect(response.headers['Access-Control-Expose-Headers']).toMatch(/Retry-After/);
  });

  it('answers anything that is not an AuthError with a bare 500 that says nothing about the server', async () => {
    const handler = route(deps, throwing(new TypeError('secret internals')));

    const response = await handler(fromApp());

    expect(response.statusCode).toBe(500);
    expect(bodyOf(response)).toEqual({ code: 500, error: 'server_error', error_description: 'The server could not complete the request.' });
    // The operator hears what the client does not.
    expect(output.logs()).toEqual([expect.objectContaining({ level: 'ERROR', message: 'request failed', error: { name: 'TypeError', message: 'secret internals' } })]);
    expect(output.metrics()).toEqual({});
  });

  it('logs each line with the function, its request ids, the cold start and the source address', async () => {
    const context = {
      functionName: 'jwt-auth-prod-login', functionVersion: '$LATEST', invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:jwt-auth-prod-login',
      memoryLimitInMB: '1024', awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
    } as Parameters<ReturnType<typeof route>>[1];
    const handler = route(deps, throwing(new TypeError('first')));
    const event = fromApp();
    process.env.AWS_LAMBDA_INITIALIZATION_TYPE = 'on-demand'; // as Lambda says of a container it starts for a request
    logger.setLevel('DEBUG'); // a new process, as far as the logger knows
    delete process.env.AWS_LAMBDA_INITIALIZATION_TYPE;

    await handler(event, context);
    await handler(event, context);

    const [first, second] = output.logs();
    const expected = {
      level: 'ERROR', service: 'jwt-auth', function_name: 'jwt-auth-prod-login', function_request_id: context!.awsRequestId,
      request_id: event.requestContext.requestId, source_ip: event.requestContext.identity.sourceIp, timestamp: expect.any(String),
    };
    expect(first).toMatchObject({ ...expected, cold_start: true });
    expect(second).toMatchObject({ ...expected, cold_start: false });
  });

  it('keeps each request’s id and address on its own lines when twenty requests overlap in one process', async () => {
    // Each handler logs, waits a different while, and logs again: lines of all twenty interleave.
    const handler = route(deps, async (event) => {
      logger.info('before');
      await new Promise((resolve) => setTimeout(resolve, Number(event.requestContext?.identity?.sourceIp?.split('.')[3]) % 7));
      logger.info('after');
      return json(200, {});
    });
    const events = Array.from({ length: 20 }, (_, i) => {
      const event = fromApp({ sourceIp: `198.51.100.${i + 1}` });
      event.requestContext.requestId = `request-${i + 1}`;
      return event;
    });

    await Promise.all(events.map((event) => handler(event)));

    const lines = output.logs();
    expect(lines).toHaveLength(40);
    for (const line of lines) expect(String(line.request_id).replace('request-', '')).toBe(String(line.source_ip).split('.')[3]);
    expect(new Set(lines.map((line) => line.request_id)).size).toBe(20);
  });

  it('gives an invalid_token its RFC 6750 challenge with the error and description', async () => {
    const handler = route(deps, throwing(new AuthError('invalid_token', 'The access token belongs to no user.')));

    const response = await handler(fromApp());

    expect(response.statusCode).toBe(401);
    expect(parseBearerChallenge(response.headers['WWW-Authenticate'])).toEqual({
      realm: 'jwt-auth',
      error: 'invalid_token',
      error_description: 'The access token belongs to no user.',
    });
  });

  it('gives a request that carried no token the realm-only challenge', async () => {
    const handler = route(deps, throwing(new AuthError('invalid_token', 'The access token is missing.', { anonymous: true })));

    const response = await handler(fromApp());

    expect(response.statusCode).toBe(401);
    expect(response.headers['WWW-Authenticate']).toBe('Bearer realm="jwt-auth"');
  });

  it('adds no challenge to errors that are not about the bearer token', async () => {
    const handler = route(deps, throwing(new AuthError('invalid_grant', 'The refresh token is invalid, expired or revoked.')));

    const response = await handler(fromApp());

    expect(response.statusCode).toBe(400);
    expect(response.headers['WWW-Authenticate']).toBeUndefined();
  });

  it('answers 500 without CORS when the deps cannot be built (a broken configuration)', async () => {
    const handler = route(async (): Promise<EdgeDeps> => { throw new Error('SIGNING_KEYS must be set'); }, async () => noContent());

    const response = await handler(fromApp());

    expect(response.statusCode).toBe(500);
    expect(response.headers['Access-Control-Allow-Origin']).toBeUndefined();
  });
});

describe('protectedRoute', () => {
  it('hands the handler the caller from the authorizer context', async () => {
    const seen: unknown[] = [];
    const handler = protectedRoute('profile', deps, async (_event, who) => {
      seen.push(who);
      return noContent();
    });

    const response = await handler(fromApp({ authorizer: CALLER }));

    expect(response.statusCode).toBe(204);
    expect(seen).toEqual([{ sub: 'user-7f3a', scope: 'profile', sid: 'sid-1', clientId: 'default', exp: NOW / 1000 + 60 }]);
  });

  it.each([
    ['at its exp', 0],
    ['long after it', 3600],
  ])('answers the contract’s expired-token 401 to a token %s that a cached Allow let through', async (_case, after) => {
    const ran = jest.fn(async () => noContent());
    const handler = protectedRoute('profile', deps, ran);

    const response = await handler(fromApp({ authorizer: { ...CALLER, exp: String(NOW / 1000 - after) } }));

    expect(response.statusCode).toBe(401);
    expect(bodyOf(response)).toEqual({ code: 401, error: 'invalid_token', error_description: EXPIRED_DESCRIPTION });
    expect(parseBearerChallenge(response.headers['WWW-Authenticate'])).toMatchObject({ error: 'invalid_token' });
    expect(response.headers['Access-Control-Allow-Origin']).toBe(APP);
    expect(ran).not.toHaveBeenCalled();
  });

  it('lets the token through one second before its exp', async () => {
    const handler = protectedRoute('profile', deps, async () => noContent());

    const response = await handler(fromApp({ authorizer: { ...CALLER, exp: String(NOW / 1000 + 1) } }));

    expect(response.statusCode).toBe(204);
  });

  it('refuses a token without the route’s scope with 403 insufficient_scope naming it, before the handler runs', async () => {
    const ran = jest.fn(async () => noContent());
    const handler = protectedRoute('sessions', deps, ran);

    const response = await handler(fromApp({ authorizer: CALLER }));

    expect(response.statusCode).toBe(403);
    expect(bodyOf(response)).toMatchObject({ code: 403, error: 'insufficient_scope' });
    expect(parseBearerChallenge(response.headers['WWW-Authenticate'])).toMatchObject({ error: 'insufficient_scope', scope: 'sessions' });
    expect(response.headers['Access-Control-Allow-Origin']).toBe(APP);
    expect(ran).not.toHaveBeenCalled();
  });

  it('answers 500, not 401, for a route deployed without the authorizer', async () => {
    const handler = protectedRoute(undefined, deps, async () => noContent());

    const response = await handler(fromApp());

    expect(response.statusCode).toBe(500);
  });
});
