/**
 * scripts/stack/plugin.js, driven directly with the parts of the Serverless service object it reads: a
 * deployment without its keys stops before anything is bundled, with a message naming what is missing.
 * (tests/package reads what it does to a real packaged template.)
 */
import { generateSigningJwk, loadKeyRing } from '../../lib/keys';
import { ROOT } from '../support/root';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const StackPlugin = require('../../scripts/stack/plugin.js') as new (serverless: unknown, options: unknown, utils: unknown) => { initialize(): Promise<void> };

const savedCpu = process.env.npm_config_cpu;
afterEach(() => {
  for (const name of ['npm_config_cpu', 'npm_config_os', 'npm_config_libc']) delete process.env[name];
  if (savedCpu !== undefined) process.env.npm_config_cpu = savedCpu;
});

/** A service as the framework resolves serverless.yml: a verifier and a signer, with these environments. */
function serverless(command: string, environments: { verifier: Record<string, string>; signer: Record<string, string> }) {
  return {
    serviceDir: ROOT,
    processedInput: { commands: [command] },
    classes: { Error },
    service: {
      custom: { realm: 'jwt-auth', corsOrigins: '' },
      resources: { Resources: {} as Record<string, unknown> },
      provider: { architecture: 'arm64', environment: { NODE_OPTIONS: '--enable-source-maps' } },
      functions: { authorizer: { environment: environments.verifier }, login: { environment: environments.signer } },
    },
  };
}

async function keySets() {
  const privateSet = JSON.stringify({ keys: [await generateSigningJwk('ES256')] });
  return { privateSet, publicSet: JSON.stringify({ keys: (await loadKeyRing(privateSet, 'ES256')).publicJwks }) };
}

const initialize = (service: ReturnType<typeof serverless>) => new StackPlugin(service, {}, { log: { notice: () => undefined } }).initialize();

it('packages with a public set for the verifiers and a secret name for the signers, for arm64', async () => {
  const { publicSet } = await keySets();
  const service = serverless('package', { verifier: { PUBLIC_JWKS: publicSet }, signer: { SIGNING_KEYS_SECRET: 'jwt-auth/prod/signing-keys' } });

  await initialize(service);

  expect(process.env).toMatchObject({ npm_config_cpu: 'arm64', npm_config_os: 'linux', npm_config_libc: 'glibc' });
  expect(Object.keys(service.service.resources.Resources)).toEqual(expect.arrayContaining(['GatewayResponseUnauthorized', 'GatewayResponseAccessDenied', 'GatewayResponseThrottled']));
});

it.each<[string, (sets: { privateSet: string; publicSet: string }) => { verifier: Record<string, string>; signer: Record<string, string> }, RegExp]>([
  ['no PUBLIC_JWKS', () => ({ verifier: { PUBLIC_JWKS: '' }, signer: { SIGNING_KEYS_SECRET: 'jwt-auth/prod/signing-keys' } }), /PUBLIC_JWKS must be set/],
  ['a private set as PUBLIC_JWKS', ({ privateSet }) => ({ verifier: { PUBLIC_JWKS: privateSet }, signer: { SIGNING_KEYS_SECRET: 'x' } }), /PUBLIC_JWKS.*private key material/],
  ['PUBLIC_JWKS that is not JSON', () => ({ verifier: { PUBLIC_JWKS: 'keys.json' }, signer: { SIGNING_KEYS_SECRET: 'x' } }), /PUBLIC_JWKS.*JSON JWK Set/],
  ['no secret name', ({ publicSet }) => ({ verifier: { PUBLIC_JWKS: publicSet }, signer: { SIGNING_KEYS_SECRET: '' } }), /SIGNING_KEYS_SECRET must name/],
  ['SIGNING_KEYS in a function’s environment', ({ privateSet, publicSet }) => ({ verifier: { PUBLIC_JWKS: publicSet }, signer: { SIGNING_KEYS: privateSet } }), /would carry SIGNING_KEYS, a private key/],
])('refuses to package with %s, naming it', async (_case, environments, message) => {
  const service = serverless('package', environments(await keySets()));

  const packaging = initialize(service);

  await expect(packaging).rejects.toThrow(message);
});

it('checks nothing of the keys for `npm start` (serverless offline), which makes its own', async () => {
  const service = serverless('offline', { verifier: { PUBLIC_JWKS: '' }, signer: { SIGNING_KEYS_SECRET: '' } });

  await initialize(service);

  expect(process.env.npm_config_cpu).toBe(savedCpu);
});
