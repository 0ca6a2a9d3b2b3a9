import { spawn } from 'node:child_process';
import { PassThrough } from 'node:stream';
import type { IssuedTokens } from '../../lib/auth';
import { claimsOf, uniqueUsername, type TestApp } from '../support/app';
import type { Env } from '../../lib/config';
import { runAdmin, type AdminIo } from '../../scripts/admin/cli';
import type { LocalDynamo } from '../support/dynalite';
import { ROOT } from '../support/root';

/** What `npm run admin` runs: package.json's "admin" script. */
const ADMIN = ['scripts/run-ts.js', 'scripts/admin.ts'];

/** Settings of this test process that would steer the CLI: each test gives the ones it means. */
const STEERING = ['DATA_DIR', 'SCOPES', 'DEFAULT_SCOPES', 'USERS_TABLE', 'USERNAMES_TABLE', 'EMAILS_TABLE', 'SESSIONS_TABLE', 'ATTEMPTS_TABLE', 'AWS_PROFILE'];

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function environment(env: Record<string, string>): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  for (const name of STEERING) delete base[name];
  return { ...base, ...env };
}

/**
 * `npm run admin -- …args` as a process of its own, from the repository's root. `stdin` is piped in and
 * closed (no `stdin`: an empty pipe, so never a terminal). Resolves with the exit code whatever it is.
 */
export function spawnAdmin(args: string[], { env = {}, stdin = '' }: { env?: Record<string, string>; stdin?: string } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...ADMIN, ...args], { cwd: ROOT, env: environment(env), stdio: ['pipe', 'pipe', 'pipe'] });
    const output = { stdout: '', stderr: '' };
    child.stdout.setEncoding('utf8').on('data', (text: string) => (output.stdout += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (output.stderr += text));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, ...output }));
    child.stdin.end(stdin);
  });
}

/**
 * The same command line in this process (scripts/admin/cli.ts runAdmin), for what needs no process of its
 * own: streams that record, `piped` as a stdin that is no terminal, and only the variables in `env`.
 */
export async function runAdminHere(args: string[], { env = {}, piped = '', cloudformation }: { env?: Env; piped?: string; cloudformation?: AdminIo['cloudformation'] } = {}): Promise<Run> {
  const output = { stdout: '', stderr: '' };
  const stdin = new PassThrough();
  stdin.end(piped);
  const code = await runAdmin(args, {
    env,
    stdin,
    stdout: { write: (text: string) => (output.stdout += text) },
    stderr: { write: (text: string) => (output.stderr += text) },
    cloudformation,
  });
  return { code, ...output };
}

/** The variables that name a test dynalite's tables, as a function of the service reads them. */
export function tableEnv(dynamo: LocalDynamo): Record<string, string> {
  const { tables } = dynamo;
  return {
    USERS_TABLE: tables.UsersTable,
    USERNAMES_TABLE: tables.UsernamesTable,
    EMAILS_TABLE: tables.EmailsTable,
    SESSIONS_TABLE: tables.SessionsTable,
    ATTEMPTS_TABLE: tables.LoginAttemptsTable,
  };
}

/** The CLI pointed at a test dynalite (`--endpoint` and the table variables), with `env` on top (SCOPES, say). */
export function adminOn(dynamo: LocalDynamo, env: Record<string, string> = {}) {
  return (args: string[], options: { stdin?: string } = {}) =>
    spawnAdmin([...args, '--endpoint', dynamo.endpoint], { env: { ...tableEnv(dynamo), ...env }, stdin: options.stdin });
}

/** A word as `sh -c` reads it back unchanged. */
const shellWord = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`;

/**
 * The CLI on a real terminal: util-linux `script` runs it on a pseudo-terminal, and each `[prompt, keys]`
 * answers by typing `keys` once `prompt` has shown. `output` is everything the terminal showed, echo included.
 */
export function spawnAdminOnTerminal(args: string[], answers: [string, string][], env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const command = ['exec', process.execPath, ...ADMIN, ...args].map((word, index) => (index === 0 ? word : shellWord(word))).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['--quiet', '--return', '--command', command, '/dev/null'], { cwd: ROOT, env: environment(env), stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    let answeredUpTo = 0;
    const pending = [...answers];
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      output += text;
      // Each prompt is looked for after the last answer's, so the same word cannot answer twice.
      while (pending.length > 0 && output.includes(pending[0]![0], answeredUpTo)) {
        const [prompt, keys] = pending.shift()!;
        answeredUpTo = output.indexOf(prompt, answeredUpTo) + prompt.length;
        child.stdin.write(keys);
      }
    });
    // A prompt that never shows fails the test with what the terminal showed, not with jest's timeout.
    const stuck = setTimeout(() => child.kill(), 15_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(stuck);
      resolve({ code, output });
    });
  });
}

/** A user registered through the service (its first session started), with a name no other test uses. */
export async function registerUser(app: TestApp, password: string): Promise<{ username: string; sub: string; tokens: IssuedTokens }> {
  const username = uniqueUsername('Admin');
  const tokens = await app.auth.register({ username, password });
  return { username, sub: claimsOf(tokens.accessToken).sub, tokens };
}
