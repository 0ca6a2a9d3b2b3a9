/**
 * Reading the private key set from AWS Secrets Manager (lib/secrets.ts), which nobody can reach from here:
 * the calls go to the AWS SDK's own mock client (aws-sdk-client-mock), the faults are the service's own errors.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { readSigningKeysSecret } from '../../lib/secrets';
import { signingJwks, signingKeysJson } from '../support/keys';

const secretsManager = mockClient(SecretsManagerClient);
afterEach(() => secretsManager.reset());

const serviceError = (name: string) => Object.assign(new Error(name), { name, $fault: 'client', $metadata: { httpStatusCode: 400 } });

it('reads the secret named by SIGNING_KEYS_SECRET, once, in the function’s region', async () => {
  const keySet = signingKeysJson(await signingJwks('ES256'));
  secretsManager.on(GetSecretValueCommand, { SecretId: 'jwt-auth/prod/signing-keys' }).resolves({ SecretString: keySet });

  const read = await readSigningKeysSecret('jwt-auth/prod/signing-keys', 'eu-west-1');

  expect(read).toBe(keySet);
  expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  expect(await secretsManager.commandCalls(GetSecretValueCommand)[0]!.thisValue.config.region()).toBe('eu-west-1');
});

it.each(['ResourceNotFoundException', 'AccessDeniedException', 'DecryptionFailure'])(
  'fails with a ConfigError naming SIGNING_KEYS_SECRET when the secret cannot be read (%s)',
  async (name) => {
    secretsManager.on(GetSecretValueCommand).rejects(serviceError(name));

    const reading = readSigningKeysSecret('jwt-auth/prod/signing-keys', 'us-east-1');

    await expect(reading).rejects.toMatchObject({ name: 'ConfigError', variable: 'SIGNING_KEYS_SECRET', message: expect.stringContaining(name) });
  },
);

it('fails with a ConfigError for a secret without a string value (a binary secret)', async () => {
  secretsManager.on(GetSecretValueCommand).resolves({ SecretBinary: new Uint8Array([1, 2, 3]) });

  await expect(readSigningKeysSecret('binary', 'us-east-1')).rejects.toMatchObject({ variable: 'SIGNING_KEYS_SECRET' });
});

it('lets a passing fault through as it is, so the next invocation tries again (lib/verifier-deps.ts once)', async () => {
  secretsManager.on(GetSecretValueCommand).rejects(serviceError('ThrottlingException'));

  await expect(readSigningKeysSecret('jwt-auth/prod/signing-keys', 'us-east-1')).rejects.toMatchObject({ name: 'ThrottlingException' });
});
