import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Config } from './config';
import { temporarilyUnavailable } from './errors';
import { count } from './metrics';

/**
 * The SDK's timeouts, milliseconds. Deployed, bounded so that a request always answers inside the
 * function's 20 s timeout and API Gateway's 29 s: at most 2 attempts of at most 0.5 s connect + 1.5 s
 * response each, plus the SDK's backoff (up to about 1 s for throttling), so about 5 s a call, and no
 * handler makes more than three calls in a row. The embedded DynamoDB of `npm start` and the tests shares
 * the CPU with everything else on a laptop or a CI runner: a burst may queue there for seconds, which is
 * no fault to report.
 */
export const DYNAMODB_TIMEOUTS = {
  deployed: { connectionTimeout: 500, requestTimeout: 1500 },
  embedded: { connectionTimeout: 5000, requestTimeout: 15_000 },
} as const;

/** One DynamoDB client per container, with bounded attempts and timeouts. */
export function createDocumentClient(
  config: Pick<Config, 'region' | 'dynamodbEndpoint'>,
  timeouts: { connectionTimeout: number; requestTimeout: number } = config.dynamodbEndpoint ? DYNAMODB_TIMEOUTS.embedded : DYNAMODB_TIMEOUTS.deployed,
): DynamoDBDocumentClient {
  const client = new DynamoDBClient({
    region: config.region,
    maxAttempts: 2,
    requestHandler: { ...timeouts },
    ...(config.dynamodbEndpoint
      ? { endpoint: config.dynamodbEndpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
      : {}),
  });
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

/** A query of a table's `bySub` index (users and sessions both have one) for one user's items. */
export function bySub(table: string, sub: string) {
  return {
    TableName: table,
    IndexName: 'bySub',
    KeyConditionExpression: '#sub = :sub',
    ExpressionAttributeNames: { '#sub': 'sub' },
    ExpressionAttributeValues: { ':sub': sub },
  };
}

/**
 * Whether a value from outside (a `sub` from the authorizer's context, say) can be a key at all: DynamoDB
 * refuses an empty key and one over 2 KB with a ValidationException, which is no fault of the service.
 * A value that cannot be a key names no item.
 */
export const canBeKey = (value: string) => value.length > 0 && Buffer.byteLength(value) <= 1024;

const isConditionFailure = (error: unknown) => error instanceof Error && error.name === 'ConditionalCheckFailedException';

/**
 * Sends one DynamoDB call that has no condition to fail: any SDK error (throttling, timeout, network)
 * becomes the contract's 503. Only the stores call this, so only they ever see an SDK error.
 */
export async function send<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw unavailable(error);
  }
}

/** A DynamoDB call that failed after the SDK's own retries: counted, and the contract's 503. */
function unavailable(error: unknown) {
  count('DynamoDBUnavailable');
  return temporarilyUnavailable(error);
}

/** Sends a conditional write: `false` when its condition failed, which is an answer; any other error is a 503. */
export async function sendIfCondition<T>(call: () => Promise<T>): Promise<T | false> {
  try {
    return await call();
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw unavailable(error);
  }
}
