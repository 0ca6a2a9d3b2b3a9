import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Config } from './config';
import { temporarilyUnavailable } from './errors';

/**
 * One DynamoDB client per container. Timeouts and retries are bounded so that a request always answers
 * well inside the function's 10 s timeout and API Gateway's 29 s: at most 3 attempts of at most 1 s connect
 * + 1.5 s response each, with the SDK's sub-second backoff between them.
 */
export function createDocumentClient(config: Pick<Config, 'region' | 'dynamodbEndpoint'>): DynamoDBDocumentClient {
  const client = new DynamoDBClient({
    region: config.region,
    maxAttempts: 3,
    requestHandler: { connectionTimeout: 1000, requestTimeout: 1500 },
    ...(config.dynamodbEndpoint
      ? { endpoint: config.dynamodbEndpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
      : {}),
  });
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

export function isConditionFailure(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}

/**
 * Runs one DynamoDB call. A failed condition is an answer, returned as `false`; any other SDK error
 * (throttling, timeout, network) becomes the contract's 503. Only the stores call this.
 */
export async function attempt<T>(call: () => Promise<T>): Promise<T | false> {
  try {
    return await call();
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw temporarilyUnavailable(error);
  }
}
