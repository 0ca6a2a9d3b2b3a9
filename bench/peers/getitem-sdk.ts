/**
 * A floor for the functions that read DynamoDB (bench/cold-start.ts): GET /me reduced to one consistent
 * GetItem through the AWS SDK v3 document client, as lib/dynamo.ts makes it, and nothing else of ours.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';

interface MeEvent {
  requestContext: { authorizer: { sub: string } };
}

let doc: DynamoDBDocumentClient | undefined;

export async function handler(event: MeEvent) {
  const endpoint = process.env.DYNAMODB_ENDPOINT;
  doc ??= DynamoDBDocumentClient.from(new DynamoDBClient({ region: process.env.AWS_REGION, maxAttempts: 2, ...(endpoint ? { endpoint } : {}) }));
  const { Item } = await doc.send(new GetCommand({ TableName: process.env.USERS_TABLE, Key: { sub: event.requestContext.authorizer.sub }, ConsistentRead: true }));
  return { statusCode: Item ? 200 : 404, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ sub: Item?.sub, username: Item?.displayName }) };
}
