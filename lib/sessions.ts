import { BatchGetCommand, type BatchGetCommandInput, type BatchGetCommandOutput, BatchWriteCommand, DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { bySub, canBeKey, send, sendIfCondition } from './dynamo';
import { logger } from './log';
import { count } from './metrics';
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
  /** The owner's credential version when the session started (lib/users.ts); a newer one ends it. */
  credentialVersion: number;
  createdAt: number;
  /** Milliseconds: orders a user's sessions (the index's sort key), so two logins in one second are told apart. */
  startedAt: number;
  lastUsedAt: number;
  idleExpiresAt: number;
  absoluteExpiresAt: number;
  expiresAt: number;
  tokenHash: string;
  previousHash?: string;
  rotatedAt?: number;
  successor?: string;
  /** "Chrome on macOS": the device the session started on, described from its User-Agent (lib/devices.ts). */
  device?: string;
  /** The coarse network (a /24 or a /48) of the login or the last refresh. */
  lastSource?: string;
  /** Started for a confidential client: every refresh must authenticate as that client (RFC 6749 §6). */
  confidential?: boolean;
}

export interface SessionPolicy {
  idleTtl: number;
  absoluteTtl: number;
  reuseGrace: number;
}

/** What the sessions index holds of a session. */
export interface SessionSummary {
  id: string;
  clientId: string;
  credentialVersion: number;
  createdAt: number;
  lastUsedAt: number;
  expiresAt: number;
  device?: string;
  lastSource?: string;
}

/** A session as GET /sessions and `sessions list` show it, its times written by `time` (epoch seconds in). */
export function sessionView(session: SessionSummary, time: (epochSeconds: number) => string) {
  return {
    id: session.id,
    clientId: session.clientId,
    device: session.device ?? null,
    createdAt: time(session.createdAt),
    lastUsedAt: time(session.lastUsedAt),
    lastSeenFrom: session.lastSource ?? null,
    expiresAt: time(session.expiresAt),
  };
}

/** How many deletions a bulk clean-up sends at once (BatchWriteItem takes 25 a request). */
const CLEANUP = { batch: 25, concurrency: 4 } as const;
type KeysAndAttributes = NonNullable<BatchGetCommandInput['RequestItems']>[string];
/** BatchGetItem takes 100 keys a request; unprocessed ones are asked again once, after a pause. */
const DETAILS_BATCH = 100;
const DETAILS_RETRY_MS = 50;

export interface ListOptions {
  limit?: number;
  /** Only sessions of this credential version (lib/users.ts). */
  credentialVersion?: number;
  /** With each session's device and last network: one more request (GET /sessions, `sessions list`). */
  details?: boolean;
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
  /** The coarse network the refresh came from, kept as the session's last. */
  source?: string;
  /** The caller authenticated as a confidential client (its secret); a confidential session refreshes only so. */
  clientAuthenticated?: boolean;
}

/** Why a live session refuses a request that named it correctly; undefined when it does not. */
function mismatch(session: Session, request: RotationRequest): AuthError | undefined {
  if (request.clientId !== undefined && request.clientId !== session.clientId) {
    return new AuthError('invalid_grant', 'The refresh token was issued to another client.');
  }
  if (session.confidential === true && request.clientAuthenticated !== true) {
    return new AuthError('invalid_client', 'The refresh token belongs to a confidential client, which must authenticate at the token endpoint.', {
      headers: { 'WWW-Authenticate': 'Basic realm="token"' },
    });
  }
  if (request.scopes?.some((scope) => !session.scopes.has(scope))) {
    return new AuthError('invalid_scope', 'The requested scope exceeds what the session was granted.');
  }
  return undefined;
}

/** What a new session is. */
export interface NewSession {
  sub: string;
  clientId: string;
  scopes: string[];
  /** The owner's credential version, read with the credential the login checked. */
  credentialVersion: number;
  /** Epoch milliseconds. */
  now: number;
  /** The owner's oldest sessions beyond this many (the new one included) end meanwhile. */
  maxSessions?: number;
  device?: string;
  /** The coarse network of the login. */
  source?: string;
  /** For a confidential client, which must then authenticate at every refresh. */
  confidential?: boolean;
}

export interface SessionStore {
  /** Starts a session and returns it with its first refresh token. */
  start(session: NewSession): Promise<{ session: Session; refreshToken: string }>;
  /**
   * Rotates a presented token in one conditional write. A retry with the immediately previous token
   * inside the grace window gets the same successor; any other rotated token revokes the session.
   */
  rotate(presented: RefreshToken, now: number, request?: RotationRequest): Promise<{ session: Session; refreshToken: string }>;
  /** Ends one session by id (a token of its family proves the bearer held it). */
  revoke(sid: string): Promise<void>;
  /** Ends one session, only if it belongs to `sub`; false when there is no such session of theirs. */
  revokeOwned(sid: string, sub: string): Promise<boolean>;
  /** Moves a session to a new credential version, so that it outlives the change its own user made. */
  adopt(sid: string, sub: string, from: number, to: number): Promise<boolean>;
  /**
   * Sessions of a user that have not expired and, when `credentialVersion` is given, belong to it; newest
   * first, at most `limit` (the index is eventually consistent).
   */
  list(sub: string, now: number, options?: ListOptions): Promise<SessionSummary[]>;
  /**
   * Deletes a user's sessions but those in `keep`, with bounded concurrency, and at most `budget` of them:
   * clean-up only (the credential version is what ends them). Returns how many it deleted.
   */
  removeAll(sub: string, keep?: ReadonlySet<string>, budget?: number): Promise<number>;
  /**
   * Ends the oldest live sessions of a user beyond the `newest` ones, and any expired one, sparing `except`
   * (the session a login is starting meanwhile).
   */
  trim(sub: string, newest: number, except: string, now: number): Promise<void>;
}

export function createSessionStore(doc: DynamoDBDocumentClient, table: string, policy: SessionPolicy): SessionStore {
  const remove = (id: string) => send(() => doc.send(new DeleteCommand({ TableName: table, Key: { id } })));

  const read = async (id: string) =>
    canBeKey(id) ? ((await send(() => doc.send(new GetCommand({ TableName: table, Key: { id }, ConsistentRead: true })))).Item as Session | undefined) : undefined;

  /** A user's sessions from the index, newest first, a page at a time. */
  async function* indexed(sub: string): AsyncGenerator<Session[]> {
    if (!canBeKey(sub)) return;
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await send(() =>
        doc.send(new QueryCommand({ ...bySub(table, sub), ScanIndexForward: false, ExclusiveStartKey: startKey })),
      );
      yield (page.Items ?? []) as Session[];
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  }

  async function list(sub: string, now: number, { limit = Number.POSITIVE_INFINITY, credentialVersion: current, details = false }: ListOptions = {}) {
    const live: SessionSummary[] = [];
    for await (const page of indexed(sub)) {
      for (const session of page) {
        if (endOf(session) <= now || (current !== undefined && session.credentialVersion !== current)) continue;
        const { id, clientId, credentialVersion, createdAt, lastUsedAt } = session;
        live.push({ id, clientId, credentialVersion, createdAt, lastUsedAt, expiresAt: endOf(session) });
      }
      if (live.length >= limit) break;
    }
    return details ? withDetails(live.slice(0, limit)) : live.slice(0, limit);
  }

  /**
   * The device and last network of listed sessions, which the index does not project (a projection cannot
   * change on a deployed index): one BatchGetItem for up to 100 sessions. They are a courtesy: what
   * DynamoDB leaves unprocessed after one retry, or a failed read, lists those sessions without them.
   */
  async function withDetails(live: SessionSummary[]): Promise<SessionSummary[]> {
    const details = new Map<string, Pick<Session, 'device' | 'lastSource'>>();
    await readDetails(live, details).catch((error: unknown) => logger.warn('could not read the sessions\' details', error));
    return live.map((session) => {
      const { device, lastSource } = details.get(session.id) ?? {};
      return { ...session, ...(device ? { device } : {}), ...(lastSource ? { lastSource } : {}) };
    });
  }

  async function readDetails(live: SessionSummary[], details: Map<string, Pick<Session, 'device' | 'lastSource'>>): Promise<void> {
    for (let i = 0; i < live.length; i += DETAILS_BATCH) {
      let keys: Record<string, unknown>[] | undefined = live.slice(i, i + DETAILS_BATCH).map(({ id }) => ({ id }));
      for (let attempt = 0; keys && keys.length > 0 && attempt < 2; attempt += 1) {
        if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, DETAILS_RETRY_MS)); // as DynamoDB asks of unprocessed keys
        const request: KeysAndAttributes = { Keys: keys, ProjectionExpression: '#id, #device, #lastSource', ExpressionAttributeNames: { '#id': 'id', '#device': 'device', '#lastSource': 'lastSource' } };
        const page: BatchGetCommandOutput = await send(() => doc.send(new BatchGetCommand({ RequestItems: { [table]: request } })));
        for (const item of (page.Responses?.[table] ?? []) as Session[]) details.set(item.id, item);
        keys = page.UnprocessedKeys?.[table]?.Keys;
      }
    }
  }

  /** Deletes sessions by id, 25 to a request, a few requests at a time; what DynamoDB leaves unprocessed stays. */
  async function removeMany(ids: string[]): Promise<number> {
    const batches: string[][] = [];
    for (let i = 0; i < ids.length; i += CLEANUP.batch) batches.push(ids.slice(i, i + CLEANUP.batch));
    let removed = 0;
    const worker = async () => {
      for (let batch = batches.shift(); batch; batch = batches.shift()) {
        const chunk = batch;
        const result = await send(() =>
          doc.send(new BatchWriteCommand({ RequestItems: { [table]: chunk.map((id) => ({ DeleteRequest: { Key: { id } } })) } })),
        );
        removed += chunk.length - (result.UnprocessedItems?.[table]?.length ?? 0);
      }
    };
    await Promise.all(Array.from({ length: CLEANUP.concurrency }, worker));
    return removed;
  }

  async function trim(sub: string, newest: number, except: string, now: number): Promise<void> {
    const surplus: string[] = [];
    let kept = 0;
    for await (const page of indexed(sub)) {
      for (const session of page) {
        if (session.id === except) continue;
        if (endOf(session) > now && kept < newest) kept += 1;
        else surplus.push(session.id);
      }
    }
    if (surplus.length > 0) await removeMany(surplus);
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
    // Said before the delete, so that a delete that fails (a 503) still leaves the theft on record.
    count('RefreshTokenReuse');
    logger.security('refresh_token_reuse', { sub: session.sub, sid: session.id, clientId: session.clientId }, { action: 'session_revoked' });
    await remove(session.id);
    throw rejected();
  }

  return {
    async start({ sub, clientId, scopes, credentialVersion, now: startedAt, maxSessions = Number.POSITIVE_INFINITY, device, source, confidential }) {
      const now = Math.floor(startedAt / 1000);
      const first = mintRefreshToken(sub);
      const absoluteExpiresAt = now + policy.absoluteTtl;
      const idleExpiresAt = Math.min(now + policy.idleTtl, absoluteExpiresAt);
      const session: Session = {
        id: first.sid, sub, clientId, scopes: new Set(scopes), credentialVersion, createdAt: now, startedAt, lastUsedAt: now,
        idleExpiresAt, absoluteExpiresAt, expiresAt: idleExpiresAt, tokenHash: first.hash, device, lastSource: source,
        ...(confidential ? { confidential: true } : {}),
      };
      const trimmed = Number.isFinite(maxSessions)
        ? trim(sub, maxSessions - 1, session.id, now).catch((error: unknown) => logger.warn('could not end the oldest sessions', error))
        : undefined;
      const written = await sendIfCondition(() =>
        doc.send(new PutCommand({ TableName: table, Item: session, ConditionExpression: 'attribute_not_exists(id)' })),
      ).catch(async (error: unknown) => {
        // The write may have landed with its answer lost: take it back, so no session outlives the failure.
        await remove(session.id).catch((cleanup: unknown) => logger.warn('could not take back a session', cleanup));
        throw error;
      });
      await trimmed;
      // A failed condition is our own write retried by the SDK after a lost response (128 random bits
      // do not collide); should they ever, say so rather than overwrite a session.
      if (!written && (await read(session.id))?.tokenHash !== first.hash) throw new AuthError('server_error', 'Session id collision.');
      return { session, refreshToken: first.token };
    },

    async rotate(presented, now, request = {}) {
      const next = mintRefreshToken(presented);
      const idleExpiresAt = now + policy.idleTtl;
      const conditions = ['tokenHash = :presented', 'idleExpiresAt > :now', 'absoluteExpiresAt > :now'];
      const values: Record<string, unknown> = {};
      if (request.clientId !== undefined) {
        conditions.push('clientId = :client');
        values[':client'] = request.clientId;
      }
      if (request.clientAuthenticated !== true) conditions.push('attribute_not_exists(confidential)');
      request.scopes?.forEach((scope, index) => {
        conditions.push(`contains(scopes, :scope${index})`);
        values[`:scope${index}`] = scope;
      });
      if (request.source !== undefined) values[':source'] = request.source;
      const updated = await sendIfCondition(() =>
        doc.send(new UpdateCommand({
          TableName: table,
          Key: { id: presented.sid },
          ConditionExpression: conditions.join(' AND '),
          // idleExpiresAt may pass absoluteExpiresAt here; endOf() caps it wherever it is read.
          UpdateExpression: 'SET tokenHash = :next, previousHash = :presented, rotatedAt = :now, successor = :sealed, '
            + 'lastUsedAt = :now, idleExpiresAt = :idle, expiresAt = :idle'
            + (request.source === undefined ? '' : ', lastSource = :source'),
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

    async revoke(sid) {
      await remove(sid);
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

    async adopt(sid, sub, from, to) {
      if (!canBeKey(sid)) return false;
      const written = await sendIfCondition(() =>
        doc.send(new UpdateCommand({
          TableName: table,
          Key: { id: sid },
          UpdateExpression: 'SET credentialVersion = :to',
          ConditionExpression: '#sub = :sub AND credentialVersion IN (:from, :to)',
          ExpressionAttributeNames: { '#sub': 'sub' },
          ExpressionAttributeValues: { ':sub': sub, ':from': from, ':to': to },
        })),
      );
      return written !== false;
    },

    list,

    async removeAll(sub, keep = new Set(), budget = Number.POSITIVE_INFINITY) {
      const ids = new Set<string>();
      for await (const page of indexed(sub)) {
        for (const { id } of page) if (!keep.has(id) && ids.size < budget) ids.add(id);
        if (ids.size >= budget) break;
      }
      return removeMany([...ids]);
    },

    trim,
  };
}
