'use strict';
const { CreateTableCommand, DynamoDBClient } = require('@aws-sdk/client-dynamodb');

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

/** Creates every table that the CloudFormation resources declare, unless it exists already. */
async function createTables(endpoint, resources) {
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  try {
    for (const resource of Object.values(resources || {})) {
      if (resource.Type !== 'AWS::DynamoDB::Table') continue;
      try {
        await client.send(new CreateTableCommand(createTableInput(resource.Properties)));
      } catch (error) {
        if (error.name !== 'ResourceInUseException') throw error;
      }
    }
  } finally {
    client.destroy();
  }
}

module.exports = { createTableInput, createTables };
