export interface RenderedResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}
/** What API Gateway got from the authorizer: no call (no token), a thrown error, or a result. */
export type AuthorizerOutcome =
  | { missingToken: true }
  | { error: string }
  | { result: { policyDocument?: { Statement?: { Effect: string }[] }; context?: Record<string, string> } };
export interface GatewayResponseFacts {
  status: number;
  error: string;
  description: string;
  challenge?: 'realm' | 'invalid_token';
  retryAfter?: boolean;
}
export const GATEWAY_RESPONSES: Record<string, GatewayResponseFacts>;
export function gatewayResponseResources(options: { realm: string; corsOrigins?: string[] }): Record<string, { Type: string; Properties: Record<string, any> }>;
export function findGatewayResponse(resources: Record<string, unknown>, responseType: string): unknown;
export function renderGatewayResponse(resources: Record<string, unknown>, responseType: string, context?: Record<string, string>, requestHeaders?: Record<string, string | undefined>): RenderedResponse | undefined;
export function responseTypeFor(outcome: AuthorizerOutcome): string | undefined;
export function gatewayResponseFor(
  resources: Record<string, unknown>,
  outcome: AuthorizerOutcome,
  requestHeaders?: Record<string, string | undefined>,
): { type: string | undefined; response: RenderedResponse | undefined };
