import { calculateJwkThumbprint, type JWK } from 'jose';
import { loadConfig, type Config, type SigningAlg , signerKeys } from '../../lib/config';
import { generateSigningJwk, loadKeyRing, type KeyRing } from '../../lib/keys';
import { createTokenService, type TokenService } from '../../lib/tokens';

/** The issuer and audience every test config uses. */
export const TEST_ISSUER = 'https://auth.example.test';
export const TEST_AUDIENCE = 'https://api.example.test';

/** `count` fresh private JWKs for `alg`, made by the product's own generator with real crypto. */
export async function signingJwks(alg: SigningAlg, count = 1): Promise<JWK[]> {
  const keys: JWK[] = [];
  for (let i = 0; i < count; i += 1) {
    const jwk = await generateSigningJwk(alg);
    // HS256 kids come from the clock; two made in one millisecond would collide.
    keys.push(alg === 'HS256' ? { ...jwk, kid: `hs-test-${i}-${jwk.kid}` } : jwk);
  }
  return keys;
}

/** A SIGNING_KEYS value: a JSON JWK Set, newest key first. */
export function signingKeysJson(keys: JWK[]): string {
  return JSON.stringify({ keys });
}

/** The minimum environment loadConfig accepts, plus `overrides`. */
export function testEnv(signingKeys: string, overrides: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    ISSUER: TEST_ISSUER,
    AUDIENCE: TEST_AUDIENCE,
    SIGNING_KEYS: signingKeys,
    USERS_TABLE: 'test-users',
    USERNAMES_TABLE: 'test-usernames',
    EMAILS_TABLE: 'test-emails',
    SESSIONS_TABLE: 'test-sessions',
    ATTEMPTS_TABLE: 'test-attempts',
    AWS_REGION: 'us-east-1',
    ...overrides,
  };
}

/** A real config, key ring and token service: the VerifierDeps the authorizer and metadata routes take. */
export interface TestSetup {
  alg: SigningAlg;
  jwks: JWK[];
  config: Config;
  keys: KeyRing;
  /** The clock the token service reads; tests move it by assigning `clock.now` (milliseconds). */
  clock: { now: number };
  now: () => number;
  tokens: TokenService;
}

/** A real config, key ring and token service for `alg`, with an injectable clock. */
export async function testSetup(
  alg: SigningAlg = 'ES256',
  env: Record<string, string | undefined> = {},
  jwks?: JWK[],
): Promise<TestSetup> {
  const keysForRing = jwks ?? (await signingJwks(alg));
  const config = loadConfig(testEnv(signingKeysJson(keysForRing), { SIGNING_ALG: alg, ...env }), signerKeys);
  const keys = await loadKeyRing(signingKeysJson(keysForRing), config.signingAlg);
  const clock = { now: Date.UTC(2030, 0, 1, 12, 0, 0) };
  const now = () => clock.now;
  const tokens = createTokenService(config, keys, now);
  return { alg, jwks: keysForRing, config, keys, clock, now, tokens };
}

/** A grant as the login handler would pass it. */
export const TEST_GRANT = { sub: 'user-7f3a', scope: 'profile sessions', sid: 'sid-0123456789abcdefghij', clientId: 'jwt-auth-cli' } as const;

/** The members RFC 7638 hashes, and a verifier needs: a public key as a JWKS should publish it. */
export function requiredPublicMembers(jwk: JWK): JWK {
  switch (jwk.kty) {
    case 'EC':
      return { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y };
    case 'OKP':
      return { kty: jwk.kty, crv: jwk.crv, x: jwk.x };
    case 'RSA':
      return { kty: jwk.kty, e: jwk.e, n: jwk.n };
    default:
      throw new Error(`no public members for ${jwk.kty}`);
  }
}

/** The kid the service should give a key, computed here without its code: the RFC 7638 thumbprint, or an HS256 key's own kid. */
export function expectedKid(jwk: JWK): Promise<string> {
  return jwk.kty === 'oct' ? Promise.resolve(jwk.kid as string) : calculateJwkThumbprint(requiredPublicMembers(jwk), 'sha256');
}
