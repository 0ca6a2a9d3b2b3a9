import { json } from '../lib/http';
import { protectedRoute } from '../lib/route';
import { protectedRouteDeps, type ProtectedRouteDeps } from '../lib/verifier-deps';

/**
 * AN EXAMPLE, not part of the service: your own API behind this service's authorizer. It reads the caller
 * (`sub`, `scope`) through the same wrapper as the service's own routes, needs its own scope
 * (`orders:read`), and touches no table of this service. Copy it into your service (README, "Protect your
 * own API").
 */
export const EXAMPLE_SCOPE = 'orders:read';

export const makeExampleOrdersHandler = (deps: () => Promise<ProtectedRouteDeps>) =>
  protectedRoute(EXAMPLE_SCOPE, deps, async (_event, who) =>
    json(200, {
      owner: who.sub,
      client_id: who.clientId,
      scope: who.scope,
      // Your data, looked up by the caller's stable id.
      orders: [{ id: `order-of-${who.sub.slice(0, 8)}`, total: '42.00', currency: 'EUR' }],
    }),
  );

export const handler = makeExampleOrdersHandler(protectedRouteDeps());
