/**
 * What every peer authorizer of bench/peers answers: the same REST authorizer result as ours (an Allow or a
 * Deny for the whole API, the claims as context), so that only the verifying library differs.
 */
export interface TokenEvent {
  authorizationToken?: string;
  methodArn: string;
}

export const bearer = (event: TokenEvent) => /^Bearer (.+)$/i.exec(event.authorizationToken ?? '')?.[1] ?? '';

export function policy(event: TokenEvent, claims: Record<string, unknown> | undefined) {
  const [api, stage] = event.methodArn.split('/');
  return {
    principalId: typeof claims?.sub === 'string' ? claims.sub : 'anonymous',
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: claims ? 'Allow' : 'Deny', Resource: `${api}/${stage}/*` }],
    },
    context: claims ? { sub: String(claims.sub), scope: String(claims.scope), sid: String(claims.sid), client_id: String(claims.client_id), exp: String(claims.exp) } : {},
  };
}

/** The settings a deployed authorizer gets from its environment. */
export const settings = () => {
  const issuer = process.env.ISSUER ?? '';
  return { issuer, audience: process.env.AUDIENCE || issuer, jwks: JSON.parse(process.env.PUBLIC_JWKS ?? '{"keys":[]}') as { keys: Record<string, unknown>[] } };
};
