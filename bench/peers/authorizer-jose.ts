/** A peer authorizer: jose's jwtVerify with the key imported once, nothing else (bench/cold-start.ts). */
import { importJWK, jwtVerify, type JWK } from 'jose';
import { bearer, policy, settings, type TokenEvent } from './policy';

const { issuer, audience, jwks } = settings();
const jwk = jwks.keys[0] as JWK;
const key = importJWK(jwk, jwk.alg);

export async function handler(event: TokenEvent) {
  const claims = await jwtVerify(bearer(event), await key, { algorithms: [jwk.alg!], issuer, audience, typ: 'at+jwt' }).then(({ payload }) => payload, () => undefined);
  return policy(event, claims);
}
