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
export function findGatewayResponse(resources: Record<string, unknown>, responseType: string): unknown;
export function renderGatewayResponse(resources: Record<string, unknown>, responseType: string, context?: Record<string, string>): RenderedResponse | undefined;
export function responseTypeFor(outcome: AuthorizerOutcome): string | undefined;
export function gatewayResponseFor(resources: Record<string, unknown>, outcome: AuthorizerOutcome): { type: string | undefined; response: RenderedResponse | undefined };
