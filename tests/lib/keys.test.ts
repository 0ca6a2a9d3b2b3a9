import { generateKeyPairSync } from 'node:crypto';
import { calculateJwkThumbprint, jwtVerify, SignJWT, type JWK } from 'jose';
import type { SigningAlg } from '../../lib/config';
import { ConfigError } from '../../lib/errors';
import { loadKeyRing } from '../../lib/keys';
import { requiredPublicMembers, signingJwks, signingKeysJson } from '../support/keys';

const ASYMMETRIC: SigningAlg[] = ['ES256', 'RS256', 'EdDSA'];
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

function withoutKid(jwk: JWK): JWK {
  const { kid: _kid, ...rest } = jwk;
  return rest;
}

async function expectSigningKeysError(signingKeys: string, alg: SigningAlg): Promise<void> {
  const load = () => loadKeyRing(signingKeys, alg);
  await expect(load).rejects.toBeInstanceOf(ConfigError);
  await expect(load).rejects.toMatchObject({ variable: 'SIGNING_KEYS', message: expect.stringContaining('SIGNING_KEYS') });
}

describe('loadKeyRing', () => {
  it.each(ASYMMETRIC)('%s: the kid is the RFC 7638 SHA-256 thumbprint of the public key', async (alg) => {
    const [jwk] = await signingJwks(alg);
    const expectedKid = await calculateJwkThumbprint(requiredPublicMembers(jwk!), 'sha256');

    const ring = await loadKeyRing(signingKeysJson([{ ...withoutKid(jwk!), kid: 'chosen-by-operator' }]), alg);

    expect(ring.alg).toBe(alg);
    expect(ring.signing.kid).toBe(expectedKid);
    expect([...ring.verification.keys()]).toEqual([expectedKid]);
    expect(ring.publicJwks).toHaveLength(1);
    expect(ring.publicJwks[0]).toMatchObject({ ...requiredPublicMembers(jwk!), kid: expectedKid, alg, use: 'sig' });
  });

  it.each(ASYMMETRIC)('%s: publicJwks carries no private member', async (alg) => {
    const jwks = await signingJwks(alg, 2);

    const ring = await loadKeyRing(signingKeysJson(jwks), alg);

    expect(ring.publicJwks).toHaveLength(2);
    for (const published of ring.publicJwks) {
      for (const member of PRIVATE_MEMBERS) expect(published).not.toHaveProperty(member);
    }
  });

  it('HS256: keeps the operator kid and publishes nothing', async () => {
    const [jwk] = await signingJwks('HS256');

    const ring = await loadKeyRing(signingKeysJson([{ ...jwk!, kid: 'hs-2030-01' }]), 'HS256');

    expect(ring.signing.kid).toBe('hs-2030-01');
    expect([...ring.verification.keys()]).toEqual(['hs-2030-01']);
    expect(ring.publicJwks).toEqual([]);
  });

  it.each<SigningAlg>(['ES256', 'RS256', 'EdDSA', 'HS256'])('%s: with two keys, signs with the first and verifies with both', async (alg) => {
    const jwks = await signingJwks(alg, 2);
    const newest = await loadKeyRing(signingKeysJson([jwks[0]!]), alg);
    const older = await loadKeyRing(signingKeysJson([jwks[1]!]), alg);
    const tokenFromOlderKey = await new SignJWT({}).setProtectedHeader({ alg, kid: older.signing.kid }).sign(older.signing.key);

    const ring = await loadKeyRing(signingKeysJson(jwks), alg);

    expect(ring.signing.kid).toBe(newest.signing.kid);
    expect([...ring.verification.keys()].sort()).toEqual([newest.signing.kid, older.signing.kid].sort());
    const tokenFromRing = await new SignJWT({}).setProtectedHeader({ alg, kid: ring.signing.kid }).sign(ring.signing.key);
    await expect(jwtVerify(tokenFromRing, newest.verification.get(newest.signing.kid)!)).resolves.toBeDefined();
    await expect(jwtVerify(tokenFromOlderKey, ring.verification.get(older.signing.kid)!)).resolves.toBeDefined();
  });
});

describe('loadKeyRing refuses unusable SIGNING_KEYS with a ConfigError naming SIGNING_KEYS', () => {
  it.each<[string, SigningAlg, SigningAlg]>([
    ['an EC key', 'ES256', 'RS256'],
    ['an RSA key', 'RS256', 'ES256'],
    ['an RSA key', 'RS256', 'EdDSA'],
    ['an Ed25519 key', 'EdDSA', 'ES256'],
    ['an HMAC secret', 'HS256', 'ES256'],
    ['an EC key', 'ES256', 'HS256'],
  ])('%s (made for %s) under SIGNING_ALG=%s', async (_what, madeFor, configured) => {
    const jwks = await signingJwks(madeFor);

    await expectSigningKeysError(signingKeysJson(jwks), configured);
  });

  it('a P-384 key for ES256 (wrong curve)', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    const jwk = privateKey.export({ format: 'jwk' }) as JWK;

    await expectSigningKeysError(signingKeysJson([jwk]), 'ES256');
  });

  it('an RSA key of 1024 bits', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const jwk = privateKey.export({ format: 'jwk' }) as JWK;

    await expectSigningKeysError(signingKeysJson([jwk]), 'RS256');
  });

  it('an HS256 secret of 128 bits', async () => {
    const jwk: JWK = { kty: 'oct', kid: 'short', k: Buffer.alloc(16, 7).toString('base64url') };

    await expectSigningKeysError(signingKeysJson([jwk]), 'HS256');
  });

  it('an HS256 secret without a kid', async () => {
    const [jwk] = await signingJwks('HS256');

    await expectSigningKeysError(signingKeysJson([withoutKid(jwk!)]), 'HS256');
  });

  it.each(ASYMMETRIC)('%s: a public-only key', async (alg) => {
    const [jwk] = await signingJwks(alg);
    const publicOnly = requiredPublicMembers(jwk!);

    await expectSigningKeysError(signingKeysJson([publicOnly]), alg);
  });

  it('a valid first key followed by a bad one (every key is checked)', async () => {
    const [good] = await signingJwks('ES256');
    const [bad] = await signingJwks('RS256');

    await expectSigningKeysError(signingKeysJson([good!, bad!]), 'ES256');
  });

  it.each([
    ['not JSON', 'not json'],
    ['truncated JSON', '{"keys":[{"kty":"EC"'],
    ['a bare JWK', '{"kty":"EC","crv":"P-256"}'],
    ['an empty key set', '{"keys":[]}'],
    ['keys that are not objects', '{"keys":["a"]}'],
    ['null', 'null'],
    ['an array', '[]'],
  ])('%s', async (_what, signingKeys) => {
    await expectSigningKeysError(signingKeys, 'ES256');
  });
});
