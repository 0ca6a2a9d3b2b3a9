import { BatchGetCommand, DeleteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { send, sendIfCondition } from './dynamo';
import { AuthError, temporarilyUnavailable } from './errors';

/**
 * Login throttling, per username and per source IP: after MAX_FAILURES failures within WINDOW seconds,
 * each further failure doubles the wait (1 s, 2 s, 4 s …) up to MAX_WAIT. An attacker can delay a
 * victim's login by at most MAX_WAIT at a time, never lock it for good; a success resets the username.
 */
export const THROTTLE = { maxFailures: 5, window: 15 * 60, maxWait: 15 * 60 } as const;

interface Attempts {
  key: string;
  failures: number;
  windowStart: number;
  lockedUntil: number;
  /** TTL attribute: clean-up only, reads check the window themselves. */
  expiresAt: number;
}

/** The attempt counters of a username and a source address, as a login found them. */
export interface LoginState {
  attempts: Attempts[];
}

/** Seconds to wait after `failures` failures in a window (0 below the threshold). */
export function waitAfter(failures: number): number {
  if (failures < THROTTLE.maxFailures) return 0;
  return Math.min(2 ** (failures - THROTTLE.maxFailures), THROTTLE.maxWait);
}

const userKey = (usernameKey: string) => `user#${usernameKey}`;
const attemptKeys = (usernameKey: string | undefined, ip: string | undefined) =>
  [usernameKey === undefined ? undefined : userKey(usernameKey), ip === undefined ? undefined : `ip#${ip}`].filter(
    (key): key is string => key !== undefined,
  );

export interface LoginGuard {
  /** The attempt counters of the username and the IP, in one BatchGetItem. */
  read(usernameKey: string | undefined, ip: string | undefined): Promise<LoginState>;
  /** Throws 429 `slow_down` with Retry-After while either counter is locked. */
  check(state: LoginState, now: number): void;
  recordFailure(usernameKey: string | undefined, ip: string | undefined, now: number): Promise<void>;
  recordSuccess(state: LoginState, usernameKey: string): Promise<void>;
}

export function createLoginGuard(doc: DynamoDBDocumentClient, table: string): LoginGuard {
  async function fail(key: string, now: number) {
    // The first failure of a window starts it, conditionally, so that parallel first failures do not
    // each start their own: all but one fall through to the atomic ADD below and are counted.
    const started = await sendIfCondition(() =>
      doc.send(new UpdateCommand({
        TableName: table,
        Key: { key },
        UpdateExpression: 'SET failures = :one, windowStart = :now, lockedUntil = :zero, expiresAt = :expires',
        ConditionExpression: 'attribute_not_exists(#key) OR windowStart <= :stale',
        ExpressionAttributeNames: { '#key': 'key' },
        ExpressionAttributeValues: { ':one': 1, ':now': now, ':zero': 0, ':expires': now + THROTTLE.window, ':stale': now - THROTTLE.window },
      })),
    );
    if (started) return;
    const counted = await send(() =>
      doc.send(new UpdateCommand({
        TableName: table,
        Key: { key },
        UpdateExpression: 'ADD failures :one',
        ExpressionAttributeValues: { ':one': 1 },
        ReturnValues: 'ALL_NEW',
      })),
    );
    const current = counted.Attributes as Attempts | undefined;
    const wait = waitAfter(Number(current?.failures ?? 0));
    if (!current || wait === 0) return;
    const lockedUntil = now + wait;
    await send(() =>
      doc.send(new UpdateCommand({
        TableName: table,
        Key: { key },
        UpdateExpression: 'SET lockedUntil = :until, expiresAt = :expires',
        ExpressionAttributeValues: { ':until': lockedUntil, ':expires': Math.max(lockedUntil, current.windowStart + THROTTLE.window) },
      })),
    );
  }

  return {
    async read(usernameKey, ip) {
      const keys = attemptKeys(usernameKey, ip);
      if (keys.length === 0) return { attempts: [] };
      const result = await send(() =>
        doc.send(new BatchGetCommand({ RequestItems: { [table]: { Keys: keys.map((key) => ({ key })), ConsistentRead: true } } })),
      );
      // A throttled batch returns its keys as unprocessed; SDK retries are spent by then: say 503.
      if (Object.keys(result.UnprocessedKeys ?? {}).length > 0) throw temporarilyUnavailable(new Error('unprocessed keys'));
      return { attempts: (result.Responses?.[table] ?? []) as Attempts[] };
    },

    check(state, now) {
      const lockedUntil = Math.max(0, ...state.attempts.map((a) => a.lockedUntil));
      if (lockedUntil > now) {
        const wait = lockedUntil - now;
        throw new AuthError('slow_down', `Too many failed logins; retry in ${wait} seconds.`, { headers: { 'Retry-After': String(wait) } });
      }
    },

    async recordFailure(usernameKey, ip, now) {
      await Promise.all(attemptKeys(usernameKey, ip).map((key) => fail(key, now)));
    },

    async recordSuccess(state, usernameKey) {
      const key = userKey(usernameKey);
      if (!state.attempts.some((a) => a.key === key)) return;
      await send(() => doc.send(new DeleteCommand({ TableName: table, Key: { key } })));
    },
  };
}
