import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { GetCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { parse } from 'yaml';
import { createDocumentClient } from '../../lib/dynamo';
import { createTables } from '../../scripts/local-gateway/tables';
import { ROOT } from './root';

// dynalite ships no types; it is a function that returns an http.Server.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dynalite: (options: Record<string, unknown>) => import('node:http').Server = require('dynalite');

/** The logical ids of serverless.yml's DynamoDB tables that every test needs; any other is created too. */
export type TableId = 'UsersTable' | 'UsernamesTable' | 'EmailsTable' | 'SessionsTable' | 'LoginAttemptsTable';

export interface LocalDynamo {
  /** The client the code under test uses, made by lib/dynamo.ts. */
  doc: DynamoDBDocumentClient;
  endpoint: string;
  /** The physical table name of each logical table, unique to this server. */
  tables: Record<TableId, string> & Partial<Record<string, string>>;
  /** A consistent read of one item, straight from the table (arrange/assert helper). */
  read(table: TableId, key: Record<string, unknown>): Promise<Record<string, unknown> | undefined>;
  /** The user a name is claimed for (the name as typed, or its key), read as the tables hold it. */
  userNamed(username: string): Promise<Record<string, unknown> | undefined>;
  /** Every item of a table, or those whose `sub` is the given one (a full scan: fine for a test table). */
  scan(table: TableId, sub?: string): Promise<Record<string, unknown>[]>;
  stop(): Promise<void>;
}

/** The resources of serverless.yml as written (table names are given per server below). */
export function manifestResources(): Record<string, { Type: string; Properties: Record<string, unknown> }> {
  return (parse(readFileSync(join(ROOT, 'serverless.yml'), 'utf8')) as {
    resources: { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };
  }).resources.Resources;
}

/**
 * Starts an in-memory dynalite on 127.0.0.1 (random port), creates serverless.yml's tables under names
 * unique to this call, and returns the service's own document client pointed at it.
 */
export async function startDynalite(): Promise<LocalDynamo> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const resources = manifestResources();
  const suffix = randomUUID().slice(0, 8);
  const names = Object.fromEntries(Object.keys(resources).map((id) => [id, `${id}-${suffix}`]));
  const tables = (await createTables(endpoint, resources, names)) as LocalDynamo['tables'];

  const doc = createDocumentClient({ region: 'us-east-1', dynamodbEndpoint: endpoint });
  const read = async (table: TableId, key: Record<string, unknown>) =>
    (await doc.send(new GetCommand({ TableName: tables[table], Key: key, ConsistentRead: true }))).Item;
  return {
    doc,
    endpoint,
    tables,
    read,
    async userNamed(username) {
      const claim = await read('UsernamesTable', { username: username.normalize('NFKC').toLowerCase() });
      return claim === undefined ? undefined : read('UsersTable', { sub: claim.sub });
    },
    async scan(table, sub) {
      const items: Record<string, unknown>[] = [];
      let ExclusiveStartKey: Record<string, unknown> | undefined;
      do {
        const page = await doc.send(new ScanCommand({
          TableName: tables[table],
          ConsistentRead: true,
          ExclusiveStartKey,
          ...(sub === undefined
            ? {}
            : { FilterExpression: '#sub = :sub', ExpressionAttributeNames: { '#sub': 'sub' }, ExpressionAttributeValues: { ':sub': sub } }),
        }));
        items.push(...(page.Items ?? []));
        ExclusiveStartKey = page.LastEvaluatedKey;
      } while (ExclusiveStartKey);
      return items;
    },
    async stop() {
      doc.destroy();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

/** Operation names as DynamoDB spells them: 'GetItem', 'PutItem', 'UpdateItem', 'Query', … */
const operation = (commandName: string | undefined) => (commandName ?? 'unknown').replace(/Command$/, '');

let middlewareIds = 0;

export interface RequestCounter {
  /** Requests sent since the last reset, by operation name. */
  readonly counts: Record<string, number>;
  total(): number;
  reset(): void;
  remove(): void;
}

/**
 * Counts the requests the client sends to DynamoDB, by operation. It sits after the SDK's retry step, so
 * a retried call counts once per attempt: what DynamoDB (and the bill) sees.
 */
export function countRequests(doc: DynamoDBDocumentClient): RequestCounter {
  const name = `testRequestCounter${(middlewareIds += 1)}`;
  const counter: RequestCounter = {
    counts: {},
    total: () => Object.values(counter.counts).reduce((sum, n) => sum + n, 0),
    reset: () => {
      for (const key of Object.keys(counter.counts)) delete counter.counts[key];
    },
    remove: () => {
      doc.middlewareStack.remove(name);
    },
  };
  doc.middlewareStack.add(
    (next, context) => async (args) => {
      const op = operation(context.commandName);
      counter.counts[op] = (counter.counts[op] ?? 0) + 1;
      return next(args);
    },
    { step: 'finalizeRequest', priority: 'low', name },
  );
  return counter;
}

/** SDK-shaped errors, as the client raises them once its own retries are spent. */
export const sdkErrors = {
  throttling: () =>
    Object.assign(new Error('Rate exceeded'), { name: 'ProvisionedThroughputExceededException', $fault: 'client', $metadata: { httpStatusCode: 400 } }),
  timeout: () => Object.assign(new Error('Connection timed out after 2000 ms'), { name: 'TimeoutError', $metadata: {} }),
  connectionReset: () => Object.assign(new Error('socket hang up'), { name: 'Error', code: 'ECONNRESET', $metadata: {} }),
};

export interface FaultSpec {
  /** The operation(s) that fail: 'UpdateItem', ['GetItem', 'BatchGetItem'], … */
  operation: string | string[];
  /** Only requests to this physical table; any table when absent. */
  table?: string;
  error: () => Error;
  /**
   * 'before': the request never reaches DynamoDB. 'after': DynamoDB applies it, then the response is lost
   * (a timeout or reset on the way back), which is the harder case for a refresh.
   */
  when?: 'before' | 'after';
  /** How many matching requests fail; every one when absent. */
  times?: number;
  /**
   * Fail single HTTP attempts inside the SDK's own retry loop (maxAttempts 3), rather than the whole call:
   * a retryable error is then retried by the SDK itself, as it would be in Lambda.
   */
  perAttempt?: boolean;
}

export interface Fault {
  /** How many requests it has failed. */
  readonly hits: number;
  remove(): void;
}

const FAULT_TAG = 'TEST_FAULT';

/** Removes every injected fault (for afterEach, so a failed test leaves none behind). */
export function clearFaults(doc: DynamoDBDocumentClient): void {
  doc.middlewareStack.removeByTag(FAULT_TAG);
}

/** Makes chosen DynamoDB calls fail with an SDK-style error. Faults are the only thing these tests simulate. */
export function injectFault(doc: DynamoDBDocumentClient, spec: FaultSpec): Fault {
  const name = `testFault${(middlewareIds += 1)}`;
  const state = { hits: 0 };
  const operations = ([] as string[]).concat(spec.operation);
  const tablesOf = (input: { TableName?: string; RequestItems?: Record<string, unknown> }) =>
    input.TableName !== undefined ? [input.TableName] : Object.keys(input.RequestItems ?? {});
  const applies = (commandName: string | undefined, input: unknown) =>
    operations.includes(operation(commandName))
    && (spec.table === undefined || tablesOf(input as { TableName?: string }).includes(spec.table))
    && (spec.times === undefined || state.hits < spec.times);
  const run = async <R>(commandName: string | undefined, input: unknown, proceed: () => Promise<R>): Promise<R> => {
    if (!applies(commandName, input)) return proceed();
    state.hits += 1;
    if (spec.when === 'after') await proceed();
    throw spec.error();
  };
  if (spec.perAttempt) {
    doc.middlewareStack.add((next, context) => (args) => run(context.commandName, args.input, () => next(args)), {
      step: 'finalizeRequest', priority: 'low', name, tags: [FAULT_TAG],
    });
  } else {
    doc.middlewareStack.add((next, context) => (args) => run(context.commandName, args.input, () => next(args)), {
      step: 'initialize', priority: 'high', name, tags: [FAULT_TAG],
    });
  }
  return {
    get hits() {
      return state.hits;
    },
    remove: () => {
      doc.middlewareStack.remove(name);
    },
  };
}
