'use strict';
const { CreateTableCommand, DescribeTableCommand, DynamoDBClient } = require('@aws-sdk/client-dynamodb');

/** The CreateTable input for one AWS::DynamoDB::Table resource: the parts dynalite understands. */
function createTableInput(properties) {
  const { TableName, AttributeDefinitions, KeySchema, BillingMode, GlobalSecondaryIndexes } = properties;
  return {
    TableName,
    AttributeDefinitions,
    KeySchema,
    BillingMode,
    ...(GlobalSecondaryIndexes
      ? { GlobalSecondaryIndexes: GlobalSecondaryIndexes.map(({ IndexName, KeySchema: keys, Projection }) => ({ IndexName, KeySchema: keys, Projection })) }
      : {}),
  };
}

async function untilActive(client, TableName) {
  for (let tries = 0; tries < 100; tries += 1) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName }));
    if (Table.TableStatus === 'ACTIVE' && (Table.GlobalSecondaryIndexes || []).every((index) => index.IndexStatus === 'ACTIVE')) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`table ${TableName} never became ACTIVE`);
}

/**
 * Creates every table that the CloudFormation resources declare (unless it exists already) and waits until
 * each is ACTIVE. `names` renames tables by logical id (tests give each server its own). Returns the
 * physical name of each table by logical id.
 */
async function createTables(endpoint, resources, names = {}) {
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const created = {};
  try {
    for (const [id, resource] of Object.entries(resources || {})) {
      if (resource.Type !== 'AWS::DynamoDB::Table') continue;
      const input = createTableInput({ ...resource.Properties, TableName: names[id] || resource.Properties.TableName });
      try {
        await client.send(new CreateTableCommand(input));
      } catch (error) {
        if (error.name !== 'ResourceInUseException') throw error;
      }
      await untilActive(client, input.TableName);
      created[id] = input.TableName;
    }
  } finally {
    client.destroy();
  }
  return created;
}

module.exports = { createTableInput, createTables };
