/**
 * The password guard (lib/throttle.ts) through the real auth service and handlers, on dynalite, with the
 * clock moved by hand: nothing here sleeps. Every attempt is reserved before its password is checked, in a
 * bucket per (account, source address) and one per source address. Each test uses its own names and
 * addresses, so no test's buckets touch another's. The same properties over real HTTP, from distinct
 * loopback addresses: tests/e2e/credentials.test.ts.
 */
import type { HttpResponse } from '../../lib/http';
import { THROTTLE } from '../../lib/throttle';
import { authorizerFor, bodyOf, proxyEvent, uniqueUsername, withTestApp } from '../support/app';

const ctx = withTestApp();
const { login, password: changePassword } = ctx.handlers;

const PASSWORD = 'correct horse battery staple';
const WRONG = 'not the password at all';

/** Documentation addresses (RFC 3849), one per call. */
let addresses = 0;
const freshIp = () => `2001:db8::${(addresses += 1).toString(16)}`;

async function registered(username = uniqueUsername('victim')): Promise<string> {
  await ctx.app.auth.register({ username, password: PASSWORD });
  return username;
}

const attempt = (username: string, password: string, sourceIp: string) => login(proxyEvent({ body: { username, password }, sourceIp }));
const statuses = (responses: HttpResponse[]) => responses.map((response) => response.statusCode).sort();
const retryAfter = (response: HttpResponse) => Number(response.headers['Retry-After']);

function expectThrottled(response: HttpResponse): void {
  expect(response.statusCode).toBe(429);
  expect(retryAfter(response)).toBeGreaterThan(0);
  expect(retryAfter(response)).toBeLessThanOrEqual(THROTTLE.window);
  expect(bodyOf(response)).toEqual({ code: 429, error: 'slow_down', error_description: expect.any(String) });
}

function expectBadCredentials(response: HttpResponse): void {
  expect(response.statusCode).toBe(400);
  expect(bodyOf(response)).toEqual({ code: 400, error: 'invalid_grant', error_description: expect.any(String) });
}

describe('one account from one address', () => {
  it('checks five wrong passwords, then refuses even the right one with 429 until the window has passed', async () => {
    const username = await registered();
    const attacker = freshIp();
    for (let i = 0; i < THROTTLE.perAccountAddress; i += 1) expectBadCredentials(await attempt(username, WRONG, attacker));

    const locked = await attempt(username, PASSWORD, attacker);
    ctx.app.clock.advance(retryAfter(locked));
    const afterWait = await attempt(username, PASSWORD, attacker);

    expectThrottled(locked);
    expect(afterWait.statusCode).toBe(200);
  });

  it('checks at most five of twenty wrong passwords sent at once; the rest get 429 before any hash is computed', async () => {
    const username = await registered();
    const attacker = freshIp();

    const burst = await Promise.all(Array.from({ length: 20 }, () => attempt(username, WRONG, attacker)));

    expect(statuses(burst)).toEqual([...Array(5).fill(400), ...Array(15).fill(429)]);
    for (const response of burst.filter((r) => r.statusCode === 429)) expectThrottled(response);
  });

  it('gives the attempts back on a right password: the bucket empties', async () => {
    const username = await registered();
    const address = freshIp();
    for (let i = 0; i < THROTTLE.perAccountAddress - 1; i += 1) expectBadCredentials(await attempt(username, WRONG, address));

    const right = await attempt(username, PASSWORD, address);
    const afterwards = [];
    for (let i = 0; i < THROTTLE.perAccountAddress; i += 1) afterwards.push(await attempt(username, WRONG, address));

    expect(right.statusCode).toBe(200);
    for (const response of afterwards) expectBadCredentials(response);
  });

  it('starts a fresh count once the window has passed', async () => {
    const username = await registered();
    const address = freshIp();
    for (let i = 0; i < THROTTLE.perAccountAddress; i += 1) await attempt(username, WRONG, address);
    ctx.app.clock.advance(THROTTLE.window);

    const next = await attempt(username, WRONG, address);

    expectBadCredentials(next);
  });
});

describe('no lock-out that a stranger can trigger', () => {
  it('never keeps the owner at another address out, however much one address tries', async () => {
    const username = await registered();
    const attacker = freshIp();
    await Promise.all(Array.from({ length: 30 }, () => attempt(username, WRONG, attacker)));

    const fromAttacker = await attempt(username, PASSWORD, attacker);
    const fromOwner = await attempt(username, PASSWORD, freshIp());

    expectThrottled(fromAttacker);
    expect(fromOwner.statusCode).toBe(200);
  });

  it('stops password spraying: one address gets twenty checks across all accounts, another address is untouched', async () => {
    const names = await Promise.all(Array.from({ length: THROTTLE.perAddress + 1 }, () => registered()));
    const sprayer = freshIp();

    const sprayed = await Promise.all(names.map((username) => attempt(username, WRONG, sprayer)));
    const elsewhere = await attempt(names[0]!, PASSWORD, freshIp());

    expect(statuses(sprayed)).toEqual([...Array(THROTTLE.perAddress).fill(400), 429]);
    expect(elsewhere.statusCode).toBe(200);
  });

  it('counts a name nobody has exactly like a real one: same answers, same waits', async () => {
    const known = await registered();
    const unknown = uniqueUsername('nobody');
    const address = freshIp();
    const otherAddress = freshIp();

    const knownRun = [];
    const unknownRun = [];
    for (let i = 0; i <= THROTTLE.perAccountAddress; i += 1) {
      knownRun.push(await attempt(known, WRONG, address));
      unknownRun.push(await attempt(unknown, WRONG, otherAddress));
    }

    expect(unknownRun.map((r) => [r.statusCode, bodyOf(r), r.headers['Retry-After']])).toEqual(
      knownRun.map((r) => [r.statusCode, bodyOf(r), r.headers['Retry-After']]),
    );
    expectThrottled(unknownRun[THROTTLE.perAccountAddress]!);
  });
});

describe('the current password of a password change', () => {
  it('is checked through the same guard: twenty wrong guesses with a stolen token get at most five checks', async () => {
    const username = uniqueUsername('changer');
    const issued = await ctx.app.auth.register({ username, password: PASSWORD });
    const thief = freshIp();
    const guess = () =>
      changePassword(proxyEvent({ body: { password: WRONG, new_password: 'a brand new passphrase' }, authorizer: authorizerFor(issued.accessToken), sourceIp: thief }));

    const burst = await Promise.all(Array.from({ length: 20 }, guess));
    const owner = await ctx.app.auth.login({ username, password: PASSWORD, sourceIp: freshIp() });

    expect(statuses(burst)).toEqual([...Array(5).fill(400), ...Array(15).fill(429)]);
    expect(owner.accessToken).toEqual(expect.any(String)); // the password was never changed, the owner is not locked out
  });
});
