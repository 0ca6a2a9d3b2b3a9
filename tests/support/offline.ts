import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';

export { ROOT } from './root';
import { ROOT } from './root';
import { freePort } from '../../scripts/local-gateway/ports';
const CLI = path.join('node_modules', 'serverless', 'bin', 'serverless.js');

/**
 * Node's flags of `npm start` (package.json: a heap of 256 MB, which V8 would otherwise let grow for no
 * reason under load), so that tests and benchmarks run offline as a user does.
 */
export const START_NODE_FLAGS: string[] = (() => {
  const start = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start;
  return start.split(/\s+/).filter((word) => word.startsWith('--'));
})();

/** Configuration a test may set; anything not set falls back to serverless.yml's defaults, not the caller's shell. */
const CONFIG_VARIABLES = [
  'ISSUER', 'AUDIENCE', 'ACCESS_TOKEN_TTL', 'REFRESH_TOKEN_IDLE_TTL', 'REFRESH_TOKEN_ABSOLUTE_TTL',
  'REFRESH_TOKEN_REUSE_GRACE', 'DEFAULT_SCOPES', 'SIGNING_ALG', 'SIGNING_KEYS', 'CLOCK_SKEW', 'CORS_ORIGINS',
];
const MAX_OUTPUT = 256 * 1024;

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export { acceptsConnections, freePort } from '../../scripts/local-gateway/ports';

export interface HttpAnswer {
  status: number;
  /** Lower-case names; a repeated header (Set-Cookie) keeps every value. */
  headers: http.IncomingHttpHeaders;
  text: string;
  /** The body parsed as JSON; undefined when it is not JSON. */
  json: any;
}

export interface RequestOptions {
  /** Sent as application/json. */
  json?: unknown;
  body?: string;
  headers?: Record<string, string>;
  /** An access token, sent as `Authorization: Bearer …`. */
  bearer?: string;
  /**
   * The client's own address (127.0.0.2, 127.0.0.3 …: Linux routes all of 127/8 to the loopback), so that
   * tests can be distinct clients, as the server sees them.
   */
  from?: string;
  timeoutMs?: number;
}

/** One HTTP request with node:http (fetch cannot choose its source address). */
export function apiRequest(baseUrl: string, method: string, route: string, options: RequestOptions = {}): Promise<HttpAnswer> {
  const headers: Record<string, string> = { ...options.headers };
  let body = options.body;
  if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    headers['content-type'] ??= 'application/json';
  }
  if (options.bearer !== undefined) headers.authorization = `Bearer ${options.bearer}`;
  // As fetch does: node:http would send a DELETE's body without a length, which no server can frame.
  if (body !== undefined) headers['content-length'] ??= String(Buffer.byteLength(body));
  const url = new URL(route, baseUrl);
  return new Promise((resolve, reject) => {
    const request = http.request(
      url,
      { method, headers, localAddress: options.from, timeout: options.timeoutMs ?? 20_000 },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = text === '' ? undefined : JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: response.statusCode ?? 0, headers: response.headers, text, json });
        });
      },
    );
    request.on('timeout', () => request.destroy(new Error(`${method} ${route} timed out`)));
    request.on('error', reject);
    request.end(body);
  });
}

/** A running local API, as the tests see it: where it is, and a way to call it. */
export interface LocalApi {
  baseUrl: string;
  request(method: string, route: string, options?: RequestOptions): Promise<HttpAnswer>;
}

/** Polls GET /.well-known/jwks.json until it answers 200. */
export async function untilReady(baseUrl: string, timeoutMs: number, failed: () => string | undefined = () => undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const reason = failed();
    if (reason !== undefined) throw new Error(reason);
    const status = await apiRequest(baseUrl, 'GET', '/.well-known/jwks.json', { timeoutMs: 3000 }).then((answer) => answer.status, () => 0);
    if (status === 200) return;
    if (Date.now() > deadline) throw new Error(`no 200 from ${baseUrl}/.well-known/jwks.json within ${timeoutMs} ms`);
    await sleep(250);
  }
}

export interface OfflineOptions {
  /** Environment overrides, e.g. { ACCESS_TOKEN_TTL: '2' }. */
  env?: Record<string, string>;
  /** Reuse a data directory (e.g. a restart); the new server then owns it and removes it on stop. */
  dataDir?: string;
  port?: number;
  readyTimeoutMs?: number;
  /** Also write everything the process prints to this file (for servers shared across test files). */
  logFile?: string;
}

export interface StopOptions {
  /** Leave the data directory in place, for a restart on the same data. */
  keepData?: boolean;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** One `serverless offline start` child process in its own process group. */
export class OfflineServer implements LocalApi {
  readonly baseUrl: string;
  /** Settles when the CLI process exits. */
  readonly exited: Promise<Exit>;
  private exit: Exit | undefined;
  private chunks: string[] = [];
  private size = 0;
  private stopped: Promise<void> | undefined;

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    readonly dataDir: string,
    readonly esbuildFolder: string,
    /** The child's TMPDIR, removed on stop whatever the tools leave in it. */
    private readonly tmpDir: string,
    logFile?: string,
  ) {
    this.baseUrl = `http://127.0.0.1:${port}`;
    const log = logFile === undefined ? undefined : fs.openSync(logFile, 'w');
    const collect = (chunk: Buffer) => {
      if (log !== undefined) fs.writeSync(log, chunk);
      this.chunks.push(chunk.toString('utf8'));
      this.size += chunk.length;
      while (this.size > MAX_OUTPUT && this.chunks.length > 1) this.size -= Buffer.byteLength(this.chunks.shift()!);
    };
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
      });
      child.once('error', (error) => {
        collect(Buffer.from(`\n[spawn error] ${error.message}\n`));
        this.exit = { code: -1, signal: null };
        resolve(this.exit);
      });
    });
  }

  /** Spawns the CLI without waiting for it to be ready. */
  static async spawn(options: OfflineOptions = {}): Promise<OfflineServer> {
    const port = options.port ?? (await freePort());
    const dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'jwt-auth-offline-'));
    const esbuildFolder = `.esbuild-test-${randomBytes(6).toString('hex')}`;
    const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'jwt-auth-offline-tmp-'));
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const name of CONFIG_VARIABLES) delete env[name];
    Object.assign(env, {
      PORT: String(port),
      DATA_DIR: dataDir,
      ESBUILD_WORK_FOLDER: esbuildFolder,
      TMPDIR: tmpDir,
      NO_COLOR: '1',
      FORCE_COLOR: '0',
      SLS_TELEMETRY_DISABLED: '1',
      ...options.env,
    });
    const child = spawn(process.execPath, [...START_NODE_FLAGS, CLI, 'offline', 'start'], {
      cwd: ROOT,
      env,
      detached: true, // its own process group: stop() ends esbuild's service processes with it
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new OfflineServer(child, port, dataDir, esbuildFolder, tmpDir, options.logFile);
  }

  /** Spawns the CLI and waits until GET /.well-known/jwks.json answers 200; on failure stops it and throws with its output. */
  static async start(options: OfflineOptions = {}): Promise<OfflineServer> {
    const server = await OfflineServer.spawn(options);
    const ready = await server.waitUntilReady(options.readyTimeoutMs ?? 90_000);
    if (!ready.ok) {
      await server.stop();
      throw new Error(`serverless offline did not become ready: ${ready.reason}\n--- output ---\n${server.output()}`);
    }
    return server;
  }

  /** The exit, or undefined if the process is still running after `timeoutMs`. */
  async waitForExit(timeoutMs: number): Promise<Exit | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => { timer = setTimeout(resolve, timeoutMs, undefined); });
    const exit = await Promise.race([this.exited, timeout]);
    clearTimeout(timer);
    return exit;
  }

  /** Everything the process wrote to stdout and stderr (the last 256 KB). */
  output(): string {
    return this.chunks.join('');
  }

  private async waitUntilReady(timeoutMs: number): Promise<{ ok: true } | { ok: false; reason: string }> {
    const exited = () => (this.exit ? `the process exited (${JSON.stringify(this.exit)})` : undefined);
    return untilReady(this.baseUrl, timeoutMs, exited).then(
      () => ({ ok: true as const }),
      (error: Error) => ({ ok: false as const, reason: error.message }),
    );
  }

  /** One HTTP request to the local API. */
  request(method: string, route: string, options: RequestOptions = {}): Promise<HttpAnswer> {
    return apiRequest(this.baseUrl, method, route, options);
  }

  /**
   * Ends the whole process group: SIGINT (serverless-offline's graceful stop), SIGKILL after `graceMs`;
   * waits for the exit and removes the data directory (unless kept), TMPDIR and the esbuild work folder.
   */
  stop(options: StopOptions = {}, graceMs = 10_000): Promise<void> {
    this.stopped ??= this.terminate(graceMs).finally(() => {
      // OFFLINE_LOG_DIR=<dir> keeps each server's output for diagnosis.
      const logDir = process.env.OFFLINE_LOG_DIR;
      if (logDir) fs.writeFileSync(path.join(logDir, `offline-${this.port}-${Date.now()}.log`), this.output());
      if (!options.keepData) fs.rmSync(this.dataDir, { recursive: true, force: true });
      fs.rmSync(path.join(ROOT, this.esbuildFolder), { recursive: true, force: true });
      fs.rmSync(this.tmpDir, { recursive: true, force: true });
    });
    return this.stopped;
  }

  private async terminate(graceMs: number): Promise<void> {
    const group = this.child.pid;
    if (group === undefined) return;
    if (!this.exit) signalGroup(group, 'SIGINT');
    const timer = setTimeout(() => signalGroup(group, 'SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
    // Whatever the CLI left behind in its group (esbuild's service) goes too.
    signalGroup(group, 'SIGKILL');
  }
}

function signalGroup(group: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-group, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** Decodes a JWT's header or payload without verifying it (test inspection only). */
export function decodeJwtPart(token: string, part: 0 | 1): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[part] ?? '', 'base64url').toString('utf8'));
}

/**
 * The auth-params of an RFC 6750 §3 challenge (`Bearer realm="…", error="…"`); undefined unless the whole
 * value is well-formed with quoted-string values of RFC 6750's allowed characters.
 */
export function parseBearerChallenge(value: string | null | undefined): Record<string, string> | undefined {
  const match = /^Bearer ((?:[a-z_]+="[\x20\x21\x23-\x5b\x5d-\x7e]*"(?:, (?=[a-z_]))?)+)$/.exec(value ?? '');
  if (!match) return undefined;
  const params: Record<string, string> = {};
  for (const [, name, content] of match[1]!.matchAll(/([a-z_]+)="([^"]*)"/g)) params[name!] = content!;
  return params;
}
