import type { HttpResponse } from '../lib/http';
import { route, type EdgeDeps } from '../lib/route';
import { edgeDeps } from '../lib/verifier-deps';

/** OPTIONS on every public route: CORS preflight; the route wrapper adds the allowances for configured origins. */
export const makePreflightHandler = (deps: () => Promise<EdgeDeps>) =>
  route(deps, async (): Promise<HttpResponse> => ({ statusCode: 204, headers: { 'X-Content-Type-Options': 'nosniff' }, body: '' }));

export const handler = makePreflightHandler(edgeDeps());
