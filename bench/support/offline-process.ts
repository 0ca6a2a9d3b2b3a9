/**
 * `npm start` for a benchmark: `serverless offline start` spawned as tests/support/offline.ts OfflineServer
 * spawns it (free ports on 127.0.0.1, its own DATA_DIR, esbuild work folder and TMPDIR, its own process
 * group), with its pid at hand for /proc, and stopped by this process: SIGINT to the group, SIGKILL after a
 * grace period, its folders removed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../scripts/local-gateway/ports';
import { START_NODE_FLAGS, untilReady } from '../../tests/support/offline';
import { ROOT } from '../../tests/support/root';
import { onExit } from './bench';

const CLI = path.join(ROOT, 'node_modules', 'serverless', 'bin', 'serverless.js');
/** serverless.yml's defaults apply, not whatever the shell that runs the bench has set. */
const CONFIG_VARIABLES = ['ISSUER', 'AUDIENCE', 'ACCESS_TOKEN_TTL', 'REFRESH_TOKEN_IDLE_TTL', 'REFRESH_TOKEN_ABSOLUTE_TTL', 'REFRESH_TOKEN_REUSE_GRACE', 'DEFAULT_SCOPES', 'SIGNING_ALG', 'SIGNING_KEYS', 'CLOCK_SKEW', 'CORS_ORIGINS'];

export interface OfflineProcess {
  baseUrl: string;
  pid: number;
  /** Milliseconds from spawn to the first 200 of GET /.well-known/jwks.json. */
  readyMs: number;
  output(): string;
  stop(): Promise<void>;
}

function signalGroup(group: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-group, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

export async function startOffline(env: Record<string, string> = {}): Promise<OfflineProcess> {
  const port = await freePort();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-offline-data-'));
  const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-offline-tmp-'));
  const esbuildFolder = `.esbuild-bench-${randomBytes(6).toString('hex')}`;
  const childEnv: NodeJS.ProcessEnv = { ...process.env };
  for (const name of CONFIG_VARIABLES) delete childEnv[name];
  Object.assign(childEnv, {
    PORT: String(port), DATA_DIR: dataDir, ESBUILD_WORK_FOLDER: esbuildFolder, TMPDIR: tmpDir,
    NO_COLOR: '1', FORCE_COLOR: '0', SLS_TELEMETRY_DISABLED: '1', ...env,
  });
  const started = Date.now();
  const child: ChildProcess = spawn(process.execPath, [...START_NODE_FLAGS, CLI, 'offline', 'start'], { cwd: ROOT, env: childEnv, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const chunks: string[] = [];
  child.stdout!.on('data', (chunk: Buffer) => chunks.push(chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => chunks.push(chunk.toString('utf8')));
  let exit: string | undefined;
  const exited = new Promise<void>((resolve) => child.once('exit', (code, signal) => {
    exit = `exit ${code ?? signal}`;
    resolve();
  }));
  // Registered at once: the whole group is stopped however this process ends.
  const stop = onExit(async () => {
    if (exit === undefined) signalGroup(child.pid!, 'SIGINT');
    const timer = setTimeout(() => signalGroup(child.pid!, 'SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
    signalGroup(child.pid!, 'SIGKILL'); // what the CLI left in its group (esbuild's service)
    for (const dir of [dataDir, tmpDir, path.join(ROOT, esbuildFolder)]) fs.rmSync(dir, { recursive: true, force: true });
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  try {
    await untilReady(baseUrl, 120_000, () => exit);
  } catch (error) {
    await stop();
    throw new Error(`serverless offline did not become ready: ${(error as Error).message}\n${chunks.join('')}`);
  }
  return { baseUrl, pid: child.pid!, readyMs: Date.now() - started, output: () => chunks.join(''), stop };
}
