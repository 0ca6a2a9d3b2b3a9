/**
 * The local-gateway plugin that `npm start` runs before serverless-offline (scripts/local-gateway/plugin.js),
 * driven directly with the parts of the Serverless service object it reads: its data survives a restart,
 * and a port in use stops it with a plain message. (Every e2e test runs it under the real CLI.)
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { isCommonPassword } from '../../lib/common-passwords';
import { loadConfig } from '../../lib/config';
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

/** The slice of the Serverless Framework's service object the plugin reads, with serverless.yml's tables. */
function serverless() {
  const resources = manifestResources();
  const names: Record<string, string> = {
    UsersTable: 'local-users',
    UsernamesTable: 'local-usernames',
    SessionsTable: 'local-sessions',
    LoginAttemptsTable: 'local-attempts',
  };
  for (const [id, name] of Object.entries(names)) resources[id]!.Properties.TableName = name;
  return {
    serviceDir: ROOT,
    getProvider: () => ({ getStage: () => 'dev' }),
    service: {
      service: 'jwt-auth',
      custom: {},
      resources: { Resources: resources },
      provider: {
        environment: {
          SIGNING_ALG: 'ES256',
          SIGNING_KEYS: '',
          USERS_TABLE: names.UsersTable,
          USERNAMES_TABLE: names.UsernamesTable,
          SESSIONS_TABLE: names.SessionsTable,
          ATTEMPTS_TABLE: names.LoginAttemptsTable,
        } as Record<string, string>,
      },
    },
  };
}

/** Starts the plugin as `npm start` would on PORT and DATA_DIR; returns the environment it gave the functions. */
async function startPlugin(port: number) {
  Object.assign(process.env, { PORT: String(port), DATA_DIR: dataDir });
  delete process.env.ISSUER;
  const service = serverless();
  const plugin = new LocalGatewayPlugin(service, {}, quiet);
  await plugin.start();
  return { plugin, env: service.service.provider.environment };
}

/** The service's own composition root on the environment the plugin prepared. */
async function appOn(env: Record<string, string>) {
  const config = loadConfig(env);
  const doc = createDocumentClient(config);
  return { deps: createAppDeps({ config, keys: await loadKeyRing(config.signingKeys, config.signingAlg), doc, isCommonPassword }), doc };
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
