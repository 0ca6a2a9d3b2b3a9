import { existsSync, readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { Env } from '../../lib/config';

/**
 * Where the tables are that `npm run admin` works on, as the environment a function of that deployment gets
 * (DYNAMODB_ENDPOINT, AWS_REGION, USERS_TABLE, …): lib/config.ts then reads it as it reads a function's.
 */
export interface Target {
  env: Env;
  /** Said in messages: "the local data in .data", "stage prod (eu-west-1)". */
  label: string;
  close(): Promise<void>;
}

/** A failure the command line explains in its own words; `code` is the exit code. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(readonly code: number, message: string) {
    super(message);
  }
}

/** The tables, by their logical id in serverless.yml, and the variable that names each for a function. */
export const TABLES = {
  UsersTable: 'USERS_TABLE',
  UsernamesTable: 'USERNAMES_TABLE',
  EmailsTable: 'EMAILS_TABLE',
  SessionsTable: 'SESSIONS_TABLE',
  LoginAttemptsTable: 'ATTEMPTS_TABLE',
  ClientsTable: 'CLIENTS_TABLE',
} as const;
export type TableId = keyof typeof TABLES;

/**
 * The tables of the account commands (user, scope, sessions). Each command opens only the tables it uses, so
 * that a stage or local data from before a table existed still serves the commands that never touch it.
 */
export const ACCOUNT_TABLES: readonly TableId[] = ['UsersTable', 'UsernamesTable', 'EmailsTable', 'SessionsTable', 'LoginAttemptsTable'];

/** The tables a command opens: ACCOUNT_TABLES unless it says otherwise. */
export interface TableChoice {
  tables?: readonly TableId[];
}

const tableEnv = (names: Partial<Record<TableId, string>>): Env =>
  Object.fromEntries(Object.entries(names).map(([id, name]) => [TABLES[id as TableId], name]));

/** The repository's root (where serverless.yml is): bundled by scripts/run-ts.js, __dirname is scripts/. */
export function findRoot(from = __dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'serverless.yml'))) return dir;
    if (path.dirname(dir) === dir) throw new CliError(1, `no serverless.yml above ${from}`);
  }
}

/** The top `service:` of serverless.yml: the first part of every local table's name and of the stack's. */
export function serviceName(root: string): string {
  const name = /^service:\s*['"]?([\w-]+)/m.exec(readFileSync(path.join(root, 'serverless.yml'), 'utf8'))?.[1];
  if (!name) throw new CliError(1, 'serverless.yml has no top-level "service:", which names the tables');
  return name;
}

/** The stage `npm start` names its local tables after (serverless.yml provider.stage's default). */
const LOCAL_STAGE = 'dev';

// dynalite ships no types: a function that returns an http.Server.
type Dynalite = (options: Record<string, unknown>) => Server;
type LevelDb = { open(): Promise<void>; close(): Promise<void> };
type LevelModule = { Level: new (location: string, options: Record<string, unknown>) => LevelDb };

/**
 * dynalite keeps its data in a LevelDB folder, which one process at a time can open: while `npm start`
 * runs, its lock says so, and this is asked before dynalite opens the folder (an open that fails inside
 * dynalite surfaces as an uncaught error, with no word of why).
 */
async function assertUnlocked(store: string, shown: string): Promise<void> {
  // dynalite's own copy of level, wherever npm placed it.
  const { Level } = require(require.resolve('level', { paths: [path.dirname(require.resolve('dynalite'))] })) as LevelModule;
  const db = new Level(store, { createIfMissing: false });
  try {
    await db.open();
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    if (cause?.code === 'LEVEL_LOCKED') {
      throw new CliError(1, `the local data in ${shown} is in use by \`npm start\` (or another \`npm run admin\`): its embedded `
        + 'DynamoDB keeps the folder locked, and only one process can open it. Stop npm start (Ctrl-C), run this command, then start '
        + 'npm start again.');
    }
    throw new CliError(1, `cannot open the local data in ${shown}: ${cause?.message ?? (error as Error).message}`);
  } finally {
    await db.close();
  }
}

/**
 * The data `npm start` keeps in DATA_DIR (default .data/), opened in this process with the same embedded
 * DynamoDB (dynalite) on 127.0.0.1, and the tables named as `npm start` names them. `npm start` must not
 * be running: see assertUnlocked.
 */
export async function localTarget(env: Env, { root = findRoot(), tables = ACCOUNT_TABLES }: TableChoice & { root?: string } = {}): Promise<Target> {
  const dataDir = path.resolve(root, env.DATA_DIR?.trim() || '.data');
  const store = path.join(dataDir, 'dynamodb');
  const relative = path.relative(root, dataDir);
  const shown = relative.startsWith('..') || path.isAbsolute(relative) ? dataDir : relative || '.';
  if (!existsSync(store)) {
    throw new CliError(1, `there is no local data in ${shown} (no ${path.join(shown, 'dynamodb')}): \`npm start\` creates it on its first start; or set DATA_DIR as you did for npm start.`);
  }
  await assertUnlocked(store, shown);
  const dynalite = require('dynalite') as Dynalite;
  const server = dynalite({ path: store, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  const service = serviceName(root);
  const names = Object.fromEntries(tables.map((id) => [id, `${service}-${LOCAL_STAGE}-${id}`]));
  try {
    const missing = await missingTables(endpoint, Object.values(names));
    if (missing.length > 0) {
      throw new CliError(1, `the local data in ${shown} has no table ${missing.join(', ')}: start \`npm start\` once so that it creates `
        + 'the tables, stop it, and run this again.');
    }
  } catch (error) {
    await close();
    throw error;
  }
  return { env: { DYNAMODB_ENDPOINT: endpoint, AWS_REGION: 'us-east-1', ...tableEnv(names) }, label: `the local data in ${shown}`, close };
}

async function missingTables(endpoint: string, names: string[]): Promise<string[]> {
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  try {
    const { TableNames = [] } = await client.send(new ListTablesCommand({}));
    return names.filter((name) => !TableNames.includes(name));
  } finally {
    client.destroy();
  }
}

/**
 * Another DynamoDB endpoint (a test's dynalite, DynamoDB Local), with table names from the variables a
 * function reads (USERS_TABLE, USERNAMES_TABLE, EMAILS_TABLE, SESSIONS_TABLE, ATTEMPTS_TABLE; CLIENTS_TABLE
 * for the client commands): for tests and advanced use. lib/config.ts names any that is missing.
 */
export function endpointTarget(endpoint: string, env: Env, { tables = ACCOUNT_TABLES }: TableChoice = {}): Target {
  const names = Object.fromEntries(tables.map((id) => [TABLES[id], env[TABLES[id]]]));
  return { env: { DYNAMODB_ENDPOINT: endpoint, AWS_REGION: 'us-east-1', ...names }, label: endpoint, close: async () => undefined };
}

/** What stageTarget asks CloudFormation: a client, or any object that answers its one command. */
export type StackReader = Pick<CloudFormationClient, 'send'>;

/**
 * A deployed stage's tables, with the caller's AWS credentials: CloudFormation names them, so they are read
 * from the stack `<service>-<stage>`, one logical id at a time (DescribeStackResources returns only the first
 * 100 resources of a stack, and this one has more).
 */
export async function stageTarget(stage: string, region: string, options: TableChoice & { root?: string; cloudformation?: StackReader } = {}): Promise<Target> {
  const { DescribeStackResourcesCommand, CloudFormationClient: Client } = await import('@aws-sdk/client-cloudformation');
  const stack = `${serviceName(options.root ?? findRoot())}-${stage}`;
  const own = options.cloudformation ? undefined : new Client({ region });
  const client: StackReader = options.cloudformation ?? own!;
  const where = `stack ${stack} (${region})`;
  try {
    const names = await Promise.all((options.tables ?? ACCOUNT_TABLES).map(async (id) => {
      const { StackResources = [] } = await client
        .send(new DescribeStackResourcesCommand({ StackName: stack, LogicalResourceId: id }))
        .catch((error: unknown) => {
          throw stackError(error, stack, stage, region, id);
        });
      const resource = StackResources.find((candidate) => candidate.LogicalResourceId === id);
      if (!resource?.PhysicalResourceId || resource.ResourceStatus?.startsWith('DELETE')) {
        throw new CliError(1, `${where} has no table ${id}${resource?.ResourceStatus ? ` (${resource.ResourceStatus})` : ''}`);
      }
      return [id, resource.PhysicalResourceId] as const;
    }));
    return {
      env: { AWS_REGION: region, DYNAMODB_ENDPOINT: '', ...tableEnv(Object.fromEntries(names)) },
      label: `stage ${stage} (${region})`,
      close: async () => undefined,
    };
  } finally {
    own?.destroy();
  }
}

/** CloudFormation's and the credential chain's errors, in the words of this command line. */
function stackError(error: unknown, stack: string, stage: string, region: string, id: string): CliError {
  const { name = '', message = String(error) } = error instanceof Error ? error : {};
  if (/does not exist/.test(message) && message.includes(stack) && !message.includes(id)) {
    return new CliError(1, `there is no stack ${stack} in ${region}: check --stage and --region (the stack \`npx serverless deploy --stage ${stage} --region ${region}\` makes)`);
  }
  if (/does not exist/.test(message)) return new CliError(1, `stack ${stack} (${region}) has no table ${id}`);
  if (name === 'CredentialsProviderError' || /credential/i.test(message)) {
    return new CliError(1, `no AWS credentials for ${region} (${message}): set AWS_PROFILE, or the AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY variables`);
  }
  return new CliError(1, `cannot read stack ${stack} (${region}): ${name ? `${name}: ` : ''}${message}`);
}
