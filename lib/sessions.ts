import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { bySub, send, sendIfCondition } from './dynamo';
import { logger } from './log';
import { AuthError } from './errors';
import { mintRefreshToken, openSuccessor, sealSuccessor, type RefreshToken } from './refresh-tokens';

/**
 * A session is one DynamoDB item: the refresh-token family. It holds the hash of the current token, the
 * hash of the one before it with the time it was rotated out, and that rotation's successor, sealed under
 * the previous token. Every decision about a refresh is one conditional write on this item. Times are
 * epoch seconds; `expiresAt` is the table's TTL attribute, for clean-up only: every read checks expiry.
 */
export interface Session {
  id: string;
  sub: string;
  clientId: string;
  /** The scopes granted at login (a string set); refreshes may narrow an access token's scope, never these. */
  scopes: Set<string>;
  createdAt: number;
  lastUsedAt: number;
  idleExpiresAt: number;
  absoluteExpiresAt: number;
  expiresAt: number;
  tokenHash: string;
  previousHash?: string;
  rotatedAt?: number;
  successor?: string;
}

export interface SessionPolicy {
  idleTtl: number;
  absoluteTtl: number;
  reuseGrace: number;
}

export interface SessionSummary {
  id: string;
  createdAt: number;
  lastUsedAt: number;
  expiresAt: number;
}

/** The moment a session ends: its idle deadline, never past its absolute one. */
export const endOf = (session: Pick<Session, 'idleExpiresAt' | 'absoluteExpiresAt'>) =>
  Math.min(session.idleExpiresAt, session.absoluteExpiresAt);

const rejected = () => new AuthError('invalid_grant', 'The refresh token is invalid, expired or revoked.');

/** What a refresh asks for beyond the token itself; checked inside the same conditional write. */
export interface RotationRequest {
  clientId?: string;
  /** Scopes the new access token should carry; each must have been granted to the session. */
  scopes?: string[];
}

/** Why a live session refuses a request that named it correctly; undefined when it does not. */
function mismatch(session: Session, request: RotationRequest): AuthError | undefined {
  if (request.clientId !== undefined && request.clientId !== session.clientId) {
    return new AuthError('invalid_grant', 'The refresh token was issued to another client.');
  }
  if (request.scopes?.some((scope) => !session.scopes.has(scope))) {
    return new AuthError('invalid_scope', 'The requested scope exceeds what the session was granted.');
  }
  return undefined;
}

export interface SessionStore {
  /** Starts a session and returns it with its first refresh token. */
  start(sub: string, clientId: string, scopes: string[], now: number): Promise<{ session: Session; refreshToken: string }>;
  /**
   * Rotates a presented token in one conditional write. A retry with the immediately previous token
   * inside the grace window gets the same successor; any other rotated token revokes the session.
   */
  rotate(presented: RefreshToken, now: number, request?: RotationRequest): Promise<{ session: Session; refreshToken: string }>;
  /** Ends the session a token belongs to (any token of its family proves the bearer held it). */
  revokeByToken(presented: RefreshToken): Promise<void>;
  /** Ends one session, only if it belongs to `sub`; false when there is no such session of theirs. */
  revokeOwned(sid: string, sub: string): Promise<boolean>;
  /** Live sessions of a user, newest first. */
  list(sub: string, now: number): Promise<SessionSummary[]>;
  /** Ends every session of a user but `keep`. */
  revokeAll(sub: string, keep?: string): Promise<void>;
}

export function createSessionStore(doc: DynamoDBDocumentClient, table: string, policy: SessionPolicy): SessionStore {
  const remove = (id: string) => send(() => doc.send(new DeleteCommand({ TableName: table, Key: { id } })));

  const read = async (id: string) =>
    (await send(() => doc.send(new GetCommand({ TableName: table, Key: { id }, ConsistentRead: true })))).Item as Session | undefined;

  async function list(sub: string, now: number): Promise<SessionSummary[]> {
    const sessions: Session[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await send(() =>
        doc.send(new QueryCommand({ ...bySub(table, sub), ScanIndexForward: false, ExclusiveStartKey: startKey })),
      );
      sessions.push(...((page.Items ?? []) as Session[]));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return sessions
      .filter((session) => endOf(session) > now)
      .map((session) => ({ id: session.id, createdAt: session.createdAt, lastUsedAt: session.lastUsedAt, expiresAt: endOf(session) }));
  }

  /** Why a rotation's condition failed, decided on a consistent read of the item. */
  async function afterFailedRotation(presented: RefreshToken, now: number, request: RotationRequest) {
    const session = await read(presented.sid);
    if (!session || endOf(session) <= now) throw rejected();
    // The current token, refused for the request's client or scope (or a race with the clock): the
    // token stays valid and nothing is revoked.
    if (presented.hash === session.tokenHash) throw mismatch(session, request) ?? rejected();
    const withinGrace = session.rotatedAt !== undefined && now - session.rotatedAt <= policy.reuseGrace;
    if (presented.hash === session.previousHash && withinGrace && session.successor) {
      const refused = mismatch(session, request);
      if (refused) throw refused;
      const successor = openSuccessor(presented, session.successor);
      if (successor !== undefined) return { session, refreshToken: successor };
    }
    // A token of this family that is neither current nor a fresh retry: it was stolen, or the client
    // that rotated it was. Either way the whole family ends.
    await remove(session.id);
    throw rejected();
  }

  return {
    async start(sub, clientId, scopes, now) {
      const first = mintRefreshToken();
      const absoluteExpiresAt = now + policy.absoluteTtl;
      const idleExpiresAt = Math.min(now + policy.idleTtl, absoluteExpiresAt);
      const session: Session = {
        id: first.sid, sub, clientId, scopes: new Set(scopes), createdAt: now, lastUsedAt: now,
        idleExpiresAt, absoluteExpiresAt, expiresAt: idleExpiresAt, tokenHash: first.hash,
      };
      const written = await sendIfCondition(() =>
        doc.send(new PutCommand({ TableName: table, Item: session, ConditionExpression: 'attribute_not_exists(id)' })),
      ).catch(async (error: unknown) => {
        // The write may have landed with its answer lost: take it back, so no session outlives the failure.
        await remove(session.id).catch((cleanup: unknown) => logger.warn('could not take back a session', cleanup));
        throw error;
      });
      // A failed condition is our own write retried by the SDK after a lost response (128 random bits
      // do not collide); should they ever, say so rather than overwrite a session.
      if (!written && (await read(session.id))?.tokenHash !== first.hash) throw new AuthError('server_error', 'Session id collision.');
      return { session, refreshToken: first.token };
    },

    async rotate(presented, now, request = {}) {
      const next = mintRefreshToken(presented.token);
      const idleExpiresAt = now + policy.idleTtl;
      const conditions = ['tokenHash = :presented', 'idleExpiresAt > :now', 'absoluteExpiresAt > :now'];
      const values: Record<string, unknown> = {};
      if (request.clientId !== undefined) {
        conditions.push('clientId = :client');
        values[':client'] = request.clientId;
      }
      request.scopes?.forEach((scope, index) => {
        conditions.push(`contains(scopes, :scope${index})`);
        values[`:scope${index}`] = scope;
      });
      const updated = await sendIfCondition(() =>
        doc.send(new UpdateCommand({
          TableName: table,
          Key: { id: presented.sid },
          ConditionExpression: conditions.join(' AND '),
          // idleExpiresAt may pass absoluteExpiresAt here; endOf() caps it wherever it is read.
          UpdateExpression: 'SET tokenHash = :next, previousHash = :presented, rotatedAt = :now, successor = :sealed, '
            + 'lastUsedAt = :now, idleExpiresAt = :idle, expiresAt = :idle',
          ExpressionAttributeValues: {
            ':presented': presented.hash,
            ':next': next.hash,
            ':sealed': sealSuccessor(presented, next.token),
            ':now': now,
            ':idle': idleExpiresAt,
            ...values,
          },
          ReturnValues: 'ALL_NEW',
        })),
      );
      if (updated) return { session: updated.Attributes as Session, refreshToken: next.token };
      return afterFailedRotation(presented, now, request);
    },

    async revokeByToken(presented) {
      await remove(presented.sid);
    },

    async revokeOwned(sid, sub) {
      if ((await read(sid))?.sub !== sub) return false;
      // Gone already is fine (a retried delete, or a parallel logout); someone else's is not.
      await sendIfCondition(() =>
        doc.send(new DeleteCommand({
          TableName: table,
          Key: { id: sid },
          ConditionExpression: 'attribute_not_exists(id) OR #sub = :sub',
          ExpressionAttributeNames: { '#sub': 'sub' },
          ExpressionAttributeValues: { ':sub': sub },
        })),
      );
      return true;
    },

    list,

    async revokeAll(sub, keep) {
      const sessions = await list(sub, 0);
      await Promise.all(sessions.filter((session) => session.id !== keep).map((session) => remove(session.id)));
    },
  };
}
