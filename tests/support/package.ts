import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from './offline';

const CLI = path.join('node_modules', 'serverless', 'bin', 'serverless.js');

export interface CfnResource {
  Type: string;
  Properties: Record<string, any>;
}

export interface PackagedService {
  /** Where `serverless package --package` wrote the zips and templates. */
  dir: string;
  resources: Record<string, CfnResource>;
  /** The CLI's stdout and stderr, for diagnostics. */
  output: string;
  /** Removes the package directory and the esbuild work folder. */
  cleanup(): void;
}

/**
 * Runs `serverless package` once into a fresh temporary directory, with its own esbuild work folder and no
 * AWS credentials in the environment, and reads the CloudFormation template it writes.
 */
export async function packageService(timeoutMs = 180_000): Promise<PackagedService> {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'jwt-auth-package-'));
  const dir = path.join(scratch, 'package');
  // serverless-esbuild leaves a folder per function in os.tmpdir() (its scoped removal is a no-op): give it ours.
  const tmp = path.join(scratch, 'tmp');
  fs.mkdirSync(tmp);
  const esbuildFolder = `.esbuild-test-${randomBytes(6).toString('hex')}`;
  const cleanup = () => {
    fs.rmSync(scratch, { recursive: true, force: true });
    fs.rmSync(path.join(ROOT, esbuildFolder), { recursive: true, force: true });
  };
  const env: NodeJS.ProcessEnv = { ...process.env, ESBUILD_WORK_FOLDER: esbuildFolder, TMPDIR: tmp, NO_COLOR: '1', SLS_TELEMETRY_DISABLED: '1' };
  for (const name of Object.keys(env)) if (name.startsWith('AWS_')) delete env[name];

  const child = spawn(process.execPath, [CLI, 'package', '--package', dir], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString('utf8'); });
  child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString('utf8'); });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((resolve) => {
    child.once('exit', (exitCode) => resolve(exitCode));
    child.once('error', () => resolve(-1));
  });
  clearTimeout(timer);

  const templateFile = path.join(dir, 'cloudformation-template-update-stack.json');
  if (code !== 0 || !fs.existsSync(templateFile)) {
    cleanup();
    throw new Error(`serverless package failed (exit ${code}):\n${output}`);
  }
  const template = JSON.parse(fs.readFileSync(templateFile, 'utf8')) as { Resources: Record<string, CfnResource> };
  return { dir, resources: template.Resources, output, cleanup };
}

/** The resources of one CloudFormation type, by logical id. */
export function resourcesOfType(resources: Record<string, CfnResource>, type: string): [string, CfnResource][] {
  return Object.entries(resources).filter(([, resource]) => resource.Type === type);
}

/** The text of one entry of a zip file. */
export async function unzipEntry(zipFile: string, entry: string): Promise<string> {
  const { stdout } = await promisify(execFile)('unzip', ['-p', zipFile, entry], { maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

/** The names of a zip's entries. */
export async function zipEntries(zipFile: string): Promise<string[]> {
  const { stdout } = await promisify(execFile)('unzip', ['-Z1', zipFile], { maxBuffer: 16 * 1024 * 1024 });
  return stdout.split('\n').filter((line) => line !== '');
}
