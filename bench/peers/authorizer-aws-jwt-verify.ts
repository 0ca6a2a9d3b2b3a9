/** A peer authorizer: aws-jwt-verify's JwtVerifier with the JWKS given at start (bench/cold-start.ts). */
import { JwtVerifier } from 'aws-jwt-verify';
import { bearer, policy, settings, type TokenEvent } from './policy';

const { issuer, audience, jwks } = settings();
const verifier = JwtVerifier.create({
  issuer,
  audience,
  jwksUri: `${issuer}/.well-known/jwks.json`,
  customJwtCheck: ({ header }) => {
    if (header.typ !== 'at+jwt') throw new Error('typ');
  },
});
verifier.cacheJwks(jwks as never);

export async function handler(event: TokenEvent) {
  let claims: Record<string, unknown> | undefined;
  try {
    claims = verifier.verifySync(bearer(event)) as Record<string, unknown>;
  } catch {
    claims = undefined;
  }
  return policy(event, claims);
}
