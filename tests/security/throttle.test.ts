/**
 * Login throttling (lib/throttle.ts) through the real auth service and the login handler, on dynalite,
 * with the clock moved by hand: nothing here sleeps. Each test uses its own usernames and source addresses,
 * so the per-username and per-IP counters of one test never touch another's.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { parse } from 'yaml';
import type { HttpResponse } from '../../lib/http';
import { THROTTLE } from '../../lib/throttle';
import { bodyOf, proxyEvent, withTestApp } from '../support/app';

const ctx = withTestApp();
const { login } = ctx.handlers;

const PASSWORD = 'correct horse battery staple';
const WRONG = 'not the password at all';

/** Lower-case names, so the attempts key (`user#` + NFKC lower case) is the name itself. */
let names = 0;
const freshName = (prefix = 'victim') => `${prefix}-${(names += 1)}-${Date.now().toString(36)}`;
/** Documentation addresses (RFC 3849), one per call. */
let addresses = 0;
const freshIp = () => `2001:db8::${(addresses += 1).toString(16)}`;

async function registered(username = freshName()): Promise<string> {
  await ctx.app.auth.register({ username, password: PASSWORD });
  return username;
}

const attempt = (username: string, password: string, sourceIp: string) => login(proxyEvent({ body: { username, password }, sourceIp }));

/** `count` wrong logins for one username, each from its own address (only the username counter grows). */
async function failUsername(username: string, count: number): Promise<HttpResponse[]> {
  const responses: HttpResponse[] = [];
  for (let i = 0; i < count; i += 1) responses.push(await attempt(username, WRONG, freshIp()));
  return responses;
}

/** The attempts item of a key (`user#name` or `ip#address`), read consistently from the table. */
async function attemptsItem(key: string): Promise<Record<string, unknown> | undefined> {
  const { Item } = await ctx.dynamo.doc.send(new GetCommand({ TableName: ctx.app.config.attemptsTable, Key: { key }, ConsistentRead: true }));
  return Item;
}

const retryAfter = (response: HttpResponse) => Number(response.headers['Retry-After']);

function expectThrottled(response: HttpResponse, wait: number): void {
  expect(response.statusCode).toBe(429);
  expect(response.headers['Retry-After']).toBe(String(wait));
  expect(bodyOf(response)).toEqual({ code: 429, error: 'slow_down', error_description: expect.any(String) });
}

function expectBadCredentials(response: HttpResponse): void {
  expect(response.statusCode).toBe(400);
  expect(bodyOf(response)).toEqual({ code: 400, error: 'invalid_grant', error_description: expect.any(String) });
}

describe('login throttling per username', () => {
  it('answers the attempt after five failures within 15 minutes with 429 slow_down and Retry-After: 1', async () => {
    const username = await registered();

    const failures: HttpResponse[] = [];
    for (let i = 0; i < THROTTLE.maxFailures; i += 1) {
      if (i > 0) ctx.app.clock.advance(200); // spread over 800 s, inside the 900 s window
      failures.push(await attempt(username, WRONG, freshIp()));
    }
    const sixth = await attempt(username, WRONG, freshIp());

    failures.forEach(expectBadCredentials);
    expectThrottled(sixth, 1);
  });

  it('doubles the wait with each further failure once the previous wait has passed: 1, 2, 4, 8 … 512 s', async () => {
    const username = await registered();
    await failUsername(username, THROTTLE.maxFailures);
    const waits: number[] = [];

    for (let step = 0; step < 10; step += 1) {
      const throttled = await attempt(username, WRONG, freshIp());
      expect(throttled.statusCode).toBe(429);
      waits.push(retryAfter(throttled));
      ctx.app.clock.advance(retryAfter(throttled));
      expectBadCredentials(await attempt(username, WRONG, freshIp()));
    }

    expect(waits).toEqual([1, 2, 4, 8, 16, 32, 64, 128, 256, 512]);
  });

  it('caps the wait at 900 seconds however many failures the window holds', async () => {
    const username = await registered();
    const now = ctx.app.clock.seconds();
    await ctx.dynamo.doc.send(new PutCommand({
      TableName: ctx.app.config.attemptsTable,
      Item: { key: `user#${username}`, failures: 40, windowStart: now, lockedUntil: 0, expiresAt: now + THROTTLE.window },
    }));

    const failure = await attempt(username, WRONG, freshIp());
    const next = await attempt(username, WRONG, freshIp());

    expectBadCredentials(failure);
    expectThrottled(next, 900);
  });

  it('lets the right password in once the wait has passed, and deletes the username counter', async () => {
    const username = await registered();
    await failUsername(username, THROTTLE.maxFailures);
    expectThrottled(await attempt(username, PASSWORD, freshIp()), 1);
    expect(await attemptsItem(`user#${username}`)).toMatchObject({ failures: THROTTLE.maxFailures });

    ctx.app.clock.advance(1);
    const response = await attempt(username, PASSWORD, freshIp());

    expect(response.statusCode).toBe(200);
    expect(await attemptsItem(`user#${username}`)).toBeUndefined();
    expectBadCredentials(await attempt(username, WRONG, freshIp())); // a fresh count, not a sixth failure
  });

  it('refuses even the right password during a lock with the very answer a wrong one gets', async () => {
    const username = await registered();
    await failUsername(username, THROTTLE.maxFailures);

    const right = await attempt(username, PASSWORD, freshIp());
    const wrong = await attempt(username, WRONG, freshIp());

    expectThrottled(right, 1);
    expect(right).toEqual(wrong);
  });

  it('forgets failures older than the 15-minute window', async () => {
    const username = await registered();
    await failUsername(username, THROTTLE.maxFailures - 1);

    ctx.app.clock.advance(THROTTLE.window);
    const later = await failUsername(username, THROTTLE.maxFailures - 1);

    later.forEach(expectBadCredentials);
    expect(await attemptsItem(`user#${username}`)).toMatchObject({ failures: THROTTLE.maxFailures - 1, windowStart: ctx.app.clock.seconds() });
    expectBadCredentials(await attempt(username, WRONG, freshIp())); // the fifth of the new window: not yet locked
  });

  it('throttles an unknown username exactly like a known one, so a lock reveals no account', async () => {
    const known = await registered();
    const unknown = freshName('nobody');

    const knownFailures = await failUsername(known, THROTTLE.maxFailures);
    const unknownFailures = await failUsername(unknown, THROTTLE.maxFailures);
    const knownLocked = await attempt(known, WRONG, freshIp());
    const unknownLocked = await attempt(unknown, WRONG, freshIp());

    expect(unknownFailures).toEqual(knownFailures);
    expectThrottled(knownLocked, 1);
    expect(unknownLocked).toEqual(knownLocked);
  });

  it('stores each counter with the TTL attribute expiresAt, which serverless.yml enables on the attempts table', async () => {
    const username = await registered();
    const sourceIp = freshIp();
    const now = ctx.app.clock.seconds();

    await attempt(username, WRONG, sourceIp);

    expect(await attemptsItem(`user#${username}`)).toMatchObject({ expiresAt: now + THROTTLE.window });
    expect(await attemptsItem(`ip#${sourceIp}`)).toMatchObject({ expiresAt: now + THROTTLE.window });
    const manifest = parse(readFileSync(join(__dirname, '..', '..', 'serverless.yml'), 'utf8'));
    expect(manifest.resources.Resources.LoginAttemptsTable.Properties.TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
  });

  it('keeps a locked counter until its lock ends, whatever the window says (expiresAt >= lockedUntil)', async () => {
    const username = await registered();
    await failUsername(username, THROTTLE.maxFailures);

    const item = await attemptsItem(`user#${username}`);

    expect(item?.lockedUntil).toBe(ctx.app.clock.seconds() + 1);
    expect(item?.expiresAt as number).toBeGreaterThanOrEqual(item?.lockedUntil as number);
  });

  it('counts every one of 10 parallel failures from a clean slate (no lost update), and locks afterwards', async () => {
    const username = await registered();

    const burst = await Promise.all(Array.from({ length: 10 }, () => attempt(username, WRONG, freshIp())));
    const counted = await attemptsItem(`user#${username}`);
    const after = await attempt(username, PASSWORD, freshIp());

    burst.forEach(expectBadCredentials);
    expect(counted).toMatchObject({ failures: 10 });
    expect(after.statusCode).toBe(429);
  });

  it('counts every one of 10 parallel failures on top of an earlier one (ADD is atomic), and locks afterwards', async () => {
    const username = await registered();
    await failUsername(username, 1);

    const burst = await Promise.all(Array.from({ length: 10 }, () => attempt(username, WRONG, freshIp())));
    const counted = await attemptsItem(`user#${username}`);
    const after = await attempt(username, PASSWORD, freshIp());

    burst.forEach(expectBadCredentials);
    expect(counted).toMatchObject({ failures: 11 });
    expect(after.statusCode).toBe(429);
  });

  it('never locks for more than 900 s: after a burst of 30 parallel failures the victim logs in once the wait has passed', async () => {
    const username = await registered();
    await failUsername(username, 1);
    await Promise.all(Array.from({ length: 30 }, () => attempt(username, WRONG, freshIp())));

    const locked = await attempt(username, PASSWORD, freshIp());
    ctx.app.clock.advance(retryAfter(locked));
    const afterWait = await attempt(username, PASSWORD, freshIp());

    expect(locked.statusCode).toBe(429);
    expect(retryAfter(locked)).toBeGreaterThanOrEqual(1);
    expect(retryAfter(locked)).toBeLessThanOrEqual(THROTTLE.maxWait);
    expect(THROTTLE.maxWait).toBe(900);
    expect(afterWait.statusCode).toBe(200);
  });
});

describe('login throttling per source IP', () => {
  it('blocks a sixth username after five failures from one address, but not the same usernames from another', async () => {
    const attacker = freshIp();
    const elsewhere = freshIp();
    const tried = await Promise.all(Array.from({ length: THROTTLE.maxFailures }, () => registered()));
    const sixth = await registered();
    for (const username of tried) expectBadCredentials(await attempt(username, WRONG, attacker));

    const fromAttacker = await attempt(sixth, PASSWORD, attacker);
    const sameNamesElsewhere = await Promise.all(tried.map((username) => attempt(username, WRONG, elsewhere)));
    const sixthElsewhere = await attempt(sixth, PASSWORD, freshIp());

    expectThrottled(fromAttacker, 1);
    sameNamesElsewhere.forEach(expectBadCredentials);
    expect(sixthElsewhere.statusCode).toBe(200);
    expect(await attemptsItem(`ip#${attacker}`)).toMatchObject({ failures: THROTTLE.maxFailures });
  });
});
