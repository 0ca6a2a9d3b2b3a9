/**
 * The local-gateway plugin that `npm start` runs before serverless-offline (scripts/local-gateway/plugin.js),
 * driven directly with the parts of the Serverless service object it reads: its data survives a restart,
 * and a port in use stops it with a plain message. (Every e2e test runs it under the real CLI.)
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { argon2Hasher } from '../../lib/argon2';
import { isCommonPassword } from '../../lib/common-passwords';
import { loadConfig, signerKeys } from '../../lib/config';
import { createAppDeps } from '../../lib/deps';
import { createDocumentClient } from '../../lib/dynamo';
import { loadKeyRing } from '../../lib/keys';
import { uniqueUsername } from '../support/app';
import { manifestResources } from '../support/dynalite';
import { acceptsConnections, freePort } from '../support/offline';
import { ROOT } from '../support/root';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const LocalGatewayPlugin = require('../../scripts/local-gateway/plugin.js') as new (serverless: unknown, options: unknown, utils: unknown) => {
  start(): Promise<void>;
  stop(): Promise<void>;
};

const PASSWORD = 'correct horse battery staple';
const quiet = { log: { notice: () => undefined } };

let dataDir: string;
const savedEnv = { PORT: process.env.PORT, DATA_DIR: process.env.DATA_DIR, ISSUER: process.env.ISSUER };

beforeEach(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'jwt-auth-plugin-'));
});
afterEach(() => {
  fs.rmSync(dataDir, { recursive: true, force: true });
  for (const [name, value] of Object.entries(savedEnv)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  jest.restoreAllMocks();
});

/**
 * The slice of the Serverless Framework's service object the plugin reads, with serverless.yml's tables and
 * two functions' environments as the framework resolves them: a signer and a verifier.
 */
function serverless() {
  const resources = manifestResources();
  const tables = { USERS_TABLE: { Ref: 'UsersTable' }, USERNAMES_TABLE: { Ref: 'UsernamesTable' }, EMAILS_TABLE: { Ref: 'EmailsTable' }, SESSIONS_TABLE: { Ref: 'SessionsTable' }, ATTEMPTS_TABLE: { Ref: 'LoginAttemptsTable' } };
  const issuer = { 'Fn::If': ['HasCustomDomain', 'https://domain', 'https://api'] };
  return {
    serviceDir: ROOT,
    getProvider: () => ({ getStage: () => 'dev' }),
    service: {
      service: 'jwt-auth',
      custom: {},
      resources: { Resources: resources },
      provider: { environment: { NODE_OPTIONS: '--enable-source-maps' } as Record<string, unknown> },
      functions: {
        register: {
          environment: {
            ISSUER: issuer, SIGNING_ALG: 'ES256', ...tables, SIGNING_KEYS_SECRET: 'jwt-auth/dev/signing-keys',
            PASSWORD_RESET_URL: 'http://localhost:3100/reset-password', EMAIL_VERIFICATION_URL: 'http://localhost:3100/verify-email', MAILER_FUNCTION: 'jwt-auth-dev-mailer',
          } as Record<string, unknown>,
        },
        authorizer: { environment: { ISSUER: issuer, SIGNING_ALG: 'ES256', PUBLIC_JWKS: '' } as Record<string, unknown> },
      },
    },
  };
}

/** Starts the plugin as `npm start` would on PORT and DATA_DIR; returns the environment it gave two functions. */
async function startPlugin(port: number) {
  Object.assign(process.env, { PORT: String(port), DATA_DIR: dataDir });
  delete process.env.ISSUER;
  const service = serverless();
  const plugin = new LocalGatewayPlugin(service, {}, quiet);
  await plugin.start();
  const { provider, functions } = service.service;
  const envOf = (fn: { environment: Record<string, unknown> }) => ({ ...provider.environment, ...fn.environment }) as Record<string, string>;
  return { plugin, env: envOf(functions.register), verifierEnv: envOf(functions.authorizer) };
}

/** The service's own composition root on the environment the plugin prepared. */
async function appOn(env: Record<string, string>) {
  const config = loadConfig(env, signerKeys);
  const doc = createDocumentClient(config);
  return { deps: createAppDeps({ config, keys: await loadKeyRing(env.SIGNING_KEYS!, config.signingAlg), doc, passwords: argon2Hasher, isCommonPassword }), doc };
}

test('a user and the signing key survive a restart on the same DATA_DIR, and the port is freed on stop', async () => {
  const port = await freePort();
  const username = uniqueUsername('restart');
  const first = await startPlugin(port);
  const before = await appOn(first.env);
  await before.deps.auth.register({ username, password: PASSWORD });
  before.doc.destroy();
  await first.plugin.stop();
  const portOpenAfterStop = await acceptsConnections(port);

  const second = await startPlugin(port);
  const after = await appOn(second.env);
  const login = await after.deps.auth.login({ username, password: PASSWORD });
  after.doc.destroy();
  await second.plugin.stop();

  expect(portOpenAfterStop).toBe(false);
  expect(second.env.SIGNING_KEYS).toBe(first.env.SIGNING_KEYS);
  expect(second.env.USERS_TABLE).toBe('jwt-auth-dev-UsersTable');
  expect(second.env.SIGNING_KEYS_SECRET).toBeUndefined();
  // Messages go to the outbox in DATA_DIR, never to a mailer function.
  expect(second.env.OUTBOX_DIR).toBe(path.join(dataDir, 'outbox'));
  expect(second.env.MAILER_FUNCTION).toBeUndefined();
  expect(JSON.parse(second.verifierEnv.PUBLIC_JWKS!).keys.map((key: Record<string, unknown>) => [key.kid, 'd' in key])).toEqual(
    JSON.parse(second.env.SIGNING_KEYS!).keys.map((key: Record<string, unknown>) => [key.kid, false]),
  );
  expect(second.env.ISSUER).toBe(`http://localhost:${port}`);
  expect(login.refreshToken).toEqual(expect.any(String));
  expect(fs.statSync(path.join(dataDir, 'signing-keys.ES256.json')).mode & 0o777).toBe(0o600);
});

test('a PORT already in use stops the start with a plain message and exit code 1', async () => {
  const port = await freePort();
  const blocker = net.createServer();
  await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
  const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  jest.spyOn(process, 'exit').mockImplementation((code) => {
    throw new Error(`exit ${code}`);
  });

  const starting = startPlugin(port);

  await expect(starting).rejects.toThrow('exit 1');
  expect(stderr.mock.calls.join('')).toContain(`port ${port} is already in use`);
  await new Promise((resolve) => blocker.close(resolve));
});

test('an OAUTH_CLIENTS that is no list of valid clients stops the start, naming it, before anything listens', async () => {
  const port = await freePort();
  const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  jest.spyOn(process, 'exit').mockImplementation((code) => {
    throw new Error(`exit ${code}`);
  });
  Object.assign(process.env, { PORT: String(port), DATA_DIR: dataDir });
  const service = serverless();
  const clients = [{ client_id: 'app', redirect_uris: ['http://evil.example/cb'] }];
  Object.assign(service.service.functions, {
    authorize: { environment: { ...service.service.functions.register.environment, CLIENTS_TABLE: { Ref: 'ClientsTable' }, CODES_TABLE: { Ref: 'CodesTable' }, BROWSER_SESSIONS_TABLE: { Ref: 'BrowserSessionsTable' }, OAUTH_CLIENTS: JSON.stringify(clients) } },
  });

  const starting = new LocalGatewayPlugin(service, {}, quiet).start();

  await expect(starting).rejects.toThrow('exit 1');
  expect(stderr.mock.calls.join('')).toContain('OAUTH_CLIENTS');
  expect(stderr.mock.calls.join('')).toContain('uses http on a host other than loopback');
  expect(await acceptsConnections(port)).toBe(false);
});
