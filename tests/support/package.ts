import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from './root';

const CLI = path.join('node_modules', 'serverless', 'bin', 'serverless.js');
/** The stages the package tests read; each is packaged once per `npm test` run (tests/support/global-package.ts). */
export const STAGES = ['dev', 'prod'] as const;
export type Stage = (typeof STAGES)[number];

export interface CfnResource {
  Type: string;
  Properties: Record<string, any>;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
}

export interface PackagedService {
  /** Where `serverless package --package` wrote the zips and templates. */
  dir: string;
  resources: Record<string, CfnResource>;
  outputs: Record<string, any>;
  conditions: Record<string, unknown>;
}

/** Where one stage's package goes; the file `<dir>.exit` holds the CLI's exit code once it is done. */
const packageDir = (scratch: string, stage: Stage) => path.join(scratch, `package-${stage}`);

/**
 * Starts `serverless package --stage <stage>` for every stage, without waiting: the tests wait for the
 * result they read. No AWS credentials in its environment; its own esbuild work folder and TMPDIR.
 */
export function startPackaging(scratch: string, envOf: (stage: Stage) => NodeJS.ProcessEnv = () => ({})): { cleanup(): void } {
  const folders: string[] = [];
  let running: ChildProcess | undefined;
  let stopped = false;
  // One stage after the other: two runs in one service folder remove each other's .serverless.
  const packageStage = (index: number): void => {
    const stage = STAGES[index];
    if (stage === undefined || stopped) return;
    const dir = packageDir(scratch, stage);
    const tmp = fs.mkdtempSync(path.join(scratch, 'tmp-'));
    const esbuildFolder = `.esbuild-test-${randomBytes(6).toString('hex')}`;
    folders.push(path.join(ROOT, esbuildFolder));
    const childEnv: NodeJS.ProcessEnv = { ...process.env, ESBUILD_WORK_FOLDER: esbuildFolder, TMPDIR: tmp, NO_COLOR: '1', SLS_TELEMETRY_DISABLED: '1', ...envOf(stage) };
    for (const name of Object.keys(childEnv)) if (name.startsWith('AWS_')) delete childEnv[name];
    const log = fs.openSync(`${dir}.log`, 'w');
    running = spawn(process.execPath, [CLI, 'package', '--stage', stage, '--package', dir], { cwd: ROOT, env: childEnv, stdio: ['ignore', log, log] });
    running.once('exit', (code) => {
      fs.closeSync(log);
      fs.writeFileSync(`${dir}.exit`, String(code ?? -1));
      packageStage(index + 1);
    });
  };
  packageStage(0);
  return {
    cleanup: () => {
      stopped = true;
      running?.kill('SIGKILL');
      for (const folder of folders) fs.rmSync(folder, { recursive: true, force: true });
      fs.rmSync(scratch, { recursive: true, force: true });
    },
  };
}

/** The package of one stage, made once per run by the package project's global setup; waits until it is done. */
export async function packaged(stage: Stage = 'dev', timeoutMs = 240_000): Promise<PackagedService> {
  const scratch = process.env.PACKAGE_SCRATCH;
  if (!scratch) throw new Error('PACKAGE_SCRATCH is not set: run the package tests through jest (tests/support/global-package.ts)');
  const dir = packageDir(scratch, stage);
  const deadline = Date.now() + timeoutMs;
  while (!fs.existsSync(`${dir}.exit`)) {
    if (Date.now() > deadline) throw new Error(`serverless package --stage ${stage} did not finish in ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const code = fs.readFileSync(`${dir}.exit`, 'utf8');
  const templateFile = path.join(dir, 'cloudformation-template-update-stack.json');
  if (code !== '0' || !fs.existsSync(templateFile)) {
    throw new Error(`serverless package --stage ${stage} failed (exit ${code}):\n${fs.readFileSync(`${dir}.log`, 'utf8')}`);
  }
  const template = JSON.parse(fs.readFileSync(templateFile, 'utf8')) as {
    Resources: Record<string, CfnResource>;
    Outputs?: Record<string, any>;
    Conditions?: Record<string, unknown>;
  };
  return { dir, resources: template.Resources, outputs: template.Outputs ?? {}, conditions: template.Conditions ?? {} };
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

export const newScratch = () => fs.mkdtempSync(path.join(os.tmpdir(), 'jwt-auth-package-'));
