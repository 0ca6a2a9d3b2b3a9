/**
 * What one operation asks of DynamoDB, read off the SDK client it uses: the requests by kind, the round trips
 * on its critical path (the longest chain of requests each sent after the previous one answered), and the
 * read and write request units DynamoDB on-demand would bill. Attached only while counting: timed runs go
 * without it.
 */
import { performance } from 'node:perf_hooks';
import { BatchWriteCommand, DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

interface Request {
  operation: string;
  /** The command's input as the code sent it, for a replay. */
  input: Record<string, unknown>;
  tables: string[];
  start: number;
  end: number;
  /** The error's name, for a request that failed (ConditionalCheckFailedException is an answer). */
  failed?: string;
  readUnits: number;
  writeUnits: number;
}

export interface OperationCost {
  /** Requests by DynamoDB operation name (GetItem, UpdateItem, …). */
  requests: Record<string, number>;
  total: number;
  /** Sequential round trips on the critical path. */
  roundTrips: number;
  /** Read request units (on-demand): 1 per consistent read of up to 4 KB, half that eventually consistent. */
  readUnits: number;
  /** Write request units (on-demand): 1 per KB written, per table and per index the write reaches. */
  writeUnits: number;
  /** The requests as sent, for a replay. */
  recorded: Recorded[];
}

/** One request as recorded, enough to send it again. */
export interface Recorded {
  operation: string;
  input: Record<string, unknown>;
  /** Indexes of the requests that had answered before this one was sent. */
  after: number[];
}

/** Tables with a global secondary index whose every item write reaches it (serverless.yml: SessionsTable's bySub). */
export interface MeterOptions {
  indexedTables: string[];
}

interface ConsumedCapacity {
  TableName?: string;
  CapacityUnits?: number;
  Table?: { CapacityUnits?: number };
  GlobalSecondaryIndexes?: Record<string, { CapacityUnits?: number }>;
}

let names = 0;

const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem']);
const RETURNS_CAPACITY = new Set(['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'Query', 'Scan', 'BatchGetItem', 'BatchWriteItem']);

/** The most requests that can be chained one after the other: greedy by earliest end is optimal. */
function criticalPath(requests: readonly Request[]): number {
  let chain = 0;
  let free = Number.NEGATIVE_INFINITY;
  for (const request of [...requests].sort((a, b) => a.end - b.end)) {
    if (request.start >= free) {
      chain += 1;
      free = request.end;
    }
  }
  return chain;
}

/**
 * The requests in the order they were sent, each with the requests that had answered before it was sent:
 * a replay sends it once those have answered again, so that it keeps the operation's overlap and order.
 */
function dependencies(requests: readonly Request[]): Recorded[] {
  const ordered = [...requests].sort((a, b) => a.start - b.start);
  return ordered.map((request) => ({
    operation: request.operation,
    input: request.input,
    after: ordered.flatMap((other, index) => (other.end <= request.start ? [index] : [])),
  }));
}

/** The document-client command that sends each operation, as the stores send it. */
const COMMANDS: Record<string, (input: never) => unknown> = {
  GetItem: (input) => new GetCommand(input),
  PutItem: (input) => new PutCommand(input),
  UpdateItem: (input) => new UpdateCommand(input),
  DeleteItem: (input) => new DeleteCommand(input),
  Query: (input) => new QueryCommand(input),
  BatchWriteItem: (input) => new BatchWriteCommand(input),
};

/**
 * A write's input without its condition, so that a replay writes as the original did: a condition that fails
 * costs an emulator less than a write, where DynamoDB takes about as long for either. Names and values only
 * the condition used go too (DynamoDB refuses unused ones).
 */
function unconditional(input: Record<string, unknown>): Record<string, unknown> {
  const { ConditionExpression: _condition, ...rest } = structuredClone(input);
  const used = ['UpdateExpression', 'KeyConditionExpression', 'FilterExpression', 'ProjectionExpression'].map((name) => String(rest[name] ?? '')).join(' ');
  for (const map of ['ExpressionAttributeNames', 'ExpressionAttributeValues']) {
    const entries = Object.entries((rest[map] ?? {}) as Record<string, unknown>).filter(([token]) => new RegExp(`${token.replace(/[#:]/, '\\$&')}\\b`).test(used));
    if (entries.length > 0) rest[map] = Object.fromEntries(entries);
    else delete rest[map];
  }
  return rest;
}

/** Where a replay sends each live table's requests: a replica of the table, so that replays never touch live items. */
export type Replicas = ReadonlyMap<string, string>;

/** The input with its table names changed to their replicas'. */
function onReplicas(input: Record<string, unknown>, replicas: Replicas): Record<string, unknown> {
  const moved = { ...input };
  if (typeof moved.TableName === 'string') moved.TableName = replicas.get(moved.TableName) ?? moved.TableName;
  if (moved.RequestItems) {
    moved.RequestItems = Object.fromEntries(Object.entries(moved.RequestItems as Record<string, unknown>).map(([table, items]) => [replicas.get(table) ?? table, items]));
  }
  return moved;
}

/**
 * Copies into the replicas what the recorded requests read (the items they get, the items their queries
 * find), so that a replay reads items as the original did.
 */
export async function seedReplicas(doc: DynamoDBDocumentClient, recorded: readonly Recorded[], replicas: Replicas): Promise<void> {
  for (const { operation, input } of recorded) {
    const table = input.TableName as string;
    const replica = replicas.get(table);
    if (!replica) continue;
    const items = operation === 'GetItem'
      ? [(await doc.send(new GetCommand(structuredClone(input) as never))).Item]
      : operation === 'Query' ? (await doc.send(new QueryCommand(structuredClone(input) as never))).Items ?? [] : [];
    for (const item of items) if (item) await doc.send(new PutCommand({ TableName: replica, Item: item }));
  }
}

/**
 * Sends recorded requests again, to the replicas, in their order and overlap, and nothing else: what an
 * operation's round trips cost by themselves. Writes go without their conditions, so that each one writes
 * as the original did.
 */
export async function replay(doc: DynamoDBDocumentClient, recorded: readonly Recorded[], replicas: Replicas): Promise<void> {
  const sent: Promise<unknown>[] = [];
  for (const { operation, input, after } of recorded) {
    const command = COMMANDS[operation];
    if (!command) throw new Error(`no replay for ${operation}`);
    sent.push(Promise.all(after.map((index) => sent[index])).then(() => doc.send(command(onReplicas(unconditional(input), replicas) as never) as GetCommand)));
  }
  await Promise.all(sent);
}

/**
 * Time with at least one DynamoDB request in flight on this client (the union of their intervals, client-side
 * work included), while `work` runs: the part of an operation spent in its round trips.
 */
export async function timeInDynamo<T>(doc: DynamoDBDocumentClient, work: () => Promise<T>): Promise<{ result: T; inFlightMs: number; totalMs: number }> {
  const name = `benchInFlight${(names += 1)}`;
  let inFlight = 0;
  let since = 0;
  let total = 0;
  doc.middlewareStack.add(
    (next) => async (args) => {
      if (inFlight++ === 0) since = performance.now();
      try {
        return await next(args);
      } finally {
        if (--inFlight === 0) total += performance.now() - since;
      }
    },
    { step: 'initialize', priority: 'high', name },
  );
  const started = performance.now();
  try {
    const result = await work();
    return { result, inFlightMs: total, totalMs: performance.now() - started };
  } finally {
    doc.middlewareStack.remove(name);
  }
}

export interface DynamoMeter {
  /** Runs `work` and returns what it asked of DynamoDB. */
  measure(work: () => Promise<unknown>): Promise<OperationCost>;
  remove(): void;
}


export function meterDynamo(doc: DynamoDBDocumentClient, { indexedTables }: MeterOptions): DynamoMeter {
  const name = `benchDynamoMeter${(names += 1)}`;
  let log: Request[] = [];
  doc.middlewareStack.add(
    (next, context) => async (args) => {
      const operation = (context.commandName ?? 'unknown').replace(/Command$/, '');
      const input = args.input as { TableName?: string; RequestItems?: Record<string, unknown[]>; ReturnConsumedCapacity?: string };
      const tables = input.TableName !== undefined ? [input.TableName] : Object.keys(input.RequestItems ?? {});
      const request: Request = { operation, input: structuredClone(input), tables, start: performance.now(), end: 0, readUnits: 0, writeUnits: 0 };
      if (RETURNS_CAPACITY.has(operation)) input.ReturnConsumedCapacity = 'INDEXES';
      log.push(request);
      const written = (count: number, table: string) => (indexedTables.includes(table) ? 2 : 1) * count;
      try {
        const result = await next(args);
        request.end = performance.now();
        const consumed = (result.output as { ConsumedCapacity?: ConsumedCapacity | ConsumedCapacity[] }).ConsumedCapacity;
        const units = ([] as ConsumedCapacity[]).concat(consumed ?? []).reduce((sum, c) => sum + (c.CapacityUnits ?? 0), 0);
        // A read is billed at least one unit, half of it when eventually consistent, even when it finds nothing.
        if (!WRITES.has(operation)) request.readUnits = Math.max(units, (input as { ConsistentRead?: boolean }).ConsistentRead ? 1 : 0.5);
        else if (operation === 'BatchWriteItem') {
          // One unit per item of at most 1 KB, on the table and on the index it reaches.
          request.writeUnits = Object.entries(input.RequestItems ?? {}).reduce((sum, [table, items]) => sum + written(items.length, table), 0);
        } else request.writeUnits = Math.max(1, units) * (indexedTables.includes(tables[0]!) ? 2 : 1);
        return result;
      } catch (error) {
        request.end = performance.now();
        request.failed = (error as Error).name;
        // A failed condition is billed as a write to the table (1 unit for a small item); nothing reaches the index.
        if (WRITES.has(operation) && request.failed === 'ConditionalCheckFailedException') request.writeUnits = 1;
        throw error;
      }
    },
    { step: 'initialize', priority: 'high', name },
  );
  return {
    async measure(work) {
      log = [];
      await work();
      const requests: Record<string, number> = {};
      for (const request of log) requests[request.operation] = (requests[request.operation] ?? 0) + 1;
      const sum = (pick: (r: Request) => number) => Math.round(log.reduce((total, r) => total + pick(r), 0) * 100) / 100;
      return {
        requests, total: log.length, roundTrips: criticalPath(log), readUnits: sum((r) => r.readUnits), writeUnits: sum((r) => r.writeUnits), recorded: dependencies(log),
      };
    },
    remove() {
      doc.middlewareStack.remove(name);
    },
  };
}

/** "GetItem 2, UpdateItem 1" */
export const requestList = (requests: Record<string, number>) =>
  Object.entries(requests).map(([operation, count]) => `${operation} ${count}`).join(', ') || 'none';
