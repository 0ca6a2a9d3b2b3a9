import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { send, sendIfCondition } from './dynamo';

/**
 * The OpenID provider's two kinds of short-lived state. Both are named by a secret of 256 random bits that
 * only the browser or the client holds; the tables keep its SHA-256 alone, so reading a table gives nothing
 * that works. Every read checks expiry itself; the TTL attribute only cleans up.
 */
const SECRET = /^[A-Za-z0-9_-]{43}$/;
const newSecret = () => randomBytes(32).toString('base64url');
const hashOf = (purpose: 'code' | 'browser', secret: string) => createHash('sha256').update(`${purpose}:${secret}`).digest('base64url');

/** Consent screens a browser session holds open at once (tabs); more drop the older ones. */
const MAX_OFFERS = 20;

/** One conditional update of an item of `table`: its result, or false when the condition failed. */
const conditionalUpdate = (doc: DynamoDBDocumentClient, table: string) => (input: Omit<UpdateCommandInput, 'TableName'>) =>
  sendIfCondition(() => doc.send(new UpdateCommand({ TableName: table, ...input })));

/** Seconds an authorization code lives (RFC 6749 §4.1.2 recommends at most ten minutes; one is plenty). */
export const CODE_TTL = 60;

/** What an authorization code stands for: who signed in, for which client, and the PKCE challenge. */
export interface CodeGrant {
  clientId: string;
  redirectUri: string;
  /** base64url(SHA-256(code_verifier)) (RFC 7636 S256). */
  codeChallenge: string;
  scope: string;
  nonce?: string;
  sub: string;
  /** Epoch seconds of the sign-in at the hosted page (the ID token's `auth_time`). */
  authTime: number;
  amr: string[];
  /** The user's credential version at sign-in: a password change since then refuses the code. */
  credentialVersion: number;
  /** The browser session it came from: its item id (to record the session issued) and its public `sid`. */
  browserSession: string;
  browserSid: string;
}

export type Redemption =
  | { kind: 'redeemed'; grant: CodeGrant; expiresAt: number; id: string }
  | { kind: 'unknown' }
  /** Presented before: the session issued from it (if any yet) is to be revoked (RFC 6749 §4.1.2). */
  | { kind: 'replayed'; sessionId?: string; grant: CodeGrant };

export interface CodeStore {
  issue(grant: CodeGrant, now: number): Promise<string>;
  /**
   * Marks the code used, once: the first presentation by the client it was issued to redeems it (valid or
   * not), every later one by that client is a replay. Another client's presentation changes nothing.
   */
  redeem(code: string, clientId: string, now: number): Promise<Redemption>;
  /** Records the session issued from a redeemed code; false when a replay came first (then revoke it). */
  bind(id: string, sessionId: string): Promise<boolean>;
}

export function createCodeStore(doc: DynamoDBDocumentClient, table: string): CodeStore {
  const updateIf = conditionalUpdate(doc, table);
  const grantOf = (item: Record<string, unknown>): CodeGrant => ({
    clientId: item.clientId as string,
    redirectUri: item.redirectUri as string,
    codeChallenge: item.codeChallenge as string,
    scope: item.scope as string,
    ...(typeof item.nonce === 'string' ? { nonce: item.nonce } : {}),
    sub: item.sub as string,
    authTime: item.authTime as number,
    amr: item.amr as string[],
    credentialVersion: item.credentialVersion as number,
    browserSession: item.browserSession as string,
    browserSid: item.browserSid as string,
  });
  return {
    async issue(grant, now) {
      const code = newSecret();
      await send(() => doc.send(new PutCommand({ TableName: table, Item: { id: hashOf('code', code), ...grant, expiresAt: now + CODE_TTL } })));
      return code;
    },
    async redeem(code, clientId, now) {
      if (!SECRET.test(code)) return { kind: 'unknown' };
      const id = hashOf('code', code);
      const mine = 'attribute_exists(id) AND clientId = :client';
      const used = await updateIf({
        Key: { id },
        UpdateExpression: 'SET usedAt = :now',
        ConditionExpression: `${mine} AND attribute_not_exists(usedAt)`,
        ExpressionAttributeValues: { ':now': now, ':client': clientId },
        ReturnValues: 'ALL_NEW',
      });
      if (used) return { kind: 'redeemed', grant: grantOf(used.Attributes!), expiresAt: used.Attributes!.expiresAt as number, id };
      // Used before, never issued, or another client's: a replay of this client's code marks the item, so that a
      // redemption still in flight revokes its own session.
      const replayed = await updateIf({
        Key: { id },
        UpdateExpression: 'SET replayedAt = :now',
        ConditionExpression: `${mine} AND attribute_exists(usedAt)`,
        ExpressionAttributeValues: { ':now': now, ':client': clientId },
        ReturnValues: 'ALL_NEW',
      });
      if (!replayed) return { kind: 'unknown' };
      const item = replayed.Attributes!;
      return { kind: 'replayed', grant: grantOf(item), ...(typeof item.sessionId === 'string' ? { sessionId: item.sessionId } : {}) };
    },
    async bind(id, sessionId) {
      const bound = await updateIf({
        Key: { id },
        UpdateExpression: 'SET sessionId = :sid',
        ConditionExpression: 'attribute_exists(id) AND attribute_not_exists(replayedAt)',
        ExpressionAttributeValues: { ':sid': sessionId },
      });
      return bound !== false;
    },
  };
}

/** A sign-in at the hosted page, shared by every app the browser signs in to (single sign-on). */
export interface BrowserSession {
  /** The item's key: the hash of the cookie. */
  id: string;
  /** Public: the ID token's `sid` (OpenID Connect Front-Channel Logout §3). */
  sid: string;
  sub: string;
  authTime: number;
  amr: string[];
  credentialVersion: number;
  expiresAt: number;
  /** Scopes a third-party client was allowed, by client id (space-separated). */
  consents: Record<string, string>;
  /** The refresh-token sessions issued through it, ended with it (RP-initiated logout). */
  sessions: string[];
}

export interface BrowserSessionStore {
  start(session: Pick<BrowserSession, 'sub' | 'authTime' | 'amr' | 'credentialVersion'> & { sessions?: string[] }, ttl: number): Promise<{ cookie: string; session: BrowserSession }>;
  /** The live session a cookie names, or undefined (malformed, unknown, expired). */
  find(cookie: string | undefined, now: number): Promise<BrowserSession | undefined>;
  /** Records that a consent screen was shown for the request `offer` names, until `until` (epoch seconds). */
  offer(id: string, offer: string, until: number): Promise<void>;
  /** Takes the answer to that very offer, once, before `until`, and remembers the scopes; false otherwise. */
  consent(id: string, clientId: string, scope: string, offer: string, now: number): Promise<boolean>;
  /** Records a refresh-token session issued through it; false when it has ended meanwhile. */
  attach(id: string, sessionId: string): Promise<boolean>;
  /** Ends it; returns what it was (its refresh-token sessions to end too), or undefined if there was none. */
  end(id: string): Promise<BrowserSession | undefined>;
}

export function createBrowserSessionStore(doc: DynamoDBDocumentClient, table: string): BrowserSessionStore {
  const updateIf = conditionalUpdate(doc, table);
  const sessionOf = (item: Record<string, unknown>): BrowserSession => ({
    id: item.id as string,
    sid: item.sid as string,
    sub: item.sub as string,
    authTime: item.authTime as number,
    amr: item.amr as string[],
    credentialVersion: item.credentialVersion as number,
    expiresAt: item.expiresAt as number,
    consents: (item.consents as Record<string, string> | undefined) ?? {},
    sessions: [...((item.sessions as Set<string> | undefined) ?? [])],
  });
  return {
    async start({ sub, authTime, amr, credentialVersion, sessions = [] }, ttl) {
      const cookie = newSecret();
      const session: BrowserSession = { id: hashOf('browser', cookie), sid: randomUUID(), sub, authTime, amr, credentialVersion, expiresAt: authTime + ttl, consents: {}, sessions };
      // A string set is never empty in DynamoDB: no attribute until a session is attached.
      const item = { ...session, sessions: sessions.length > 0 ? new Set(sessions) : undefined, offers: {} };
      await send(() => doc.send(new PutCommand({ TableName: table, Item: item })));
      return { cookie, session };
    },
    async find(cookie, now) {
      if (cookie === undefined || !SECRET.test(cookie)) return undefined;
      const { Item } = await send(() => doc.send(new GetCommand({ TableName: table, Key: { id: hashOf('browser', cookie) }, ConsistentRead: true })));
      if (!Item || (Item.expiresAt as number) <= now) return undefined;
      return sessionOf(Item);
    },
    async offer(id, offer, until) {
      // One entry per screen shown, so that two tabs may each answer their own; at most MAX_OFFERS, beyond
      // which the older ones (answered, abandoned or expired) are dropped.
      const added = await updateIf({
        Key: { id },
        UpdateExpression: 'SET offers.#offer = :until',
        ConditionExpression: 'attribute_exists(id) AND size(offers) < :max',
        ExpressionAttributeNames: { '#offer': offer },
        ExpressionAttributeValues: { ':until': until, ':max': MAX_OFFERS },
      });
      if (added !== false) return;
      await updateIf({
        Key: { id },
        UpdateExpression: 'SET offers = :only',
        ConditionExpression: 'attribute_exists(id)',
        ExpressionAttributeValues: { ':only': { [offer]: until } },
      });
    },
    async consent(id, clientId, scope, offer, now) {
      const taken = await updateIf({
        Key: { id },
        UpdateExpression: 'SET consents.#client = :scope REMOVE offers.#offer',
        ConditionExpression: 'offers.#offer > :now',
        ExpressionAttributeNames: { '#client': clientId, '#offer': offer },
        ExpressionAttributeValues: { ':scope': scope, ':now': now },
      });
      return taken !== false;
    },
    async attach(id, sessionId) {
      const attached = await updateIf({
        Key: { id },
        UpdateExpression: 'ADD #sessions :sid',
        ConditionExpression: 'attribute_exists(id)',
        ExpressionAttributeNames: { '#sessions': 'sessions' },
        ExpressionAttributeValues: { ':sid': new Set([sessionId]) },
      });
      return attached !== false;
    },
    async end(id) {
      const { Attributes } = await send(() => doc.send(new DeleteCommand({ TableName: table, Key: { id }, ReturnValues: 'ALL_OLD' })));
      return Attributes ? sessionOf(Attributes) : undefined;
    },
  };
}
