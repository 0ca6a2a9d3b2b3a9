import { preflight } from '../lib/cors';
import { settings } from '../lib/config';
import type { HttpEvent, HttpResponse } from '../lib/http';

/** OPTIONS on every public route: CORS preflight, answered for the configured origins only. */
export const handler = async (event: HttpEvent): Promise<HttpResponse> => preflight(event, settings().corsOrigins);
