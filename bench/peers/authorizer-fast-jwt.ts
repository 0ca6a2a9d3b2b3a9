/** A peer authorizer: fast-jwt's verifier on the PEM of the published key (bench/cold-start.ts). */
import { createPublicKey } from 'node:crypto';
import { createVerifier } from 'fast-jwt';
import { bearer, policy, settings, type TokenEvent } from './policy';

const { issuer, audience, jwks } = settings();
const jwk = jwks.keys[0]!;
const verify = createVerifier({
  key: createPublicKey({ key: jwk as never, format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString(),
  algorithms: [jwk.alg as never],
  allowedIss: issuer,
  allowedAud: audience,
  checkTyp: 'at+jwt',
});

export async function handler(event: TokenEvent) {
  let claims: Record<string, unknown> | undefined;
  try {
    claims = verify(bearer(event)) as Record<string, unknown>;
  } catch {
    claims = undefined;
  }
  return policy(event, claims);
}
