import { randomUUID } from 'node:crypto';
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { canBeKey, send, sendIfCondition } from './dynamo';
import { AuthError } from './errors';

/**
 * A user is one item keyed by its `sub` (so every route that knows the caller reads it in one request), and
 * its name is a claim item in the usernames table (so a name is unique: one conditional write decides).
 */
export interface User {
  /** A stable id, never the username; the key of the users table. */
  sub: string;
  /** The unique key of the name (RFC 8265 enforcement: width-mapped, lower case, NFC). */
  username: string;
  /** The name as the user typed it (width-mapped, NFC). */
  displayName: string;
  passwordHash: string;
  createdAt: number;
  /**
   * Raised by every change that must end all sessions at once (a password change, a logout everywhere):
   * a session records the version it started under, and a refresh refuses a session whose version is stale.
   */
  credentialVersion: number;
}

/** The claim a name holds on a user. */
interface UsernameClaim {
  username: string;
  sub: string;
  createdAt: number;
}

/** A claim whose user never arrived (a registration that died between its two writes) is free after this. */
const ORPHAN_CLAIM_AGE = 60;
/** Longer input is no name (lib/usernames.ts refuses it too), and is not worth normalizing. */
const MAX_TYPED_LENGTH = 1024;
/** Read when a name has no claim, so that an unknown name costs the same reads as a known one. */
const NOBODY = '00000000-0000-4000-8000-000000000000';

/**
 * The lookup key of a name typed at login, as lenient as every rule names were ever registered under: NFKC,
 * lower case, NFKC again. For every name the registration profile (lib/usernames.ts) accepts, it is that
 * profile's key; any other string is a key no user has.
 */
export function loginKey(value: string): string {
  if (value.length > MAX_TYPED_LENGTH) throw new AuthError('invalid_request', '"username" is too long.');
  return value.normalize('NFKC').trim().toLowerCase().normalize('NFKC');
}

export interface UserStore {
  /** Claims the name and creates the user; a taken name is a 409 `username_taken`. */
  create(name: { key: string; displayName: string }, passwordHash: string, now: number): Promise<User>;
  /** A consistent read by `sub`. */
  get(sub: string): Promise<User | undefined>;
  /** The user a name belongs to: two consistent reads (the claim, then the user), for known and unknown names alike. */
  findByUsername(key: string): Promise<User | undefined>;
  /**
   * Replaces the password hash and raises the credential version, in one conditional write on the user
   * as it was read; the updated user, or false when someone changed it first.
   */
  changePassword(user: User, passwordHash: string): Promise<User | false>;
  /** Replaces the hash with one of today's parameters for the same password: no session ends. */
  rehash(user: User, passwordHash: string): Promise<void>;
  /** Raises the credential version (every session ends); the new version, or undefined when there is no such user. */
  raiseCredentialVersion(sub: string): Promise<number | undefined>;
  /** Deletes the user, then frees its name (only if the name still points at it). */
  remove(user: User): Promise<void>;
}

export function createUserStore(doc: DynamoDBDocumentClient, tables: { users: string; usernames: string }): UserStore {
  const get = async (sub: string) =>
    canBeKey(sub)
      ? ((await send(() => doc.send(new GetCommand({ TableName: tables.users, Key: { sub }, ConsistentRead: true })))).Item as User | undefined)
      : undefined;

  const claimOf = async (key: string) =>
    (await send(() => doc.send(new GetCommand({ TableName: tables.usernames, Key: { username: key }, ConsistentRead: true })))).Item as
      | UsernameClaim
      | undefined;

  const claim = (key: string, sub: string, now: number) =>
    sendIfCondition(() =>
      doc.send(new PutCommand({
        TableName: tables.usernames,
        Item: { username: key, sub, createdAt: now } satisfies UsernameClaim,
        ConditionExpression: 'attribute_not_exists(username)',
      })),
    );

  const release = (key: string, sub: string) =>
    sendIfCondition(() =>
      doc.send(new DeleteCommand({
        TableName: tables.usernames,
        Key: { username: key },
        ConditionExpression: '#sub = :sub',
        ExpressionAttributeNames: { '#sub': 'sub' },
        ExpressionAttributeValues: { ':sub': sub },
      })),
    );

  /** Claims a name; a failed condition is a taken name, our own write retried by the SDK, or an orphan claim. */
  async function claimName(key: string, sub: string, now: number): Promise<void> {
    for (let tries = 0; tries < 2; tries += 1) {
      if (await claim(key, sub, now)) return;
      const holder = await claimOf(key);
      if (holder === undefined) continue; // freed in between
      if (holder.sub === sub) return;
      if (holder.createdAt > now - ORPHAN_CLAIM_AGE || (await get(holder.sub)) !== undefined) break;
      await release(key, holder.sub);
    }
    throw new AuthError('username_taken', 'That username is already taken.');
  }

  return {
    async create(name, passwordHash, now) {
      const user: User = { sub: randomUUID(), username: name.key, displayName: name.displayName, passwordHash, createdAt: now, credentialVersion: 1 };
      await claimName(name.key, user.sub, now);
      // A random UUID does not collide; a failed condition here is our own write, retried by the SDK.
      await sendIfCondition(() =>
        doc.send(new PutCommand({ TableName: tables.users, Item: user, ConditionExpression: 'attribute_not_exists(#sub)', ExpressionAttributeNames: { '#sub': 'sub' } })),
      ).catch(async (error: unknown) => {
        await release(name.key, user.sub).catch(() => undefined);
        throw error;
      });
      return user;
    },

    get,

    async findByUsername(key) {
      const holder = canBeKey(key) ? await claimOf(key) : undefined;
      const user = await get(holder?.sub ?? NOBODY);
      return user?.username === key ? user : undefined;
    },

    async changePassword(user, passwordHash) {
      const next = user.credentialVersion + 1;
      const written = await sendIfCondition(() =>
        doc.send(new UpdateCommand({
          TableName: tables.users,
          Key: { sub: user.sub },
          UpdateExpression: 'SET passwordHash = :new, credentialVersion = :next',
          ConditionExpression: 'passwordHash = :old AND credentialVersion = :version',
          ExpressionAttributeValues: { ':new': passwordHash, ':old': user.passwordHash, ':next': next, ':version': user.credentialVersion },
          ReturnValues: 'ALL_NEW',
        })),
      );
      if (written) return written.Attributes as User;
      // A failed condition may be our own write, applied before the SDK retried it after a lost response.
      const current = await get(user.sub);
      return current?.passwordHash === passwordHash && current.credentialVersion === next ? current : false;
    },

    async rehash(user, passwordHash) {
      await sendIfCondition(() =>
        doc.send(new UpdateCommand({
          TableName: tables.users,
          Key: { sub: user.sub },
          UpdateExpression: 'SET passwordHash = :new',
          ConditionExpression: 'passwordHash = :old',
          ExpressionAttributeValues: { ':new': passwordHash, ':old': user.passwordHash },
        })),
      );
    },

    async raiseCredentialVersion(sub) {
      if (!canBeKey(sub)) return undefined;
      const written = await sendIfCondition(() =>
        doc.send(new UpdateCommand({
          TableName: tables.users,
          Key: { sub },
          UpdateExpression: 'ADD credentialVersion :one',
          ConditionExpression: 'attribute_exists(#sub)',
          ExpressionAttributeNames: { '#sub': 'sub' },
          ExpressionAttributeValues: { ':one': 1 },
          ReturnValues: 'UPDATED_NEW',
        })),
      );
      return written ? Number(written.Attributes?.credentialVersion) : undefined;
    },

    async remove(user) {
      await sendIfCondition(() =>
        doc.send(new DeleteCommand({
          TableName: tables.users,
          Key: { sub: user.sub },
          ConditionExpression: 'username = :username',
          ExpressionAttributeValues: { ':username': user.username },
        })),
      );
      await release(user.username, user.sub);
    },
  };
}
