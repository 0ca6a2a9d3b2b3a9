import { DeleteCommand, GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { send, sendIfCondition } from './dynamo';
import { AuthError } from './errors';

/**
 * Password guessing, counted before it is checked. Every check of a password (a login, the current password
 * of a change) first reserves an attempt, with one conditional write, in two buckets:
 *  - the account at this source address: `perAccountAddress` attempts in `window` seconds;
 *  - the source address across all accounts (password spraying): `perAddress` attempts in `window`.
 * A reservation that does not fit is refused (429 `slow_down` with Retry-After) before any hash is computed,
 * so no number of parallel requests gets more guesses checked than the bucket holds. A right password gives
 * its reservations back: the account's bucket at that address empties, the address's loses the one attempt.
 * An attacker at one address never locks the owner out at another; the names of accounts that do not exist
 * are counted exactly like those that do, so the throttle tells nothing about which exist.
 */
export const THROTTLE = { perAccountAddress: 5, perAddress: 20, window: 15 * 60 } as const;

interface Bucket {
  key: string;
  /** Attempts reserved in the current window. */
  count: number;
  windowStart: number;
  /** TTL attribute: clean-up only, every condition checks the window itself. */
  expiresAt: number;
}

/** What a check of a password holds until it knows whether the password was right. */
export interface Reservation {
  /** The account's bucket at this address, when there is an account name to count. */
  account?: string;
  address: string;
}

export interface PasswordGuard {
  /** Reserves one attempt for the account (its lookup key, if any) from `address`; throws 429 when a bucket is full. */
  reserve(account: string | undefined, address: string | undefined, now: number): Promise<Reservation>;
  /** The password was right: gives the reservation back. */
  succeeded(reservation: Reservation): Promise<void>;
}

/** The source address as a bucket name; a request without one (never through API Gateway) shares one bucket. */
const addressOf = (address: string | undefined) => address ?? 'unknown';

/**
 * `namespace` keeps another use's buckets apart in the same table (password reset requests count on their
 * own, and never use up anyone's login attempts).
 */
export function createPasswordGuard(doc: DynamoDBDocumentClient, table: string, limits = THROTTLE, namespace = ''): PasswordGuard {
  /** Takes one attempt from a bucket: a new window if the last one is over, else one more if it is not full. */
  async function take(key: string, max: number, now: number): Promise<boolean> {
    for (let tries = 0; tries < 3; tries += 1) {
      const started = await sendIfCondition(() =>
        doc.send(new UpdateCommand({
          TableName: table,
          Key: { key },
          UpdateExpression: 'SET #count = :one, windowStart = :now, expiresAt = :end',
          ConditionExpression: 'attribute_not_exists(#key) OR windowStart <= :stale',
          ExpressionAttributeNames: { '#key': 'key', '#count': 'count' },
          ExpressionAttributeValues: { ':one': 1, ':now': now, ':end': now + limits.window, ':stale': now - limits.window },
        })),
      );
      if (started) return true;
      const counted = await sendIfCondition(() =>
        doc.send(new UpdateCommand({
          TableName: table,
          Key: { key },
          UpdateExpression: 'ADD #count :one',
          ConditionExpression: '#count < :max AND windowStart > :stale',
          ExpressionAttributeNames: { '#count': 'count' },
          ExpressionAttributeValues: { ':one': 1, ':max': max, ':stale': now - limits.window },
        })),
      );
      if (counted) return true;
      // Full, or its window ended between the two writes (then the first one starts the next).
      const bucket = await read(key);
      if (bucket && bucket.windowStart > now - limits.window && bucket.count >= max) return false;
    }
    return false;
  }

  const read = async (key: string) =>
    (await send(() => doc.send(new GetCommand({ TableName: table, Key: { key }, ConsistentRead: true })))).Item as Bucket | undefined;

  /** Gives one attempt back to a bucket that still holds it. */
  const giveBack = (key: string) =>
    sendIfCondition(() =>
      doc.send(new UpdateCommand({
        TableName: table,
        Key: { key },
        UpdateExpression: 'ADD #count :minus',
        ConditionExpression: '#count > :zero',
        ExpressionAttributeNames: { '#count': 'count' },
        ExpressionAttributeValues: { ':minus': -1, ':zero': 0 },
      })),
    );

  async function refused(keys: string[], now: number): Promise<AuthError> {
    const buckets = await Promise.all(keys.map(read));
    const until = Math.max(now + 1, ...buckets.map((bucket) => (bucket ? bucket.windowStart + limits.window : 0)));
    const wait = until - now;
    return new AuthError('slow_down', `Too many attempts; retry in ${wait} seconds.`, { headers: { 'Retry-After': String(wait) } });
  }

  return {
    async reserve(account, address, now) {
      const reservation: Reservation = {
        address: `${namespace}address#${addressOf(address)}`,
        ...(account === undefined ? {} : { account: `${namespace}account#${account}#${addressOf(address)}` }),
      };
      const [byAddress, byAccount] = await Promise.all([
        take(reservation.address, limits.perAddress, now),
        reservation.account === undefined ? true : take(reservation.account, limits.perAccountAddress, now),
      ]);
      if (byAddress && byAccount) return reservation;
      // One bucket was full: give back what the other took, so a refusal costs no attempt.
      const full = [...(byAddress ? [] : [reservation.address]), ...(byAccount ? [] : [reservation.account!])];
      await Promise.all([
        byAddress ? giveBack(reservation.address) : undefined,
        byAccount && reservation.account !== undefined ? giveBack(reservation.account) : undefined,
      ]);
      throw await refused(full, now);
    },

    async succeeded(reservation) {
      await Promise.all([
        giveBack(reservation.address),
        reservation.account === undefined
          ? undefined
          : send(() => doc.send(new DeleteCommand({ TableName: table, Key: { key: reservation.account } }))),
      ]);
    },
  };
}
