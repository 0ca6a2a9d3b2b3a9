import { bearerToken, headerSafe, isBearerScheme, MISSING_TOKEN_DESCRIPTION } from './bearer';
import { authorizerContext } from './caller';
import { AuthError } from './errors';
import { emitVerdict } from './authorizer-metrics';
import { InvalidTokenError, type AccessClaims } from './tokens';

/** The three event shapes API Gateway sends a Lambda authorizer. */
export interface TokenAuthorizerEvent {
  type: 'TOKEN';
  authorizationToken?: string;
  methodArn: string;
}
export interface RequestAuthorizerEvent {
  type: 'REQUEST';
  methodArn: string;
  headers?: Record<string, string | undefined> | null;
}
export interface HttpApiAuthorizerEvent {
  version: '2.0';
  type: 'REQUEST';
  routeArn: string;
  headers?: Record<string, string | undefined> | null;
}
export type AuthorizerEvent = TokenAuthorizerEvent | RequestAuthorizerEvent | HttpApiAuthorizerEvent;

export interface PolicyResult {
  principalId: string;
  policyDocument: { Version: '2012-10-17'; Statement: { Action: 'execute-api:Invoke'; Effect: 'Allow' | 'Deny'; Resource: string }[] };
  context: Record<string, string>;
}
export interface SimpleResult {
  isAuthorized: boolean;
  context: Record<string, string>;
}

function authorizationHeader(event: AuthorizerEvent): string | undefined {
  if (event.type === 'TOKEN') return event.authorizationToken;
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    if (name.toLowerCase() === 'authorization' && typeof value === 'string') return value;
  }
  return undefined;
}

/**
 * Every method and path of the API's stage. API Gateway caches a policy per token for all routes behind
 * the authorizer, so a policy naming only the one methodArn would make other routes answer 403.
 */
export function wholeApi(arn: string): string {
  // arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/{method}/{path…}
  const [api, stage] = arn.split('/');
  return `${api}/${stage}/*`;
}

/**
 * What a REST authorizer throws for a request without a bearer token: API Gateway then answers with the
 * UNAUTHORIZED gateway response (a challenge with the realm only, RFC 6750 §3.1), as it does by itself when
 * the Authorization header is absent.
 */
export const UNAUTHORIZED = 'Unauthorized';

/**
 * Decides one authorizer call. A valid token is allowed with its claims as context (strings only); an
 * invalid one is denied with the RFC 6750 error as context, which the ACCESS_DENIED gateway response in
 * serverless.yml renders into the contract's 401. No bearer token at all: see UNAUTHORIZED.
 */
export async function authorize(
  event: AuthorizerEvent,
  verify: (token: string) => Promise<AccessClaims>,
): Promise<PolicyResult | SimpleResult> {
  const header = authorizationHeader(event);
  const token = bearerToken(header);
  let claims: AccessClaims | undefined;
  let refused: AuthError | undefined; // stays undefined for a request without a token
  // "Bearer" with a credential that is not even a b64token: a token was sent, and it is no good.
  if (token === undefined && isBearerScheme(header)) refused = new AuthError('invalid_token', 'The access token is malformed.');
  if (token !== undefined) {
    try {
      claims = await verify(token);
    } catch (error) {
      if (!(error instanceof AuthError)) throw error; // a fault, not a verdict
      refused = error;
    }
  }
  const allowed = claims !== undefined;
  emitVerdict(allowed ? { allowed } : { allowed, reason: refused instanceof InvalidTokenError ? refused.reason : refused ? 'malformed' : 'missing' });
  // The gateway responses render a refusal's context into the contract's body (serverless.yml).
  const context: Record<string, string> = claims
    ? { ...authorizerContext(claims) }
    : { error: 'invalid_token', error_description: headerSafe(refused?.message ?? MISSING_TOKEN_DESCRIPTION) };
  if ('version' in event && event.version === '2.0') return { isAuthorized: allowed, context };
  if (claims === undefined && refused === undefined) throw new Error(UNAUTHORIZED);
  const arn = 'methodArn' in event ? event.methodArn : '';
  return {
    principalId: claims?.sub ?? 'anonymous',
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: allowed ? 'Allow' : 'Deny', Resource: wholeApi(arn) }],
    },
    context,
  };
}
