import { EXAMPLE_SCOPE, makeExampleOrdersHandler } from '../../functions/example-orders';
import { EXPIRED_DESCRIPTION } from '../../lib/tokens';
import type { ProtectedRouteDeps } from '../../lib/verifier-deps';
import { bodyOf, proxyEvent } from '../support/app';

const NOW = Date.UTC(2030, 0, 1);
const deps = async (): Promise<ProtectedRouteDeps> => ({ config: { realm: 'jwt-auth', corsOrigins: [], clockSkew: 0 }, now: () => NOW });
const handler = makeExampleOrdersHandler(deps);
const caller = (scope: string, exp = NOW / 1000 + 60) => ({ sub: '2bbc8285-d916-4560-ad05-a9c2cf62296a', scope, sid: 'sid-1', client_id: 'shop-app', exp: String(exp) });
const get = (authorizer: ReturnType<typeof caller>) => proxyEvent({ httpMethod: 'GET', path: '/example/orders', rawBody: null, authorizer });

it('answers a caller with its own scope with their orders, read by their sub', async () => {
  const response = await handler(get(caller(`profile ${EXAMPLE_SCOPE}`)));

  expect(response.statusCode).toBe(200);
  expect(bodyOf(response)).toMatchObject({ owner: '2bbc8285-d916-4560-ad05-a9c2cf62296a', client_id: 'shop-app', scope: `profile ${EXAMPLE_SCOPE}` });
});

it('refuses a token without the route’s scope with 403 insufficient_scope naming it', async () => {
  const response = await handler(get(caller('profile sessions')));

  expect(response.statusCode).toBe(403);
  expect(response.headers['WWW-Authenticate']).toContain(`scope="${EXAMPLE_SCOPE}"`);
});

it('refuses a token a cached Allow let through after its exp with the contract’s expired-token 401', async () => {
  const response = await handler(get(caller(EXAMPLE_SCOPE, NOW / 1000 - 1)));

  expect(response.statusCode).toBe(401);
  expect(bodyOf(response)).toEqual({ code: 401, error: 'invalid_token', error_description: EXPIRED_DESCRIPTION });
});
