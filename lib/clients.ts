import { DeleteCommand, GetCommand, PutCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { CLIENT_ID, validateClient, type OAuthClient } from './client-registry';
import { canBeKey, send, sendIfCondition } from './dynamo';
import { AuthError } from './errors';

export * from './client-registry';

/** The item of a client in the clients table. */
const toItem = (client: OAuthClient) => ({
  clientId: client.clientId,
  redirectUris: client.redirectUris,
  postLogoutRedirectUris: client.postLogoutRedirectUris,
  firstParty: client.firstParty,
  ...(client.clientSecretHash ? { clientSecretHash: client.clientSecretHash } : {}),
  ...(client.name ? { name: client.name } : {}),
});

const fromItem = (item: Record<string, unknown> | undefined): OAuthClient | undefined => {
  if (!item) return undefined;
  try {
    return validateClient(item);
  } catch {
    return undefined; // an item edited by hand into something invalid names no client
  }
};

export interface ClientStore {
  /** A client from OAUTH_CLIENTS, else from the table. */
  get(clientId: string): Promise<OAuthClient | undefined>;
  /** Adds a client to the table; false when the id is taken (there or in OAUTH_CLIENTS). */
  add(client: OAuthClient): Promise<boolean>;
  /** Every client, those of the environment (OAUTH_CLIENTS) first, each marked with where it comes from. */
  list(): Promise<(OAuthClient & { source: 'environment' | 'table' })[]>;
  /** Removes a client from the table; false when the table has none of that id. */
  remove(clientId: string): Promise<boolean>;
}

export function createClientStore(doc: DynamoDBDocumentClient, table: string, configured: readonly OAuthClient[] = []): ClientStore {
  const fromConfig = new Map(configured.map((client) => [client.clientId, client]));
  return {
    async get(clientId) {
      const known = fromConfig.get(clientId);
      if (known) return known;
      if (!canBeKey(clientId) || !CLIENT_ID.test(clientId)) return undefined;
      const { Item } = await send(() => doc.send(new GetCommand({ TableName: table, Key: { clientId }, ConsistentRead: true })));
      return fromItem(Item);
    },
    async add(client) {
      if (fromConfig.has(client.clientId)) return false;
      const put = new PutCommand({ TableName: table, Item: toItem(client), ConditionExpression: 'attribute_not_exists(clientId)' });
      return (await sendIfCondition(() => doc.send(put))) !== false;
    },
    async list() {
      const stored: OAuthClient[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        const page = await send(() => doc.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start, ConsistentRead: true })));
        for (const item of page.Items ?? []) {
          const client = fromItem(item);
          if (client && !fromConfig.has(client.clientId)) stored.push(client);
        }
        start = page.LastEvaluatedKey;
      } while (start);
      stored.sort((a, b) => a.clientId.localeCompare(b.clientId));
      return [...configured.map((client) => ({ ...client, source: 'environment' as const })), ...stored.map((client) => ({ ...client, source: 'table' as const }))];
    },
    async remove(clientId) {
      if (!canBeKey(clientId)) return false;
      const removed = new DeleteCommand({ TableName: table, Key: { clientId }, ConditionExpression: 'attribute_exists(clientId)' });
      return (await sendIfCondition(() => doc.send(removed))) !== false;
    },
  };
}

/**
 * The password grant (POST /auth/login, grant_type=password) is for the service's own apps: refused
 * everywhere when PASSWORD_GRANT is off (RFC 9700 §2.4), and to a registered third-party client always.
 * An unregistered client id is one of the service's own apps, as before clients were registered.
 */
export async function checkPasswordGrant(clients: ClientStore | undefined, enabled: boolean, clientId: string | undefined, authenticated = false): Promise<void> {
  if (!enabled) throw new AuthError('unsupported_grant_type', 'The password grant is turned off; sign in through the authorization endpoint.');
  if (clientId === undefined || !clients) return;
  const client = await clients.get(clientId);
  if (client && !client.firstParty) throw new AuthError('unauthorized_client', 'This client may not use the password grant; use the authorization code flow.');
  // A confidential client authenticates with its secret, which only the token endpoint takes.
  if (client?.clientSecretHash !== undefined && !authenticated) {
    throw new AuthError('unauthorized_client', 'A confidential client uses the token endpoint with its secret.');
  }
}
