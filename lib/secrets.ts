import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { signerKeys, type VerifierConfig } from './config';
import { ConfigError } from './errors';
import { loadKeyRing, type KeyRing } from './keys';

/**
 * The private key set from AWS Secrets Manager (SIGNING_KEYS_SECRET), read once per cold start by the
 * functions that sign. A secret that is missing or unreadable fails the start naming the variable; a
 * throttled or unreachable Secrets Manager is tried again at the next invocation.
 */
export async function readSigningKeysSecret(secretId: string, region: string): Promise<string> {
  const client = new SecretsManagerClient({ region, maxAttempts: 3 });
  try {
    const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
    if (!SecretString) throw new ConfigError('SIGNING_KEYS_SECRET', `names a secret (${secretId}) without a string value`);
    return SecretString;
  } catch (error) {
    const name = error instanceof Error ? error.name : '';
    if (name === 'ResourceNotFoundException' || name === 'AccessDeniedException' || name === 'DecryptionFailure') {
      throw Object.assign(new ConfigError('SIGNING_KEYS_SECRET', `names a secret (${secretId}) this function cannot read: ${name}`), { cause: error });
    }
    throw error;
  } finally {
    client.destroy();
  }
}

/**
 * How long a signer keeps the key set it read: a `promote` (README, "Rotating a key") reaches every warm
 * container within this time, without a deploy.
 */
export const KEY_SET_MAX_AGE_MS = 5 * 60 * 1000;

/**
 * Where the keys of a function that signs come from: SIGNING_KEYS locally, the Secrets Manager secret
 * SIGNING_KEYS_SECRET deployed, read again every KEY_SET_MAX_AGE_MS.
 */
export const signingKeysFromSecret = {
  source: signerKeys,
  maxAgeMs: KEY_SET_MAX_AGE_MS,
  async load(config: VerifierConfig & { region: string }): Promise<KeyRing> {
    const { keys, signingAlg } = config;
    if (keys.kind === 'private') return loadKeyRing(keys.json, signingAlg);
    if (keys.kind === 'public') throw new ConfigError('SIGNING_KEYS_SECRET', 'must be set for a function that signs (PUBLIC_JWKS cannot sign)');
    return loadKeyRing(await readSigningKeysSecret(keys.secretId, config.region), signingAlg, 'SIGNING_KEYS_SECRET');
  },
};
