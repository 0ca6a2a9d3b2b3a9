/**
 * dynalite in a process of its own, on 127.0.0.1 and a free port, with serverless.yml's tables (as
 * tests/support/dynalite.ts creates them, under names unique to this server). Its own process, as DynamoDB is
 * a service of its own: the emulator's CPU is not spent on the event loop being timed, requests sent in
 * parallel overlap as they do against DynamoDB, and processes that wait synchronously can still be served.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../../lib/dynamo';
import { createTables } from '../../scripts/local-gateway/tables';
import { manifestResources, type LocalDynamo, type TableId } from '../../tests/support/dynalite';
import { onExit } from './bench';

export interface DynaliteProcess {
  doc: DynamoDBDocumentClient;
  endpoint: string;
  tables: Record<TableId, string> & Partial<Record<string, string>>;
  pid: number;
  stop(): Promise<void>;
}

const SERVER = `
const server = require('dynalite')({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
server.listen(0, '127.0.0.1', () => process.stdout.write(server.address().port + '\\n'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

export async function startDynaliteProcess(): Promise<DynaliteProcess> {
  const child: ChildProcess = spawn(process.execPath, ['-e', SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let doc: DynamoDBDocumentClient | undefined;
  // Registered at once: the server is stopped however this process ends, even before it listens.
  const stop = onExit(async () => {
    doc?.destroy();
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  });
  const port = await new Promise<number>((resolve, reject) => {
    let text = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      if (text.includes('\n')) resolve(Number(text.trim()));
    });
    child.once('exit', (code) => reject(new Error(`dynalite exited (${code}) before it listened`)));
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const resources = manifestResources();
  const suffix = randomUUID().slice(0, 8);
  const names = Object.fromEntries(Object.keys(resources).map((id) => [id, `${id}-${suffix}`]));
  const tables = (await createTables(endpoint, resources, names)) as DynaliteProcess['tables'];
  doc = createDocumentClient({ region: 'us-east-1', dynamodbEndpoint: endpoint });
  return { doc, endpoint, tables, pid: child.pid!, stop };
}

/** What tests/support/app.ts `createTestApp` reads of a LocalDynamo: the client, the endpoint and the tables. */
export const asLocalDynamo = (dynamo: DynaliteProcess) => dynamo as unknown as LocalDynamo;
