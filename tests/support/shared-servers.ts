/**
 * The local servers (`serverless offline start`, as `npm start` runs it) that the end-to-end tests share:
 * started once per `npm test` by the e2e project's global setup, in the background, so that they boot
 * while other tests run. A test file asks for one by name and waits until it answers.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { JWK } from 'jose';
import { generateSigningJwk } from '../../lib/keys';
import { apiRequest, freePort, OfflineServer, untilReady, type LocalApi } from './offline';
import { OIDC_CLIENTS } from './oidc';

/** Each shared server's configuration beyond serverless.yml's defaults. */
export const SHARED_SERVERS = {
  /** Default lifetimes: journeys that must not race a clock. Thirty sessions a user, so that a test can pass the limit. */
  standard: { AUDIENCE: 'https://api.e2e.example', MAX_SESSIONS_PER_USER: '30' },
  /**
   * Lifetimes short enough to watch them pass: access tokens live 2 s, a rotated token's grace is 2 s. CORS
   * for the demo page's origins (the port is reserved by the global setup: E2E_DEMO_PORT), for the browser.
   */
  short: { ACCESS_TOKEN_TTL: '2', REFRESH_TOKEN_REUSE_GRACE: '2' },
} as const satisfies Record<string, Record<string, string>>;

export type SharedServerName = keyof typeof SHARED_SERVERS;

export interface SharedServer extends LocalApi {
  /** The issuer its tokens carry: its own base URL. */
  issuer: string;
  env: Record<string, string>;
  /** Its private signing key (ES256), made by the global setup: for tests that forge with the real key. */
  signingKey: JWK;
  /** Its DATA_DIR: the messages it sends are in `outbox/` there. */
  dataDir: string;
}

const variable = (name: SharedServerName, what: 'URL' | 'LOG' | 'KEY' | 'DATA') => `E2E_${name.toUpperCase()}_${what}`;

/**
 * The origin of the demo page: localhost, on one site with the API at localhost (cookie mode). One origin,
 * so that gateway responses name it rather than echo any (scripts/local-gateway/gateway-responses.js).
 */
export const demoOrigin = (port: number) => `http://localhost:${port}`;

/** The port reserved for the demo page (tests/e2e/browser.test.ts), whose origins the `short` server allows. */
export function demoPort(): number {
  const port = Number(process.env.E2E_DEMO_PORT);
  if (!Number.isInteger(port) || port <= 0) throw new Error('no demo port: run the e2e tests through jest (tests/support/global-e2e.ts)');
  return port;
}

/** Global setup: spawns every shared server without waiting for it. */
export async function spawnSharedServers(): Promise<OfflineServer[]> {
  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'jwt-auth-e2e-logs-'));
  const servers: OfflineServer[] = [];
  const demo = await freePort();
  process.env.E2E_DEMO_PORT = String(demo);
  // The demo page is a first-party client of the short server, signing in through its hosted page.
  const demoClient = { client_id: 'demo', name: 'Demo', redirect_uris: [`${demoOrigin(demo)}/`], post_logout_redirect_uris: [`${demoOrigin(demo)}/`], first_party: true };
  const extra: Partial<Record<SharedServerName, Record<string, string>>> = {
    standard: { OAUTH_CLIENTS: JSON.stringify(OIDC_CLIENTS) },
    short: { CORS_ORIGINS: demoOrigin(demo), OAUTH_CLIENTS: JSON.stringify([...OIDC_CLIENTS, demoClient]) },
  };
  for (const [name, env] of Object.entries(SHARED_SERVERS) as [SharedServerName, Record<string, string>][]) {
    const port = await freePort();
    const logFile = path.join(logDir, `${name}.log`);
    const key = await generateSigningJwk('ES256');
    const server = await OfflineServer.spawn({
      port,
      logFile,
      env: { ISSUER: `http://127.0.0.1:${port}`, SIGNING_KEYS: JSON.stringify({ keys: [key] }), ...env, ...extra[name] },
    });
    process.env[variable(name, 'URL')] = server.baseUrl;
    process.env[variable(name, 'LOG')] = logFile;
    process.env[variable(name, 'KEY')] = JSON.stringify(key);
    process.env[variable(name, 'DATA')] = server.dataDir;
    servers.push(server);
  }
  return servers;
}

/** The shared server `name`, once it answers (it may still be booting when a test file starts). */
export async function sharedServer(name: SharedServerName, timeoutMs = 120_000): Promise<SharedServer> {
  const baseUrl = process.env[variable(name, 'URL')];
  const logFile = process.env[variable(name, 'LOG')];
  const key = process.env[variable(name, 'KEY')];
  if (!baseUrl || !logFile || !key) throw new Error(`no shared server "${name}": run the e2e tests through jest (tests/support/global-e2e.ts)`);
  await untilReady(baseUrl, timeoutMs).catch((error: Error) => {
    throw new Error(`${error.message}\n--- output ---\n${fs.readFileSync(logFile, 'utf8').slice(-20_000)}`);
  });
  return {
    baseUrl,
    issuer: baseUrl,
    env: SHARED_SERVERS[name],
    signingKey: JSON.parse(key) as JWK,
    dataDir: process.env[variable(name, 'DATA')]!,
    request: (method, route, options) => apiRequest(baseUrl, method, route, options),
  };
}
