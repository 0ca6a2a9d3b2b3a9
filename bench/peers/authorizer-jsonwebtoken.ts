/** A peer authorizer: jsonwebtoken's verify on the published key (bench/cold-start.ts). */
import { createPublicKey } from 'node:crypto';
import jsonwebtoken from 'jsonwebtoken';
import { bearer, policy, settings, type TokenEvent } from './policy';

const { issuer, audience, jwks } = settings();
const jwk = jwks.keys[0]!;
const key = createPublicKey({ key: jwk as never, format: 'jwk' });

export async function handler(event: TokenEvent) {
  let claims: Record<string, unknown> | undefined;
  try {
    claims = jsonwebtoken.verify(bearer(event), key, { algorithms: [jwk.alg as never], issuer, audience }) as Record<string, unknown>;
  } catch {
    claims = undefined;
  }
  return policy(event, claims);
}
