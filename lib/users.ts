import { randomUUID } from 'node:crypto';
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { bySub, send, sendIfCondition } from './dynamo';
import { AuthError } from './errors';

export const USERNAME_MIN_LENGTH = 3;
export const USERNAME_MAX_LENGTH = 64;
/** Letters, marks and digits of any script, and . _ - @ + as separators. */
const USERNAME_PATTERN = /^[\p{L}\p{M}\p{N}._@+-]+$/u;

export interface User {
  /** The unique key: NFKC, lower case. */
  username: string;
  /** As the user typed it (NFKC). */
  displayName: string;
  /** A stable id, never the username. */
  sub: string;
  passwordHash: string;
  createdAt: number;
}

/** Validates a username and returns its display form and its unique key (NFKC, lower case). */
export function normalizeUsername(value: unknown): { displayName: string; key: string } {
  if (typeof value !== 'string') throw new AuthError('invalid_request', '"username" must be a string.');
  const displayName = value.normalize('NFKC').trim();
  const length = [...displayName].length;
  if (length < USERNAME_MIN_LENGTH || length > USERNAME_MAX_LENGTH || !USERNAME_PATTERN.test(displayName)) {
    throw new AuthError(
      'invalid_request',
      `"username" must be ${USERNAME_MIN_LENGTH} to ${USERNAME_MAX_LENGTH} letters, digits or . _ - @ + characters.`,
    );
  }
  // Lower-casing can denormalize (e.g. some Greek and Turkish letters), so normalize once more.
  return { displayName, key: displayName.toLowerCase().normalize('NFKC') };
}

export interface UserStore {
  /** Creates the user in one conditional write; a taken username is a 409. */
  create(key: string, displayName: string, passwordHash: string, now: number): Promise<User>;
  get(key: string): Promise<User | undefined>;
  getBySub(sub: string): Promise<User | undefined>;
  /** Replaces the password hash; `expectedHash` guards against a concurrent change. */
  setPasswordHash(user: User, passwordHash: string, expectedHash?: string): Promise<boolean>;
  /** Deletes the user, only if the name still belongs to this `sub`. */
  remove(user: User): Promise<void>;
}

export function createUserStore(doc: DynamoDBDocumentClient, table: string): UserStore {
  const get = async (key: string) =>
    (await send(() => doc.send(new GetCommand({ TableName: table, Key: { username: key }, ConsistentRead: true })))).Item as User | undefined;
  return {
    async create(key, displayName, passwordHash, now) {
      const user: User = { username: key, displayName, sub: randomUUID(), passwordHash, createdAt: now };
      const written = await sendIfCondition(() =>
        doc.send(new PutCommand({ TableName: table, Item: user, ConditionExpression: 'attribute_not_exists(username)' })),
      );
      // A failed condition is either a taken name or our own write, applied before the SDK retried it.
      if (!written && (await get(key))?.sub !== user.sub) throw new AuthError('username_taken', 'That username is already taken.');
      return user;
    },

    get,

    async getBySub(sub) {
      // The index is eventually consistent: it finds the key, then a consistent read gets the item.
      const found = await send(() => doc.send(new QueryCommand({ ...bySub(table, sub), Limit: 1 })));
      const key = found.Items?.[0]?.username as string | undefined;
      return key === undefined ? undefined : get(key);
    },

    async setPasswordHash(user, passwordHash, expectedHash = user.passwordHash) {
      const written = await sendIfCondition(() =>
        doc.send(new UpdateCommand({
          TableName: table,
          Key: { username: user.username },
          UpdateExpression: 'SET passwordHash = :new',
          ConditionExpression: 'passwordHash = :old AND #sub = :sub',
          ExpressionAttributeNames: { '#sub': 'sub' },
          ExpressionAttributeValues: { ':new': passwordHash, ':old': expectedHash, ':sub': user.sub },
        })),
      );
      // As in create: a failed condition may be our own write, retried by the SDK after a lost response.
      return written !== false || (await get(user.username))?.passwordHash === passwordHash;
    },

    async remove(user) {
      await sendIfCondition(() =>
        doc.send(new DeleteCommand({
          TableName: table,
          Key: { username: user.username },
          ConditionExpression: '#sub = :sub',
          ExpressionAttributeNames: { '#sub': 'sub' },
          ExpressionAttributeValues: { ':sub': user.sub },
        })),
      );
    },
  };
}
