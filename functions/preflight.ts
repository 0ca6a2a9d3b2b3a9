import { preflight } from '../lib/cors';
import { runningInLambda, settings } from '../lib/config';
import type { HttpEvent, HttpResponse } from '../lib/http';

/** OPTIONS on every public route: CORS preflight, answered for the configured origins only. */
// In Lambda, a bad setting fails the cold start itself, naming the variable.
if (runningInLambda()) settings();

export const handler = async (event: HttpEvent): Promise<HttpResponse> => preflight(event, settings().corsOrigins);
