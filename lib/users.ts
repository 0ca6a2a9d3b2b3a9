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
  /** The address the user gave (lib/email.ts form), verified or not yet. */
  email?: string;
  emailVerified?: boolean;
  /** The address this user holds in the emails table: the last one verified, where a reset is sent. */
  verifiedEmail?: string;
  /** The pending verification of `email`: the hash of its token (lib/one-time-tokens.ts) and its end. */
  emailTokenHash?: string;
  emailTokenExpiresAt?: number;
  /** The pending password reset: the hash of its token and its end. */
  resetTokenHash?: string;
  resetTokenExpiresAt?: number;
  /** A disabled account logs in, refreshes and resets nothing (the admin CLI sets it). */
  disabled?: boolean;
  /** Scopes granted to this user beyond DEFAULT_SCOPES (a DynamoDB string set). */
  scopes?: Set<string>;
}

/** A one-time token's hash and end, as a user item keeps it. */
export interface PendingToken {
  hash: string;
  expiresAt: number;
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
  /**
   * Claims the name and creates the user (with `sub`, or a new one); a taken name is a 409
   * `username_taken`. An `email` is stored unverified, with the hash of its verification token.
   */
  create(
    name: { key: string; displayName: string },
    passwordHash: string,
    now: number,
    extra?: { sub?: string; email?: { address: string; token: PendingToken } },
  ): Promise<User>;
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
  /** Deletes the user, then frees its name and its address (each only if it still points at the user). */
  remove(user: User): Promise<void>;
  /** The user whose verified address this is: the same reads whether or not anyone has it. */
  findByVerifiedEmail(address: string): Promise<User | undefined>;
  /** Sets a new, unverified address and the hash of its verification token (an older token stops working). */
  setPendingEmail(sub: string, address: string, token: PendingToken): Promise<User | undefined>;
  /**
   * Makes the pending address verified, if `hash` is its token's and has not expired: claims the address
   * (a 409 `email_taken` when another account holds it verified), then spends the token in one conditional
   * write, then frees the address verified before. The updated user, or undefined for a bad token.
   */
  confirmEmail(user: User, hash: string, now: number): Promise<User | undefined>;
  /** Records a password reset token's hash (an older one stops working); false for no such user or a disabled one. */
  setResetToken(sub: string, token: PendingToken): Promise<boolean>;
  /**
   * Spends a reset token: in one conditional write, if `hash` is the current reset token's and has not
   * expired and the account is not disabled, sets the new hash and raises the credential version. The
   * updated user, or undefined.
   */
  resetPassword(sub: string, hash: string, passwordHash: string, now: number): Promise<User | undefined>;
  /** Disables (every session ends, pending tokens die) or enables the account; false for no such user. */
  setDisabled(sub: string, disabled: boolean): Promise<boolean>;
  /** Grants or withdraws a scope beyond DEFAULT_SCOPES; false for no such user. */
  grantScope(sub: string, scope: string): Promise<boolean>;
  revokeScope(sub: string, scope: string): Promise<boolean>;
}

/** The emails table: a verified address, claimed by one user. */
interface EmailClaim {
  email: string;
  sub: string;
  createdAt: number;
}

export function createUserStore(doc: DynamoDBDocumentClient, tables: { users: string; usernames: string; emails: string }): UserStore {
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

  const emailClaimOf = async (address: string) =>
    canBeKey(address)
      ? ((await send(() => doc.send(new GetCommand({ TableName: tables.emails, Key: { email: address }, ConsistentRead: true })))).Item as EmailClaim | undefined)
      : undefined;

  const releaseEmail = (address: string, sub: string) =>
    sendIfCondition(() =>
      doc.send(new DeleteCommand({
        TableName: tables.emails,
        Key: { email: address },
        ConditionExpression: '#sub = :sub',
        ExpressionAttributeNames: { '#sub': 'sub' },
        ExpressionAttributeValues: { ':sub': sub },
      })),
    );

  /**
   * Claims a verified address for `sub`. A claim stands only while its user still holds that address
   * verified (a claim left by a change or a deletion that died half-way is free), so it is taken over then.
   */
  async function claimEmail(address: string, sub: string, now: number): Promise<boolean> {
    for (let tries = 0; tries < 2; tries += 1) {
      const claimed = await sendIfCondition(() =>
        doc.send(new PutCommand({
          TableName: tables.emails,
          Item: { email: address, sub, createdAt: now } satisfies EmailClaim,
          ConditionExpression: 'attribute_not_exists(email) OR #sub = :sub',
          ExpressionAttributeNames: { '#sub': 'sub' },
          ExpressionAttributeValues: { ':sub': sub },
        })),
      );
      if (claimed) return true;
      const holder = await emailClaimOf(address);
      if (holder === undefined) continue;
      if ((await get(holder.sub))?.verifiedEmail === address) return false;
      await releaseEmail(address, holder.sub);
    }
    return false;
  }

  /** An update of one existing user; the new item, or undefined when the condition failed. */
  const update = async (sub: string, command: Omit<ConstructorParameters<typeof UpdateCommand>[0], 'TableName' | 'Key'>) => {
    if (!canBeKey(sub)) return undefined;
    const written = await sendIfCondition(() =>
      doc.send(new UpdateCommand({ TableName: tables.users, Key: { sub }, ReturnValues: 'ALL_NEW', ...command })),
    );
    return written ? (written.Attributes as User) : undefined;
  };
  const EXISTS = { ConditionExpression: 'attribute_exists(#sub)', ExpressionAttributeNames: { '#sub': 'sub' } };

  return {
    async create(name, passwordHash, now, extra = {}) {
      const user: User = {
        sub: extra.sub ?? randomUUID(),
        username: name.key,
        displayName: name.displayName,
        passwordHash,
        createdAt: now,
        credentialVersion: 1,
        ...(extra.email
          ? { email: extra.email.address, emailVerified: false, emailTokenHash: extra.email.token.hash, emailTokenExpiresAt: extra.email.token.expiresAt }
          : {}),
      };
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
      // The user is gone: a claim left behind by a failure here is free for the next one who asks.
      await Promise.all([release(user.username, user.sub), user.verifiedEmail ? releaseEmail(user.verifiedEmail, user.sub) : undefined]);
    },

    async findByVerifiedEmail(address) {
      const holder = await emailClaimOf(address);
      const user = await get(holder?.sub ?? NOBODY);
      return user?.verifiedEmail === address ? user : undefined;
    },

    setPendingEmail: (sub, address, token) =>
      update(sub, {
        UpdateExpression: 'SET email = :email, emailVerified = :false, emailTokenHash = :hash, emailTokenExpiresAt = :end',
        ...EXISTS,
        ExpressionAttributeValues: { ':email': address, ':false': false, ':hash': token.hash, ':end': token.expiresAt },
      }),

    async confirmEmail(user, hash, now) {
      const address = user.email;
      if (!address || user.emailTokenHash !== hash || (user.emailTokenExpiresAt ?? 0) <= now) return undefined;
      if (!(await claimEmail(address, user.sub, now))) throw new AuthError('email_taken', 'That address is verified on another account.');
      const confirmed = await update(user.sub, {
        UpdateExpression: 'SET emailVerified = :true, verifiedEmail = :email REMOVE emailTokenHash, emailTokenExpiresAt',
        ConditionExpression: 'emailTokenHash = :hash AND emailTokenExpiresAt > :now AND email = :email',
        ExpressionAttributeValues: { ':true': true, ':email': address, ':hash': hash, ':now': now },
      });
      const before = user.verifiedEmail;
      if (!confirmed) {
        // Spent or replaced meanwhile: give the address back unless the user holds it after all.
        if ((await get(user.sub))?.verifiedEmail !== address) await releaseEmail(address, user.sub);
        return undefined;
      }
      if (before && before !== address) await releaseEmail(before, user.sub);
      return confirmed;
    },

    async setResetToken(sub, token) {
      const written = await update(sub, {
        UpdateExpression: 'SET resetTokenHash = :hash, resetTokenExpiresAt = :end',
        ConditionExpression: 'attribute_exists(#sub) AND (attribute_not_exists(disabled) OR disabled = :false)',
        ExpressionAttributeNames: { '#sub': 'sub' },
        ExpressionAttributeValues: { ':hash': token.hash, ':end': token.expiresAt, ':false': false },
      });
      return written !== undefined;
    },

    resetPassword: (sub, hash, passwordHash, now) =>
      update(sub, {
        UpdateExpression: 'SET passwordHash = :new ADD credentialVersion :one REMOVE resetTokenHash, resetTokenExpiresAt',
        ConditionExpression: 'resetTokenHash = :hash AND resetTokenExpiresAt > :now AND (attribute_not_exists(disabled) OR disabled = :false)',
        ExpressionAttributeValues: { ':new': passwordHash, ':one': 1, ':hash': hash, ':now': now, ':false': false },
      }),

    async setDisabled(sub, disabled) {
      const written = await update(sub, disabled
        ? {
          UpdateExpression: 'SET disabled = :true ADD credentialVersion :one REMOVE resetTokenHash, resetTokenExpiresAt, emailTokenHash, emailTokenExpiresAt',
          ...EXISTS,
          ExpressionAttributeValues: { ':true': true, ':one': 1 },
        }
        : { UpdateExpression: 'REMOVE disabled', ...EXISTS });
      return written !== undefined;
    },

    grantScope: async (sub, scope) =>
      (await update(sub, { UpdateExpression: 'ADD scopes :scope', ...EXISTS, ExpressionAttributeValues: { ':scope': new Set([scope]) } })) !== undefined,

    revokeScope: async (sub, scope) =>
      (await update(sub, { UpdateExpression: 'DELETE scopes :scope', ...EXISTS, ExpressionAttributeValues: { ':scope': new Set([scope]) } })) !== undefined,
  };
}
