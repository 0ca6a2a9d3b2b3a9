/**
 * DynamoDB faults, injected into the real client (the only thing simulated here): every storage-backed
 * route answers the contract's 503 with Retry-After, and the tables, read back, hold no lost or
 * half-written user or session: a retry after the fault succeeds, and no refresh token is consumed.
 * Each test removes its fault right after the request under test: the read-back uses the same client.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { MAXIMUM_RETRY_DELAY, Retry } from '@smithy/core/retry';
import { parse } from 'yaml';
import { createDocumentClient, DYNAMODB_TIMEOUTS } from '../../lib/dynamo';
import type { IssuedTokens } from '../../lib/auth';
import type { HttpResponse } from '../../lib/http';
import { authorizerFor, bodyOf, claimsOf, proxyEvent, sha256, uniqueSourceIp, uniqueUsername, withTestApp } from '../support/app';
import { injectFault, sdkErrors, type FaultSpec, type TableId } from '../support/dynalite';

const ctx = withTestApp();
const handlers = ctx.handlers;

const PASSWORD = 'correct horse battery staple';
const NEW_PASSWORD = 'a brand new passphrase';

const throttlingException = () =>
  Object.assign(new Error('Rate of requests exceeds the allowed throughput.'), { name: 'ThrottlingException', $fault: 'client', $metadata: { httpStatusCode: 400 } });

/** The faults DynamoDB calls end with once the SDK's own retries are spent. */
const FAULTS: [string, () => Error][] = [
  ['ProvisionedThroughputExceededException', sdkErrors.throttling],
  ['ThrottlingException', throttlingException],
  ['TimeoutError', sdkErrors.timeout],
  ['ECONNRESET', sdkErrors.connectionReset],
];
/** The faults that can strike after DynamoDB applied a write: the response is lost on the way back. */
const LOST_RESPONSES = FAULTS.filter(([name]) => name === 'TimeoutError' || name === 'ECONNRESET');

function fail(operation: FaultSpec['operation'], table: TableId, error: () => Error, when: FaultSpec['when'] = 'before') {
  return injectFault(ctx.dynamo.doc, { operation, table: ctx.dynamo.tables[table], error, when });
}

function expectUnavailable(response: HttpResponse): void {
  expect(response.statusCode).toBe(503);
  expect(response.headers['Retry-After']).toMatch(/^[1-9]\d*$/);
  expect(bodyOf(response)).toEqual({ code: 503, error: 'temporarily_unavailable', error_description: expect.any(String) });
}

interface Member {
  username: string;
  sub: string;
  tokens: IssuedTokens;
  sid: string;
}

async function member(): Promise<Member> {
  const username = uniqueUsername('fault');
  const tokens = await ctx.app.auth.register({ username, password: PASSWORD });
  const { sub, sid } = claimsOf(tokens.accessToken);
  return { username, sub, tokens, sid };
}

const readUser = (username: string) => ctx.dynamo.userNamed(username);
const readSession = (sid: string) => ctx.dynamo.read('SessionsTable', { id: sid });
const sessionsOf = (sub: string) => ctx.dynamo.scan('SessionsTable', sub);

/** Sessions whose user does not exist: what a half-done registration leaves behind. */
async function orphanSessions(): Promise<Record<string, unknown>[]> {
  const subs = new Set((await ctx.dynamo.scan('UsersTable')).map((user) => user.sub));
  return (await ctx.dynamo.scan('SessionsTable')).filter((session) => !subs.has(session.sub));
}

const registerEvent = (username: string) => proxyEvent({ body: { username, password: PASSWORD } });
const loginEvent = (username: string) => proxyEvent({ body: { username, password: PASSWORD }, sourceIp: uniqueSourceIp() });
const refreshEvent = (refreshToken: string) => proxyEvent({ body: { refresh_token: refreshToken } });
const asCaller = (who: Member, options: Parameters<typeof proxyEvent>[0] = {}) => proxyEvent({ ...options, authorizer: authorizerFor(who.tokens.accessToken) });
const passwordEvent = (who: Member) => asCaller(who, { body: { password: PASSWORD, new_password: NEW_PASSWORD } });

describe('POST /auth/register when DynamoDB fails', () => {
  it.each(FAULTS)('answers 503 when storing the user fails (%s), stores nothing, and a retry succeeds', async (_name, error) => {
    const username = uniqueUsername('fault');
    const fault = fail('PutItem', 'UsersTable', error);

    const response = await handlers.register(registerEvent(username));

    fault.remove();
    expectUnavailable(response);
    expect(await readUser(username)).toBeUndefined();
    expect((await handlers.register(registerEvent(username))).statusCode).toBe(201);
  });

  it.each(FAULTS)('answers 503 when storing the first session fails (%s), takes the user back, and a retry succeeds', async (_name, error) => {
    const username = uniqueUsername('fault');
    const orphansBefore = await orphanSessions();
    const fault = fail('PutItem', 'SessionsTable', error);

    const response = await handlers.register(registerEvent(username));

    fault.remove();
    expectUnavailable(response);
    expect(await readUser(username)).toBeUndefined();
    expect(await orphanSessions()).toEqual(orphansBefore);
    expect((await handlers.register(registerEvent(username))).statusCode).toBe(201);
  });

  it.each(LOST_RESPONSES)('leaves no session without a user when the first session was stored but its response lost (%s)', async (_name, error) => {
    const username = uniqueUsername('fault');
    const orphansBefore = await orphanSessions();
    const fault = fail('PutItem', 'SessionsTable', error, 'after');

    const response = await handlers.register(registerEvent(username));

    fault.remove();
    expectUnavailable(response);
    expect(await readUser(username)).toBeUndefined();
    expect(await orphanSessions()).toEqual(orphansBefore);
    expect((await handlers.register(registerEvent(username))).statusCode).toBe(201);
  });
});

describe('POST /auth/login when DynamoDB fails', () => {
  it.each(FAULTS)('answers 503 when reading the user fails (%s), starts no session, and a retry succeeds', async (_name, error) => {
    const who = await member();
    const fault = fail('GetItem', 'UsersTable', error);

    const response = await handlers.login(loginEvent(who.username));

    fault.remove();
    expectUnavailable(response);
    expect(await sessionsOf(who.sub)).toHaveLength(1);
    expect((await handlers.login(loginEvent(who.username))).statusCode).toBe(200);
  });

  it.each(FAULTS)('answers 503 when storing the session fails (%s), keeps the user intact, and a retry succeeds', async (_name, error) => {
    const who = await member();
    const userBefore = await readUser(who.username);
    const fault = fail('PutItem', 'SessionsTable', error);

    const response = await handlers.login(loginEvent(who.username));

    fault.remove();
    expectUnavailable(response);
    expect(await readUser(who.username)).toEqual(userBefore);
    expect(await sessionsOf(who.sub)).toHaveLength(1);
    expect((await handlers.login(loginEvent(who.username))).statusCode).toBe(200);
  });
});

describe('POST /auth/refresh when DynamoDB fails', () => {
  it.each(FAULTS)('answers 503 when the rotation fails (%s), leaves the session as it was, and the same token then refreshes', async (_name, error) => {
    const who = await member();
    const before = await readSession(who.sid);
    const fault = fail('UpdateItem', 'SessionsTable', error);

    const response = await handlers.refresh(refreshEvent(who.tokens.refreshToken));

    fault.remove();
    expectUnavailable(response);
    expect(await readSession(who.sid)).toEqual(before);
    expect((await handlers.refresh(refreshEvent(who.tokens.refreshToken))).statusCode).toBe(200);
  });

  it.each(LOST_RESPONSES)('answers 503 when the rotation was stored but its response lost (%s); the retry gets the successor, which works', async (_name, error) => {
    const who = await member();
    const fault = fail('UpdateItem', 'SessionsTable', error, 'after');

    const response = await handlers.refresh(refreshEvent(who.tokens.refreshToken));

    fault.remove();
    expectUnavailable(response);
    const retry = await handlers.refresh(refreshEvent(who.tokens.refreshToken));
    expect(retry.statusCode).toBe(200);
    expect((await handlers.refresh(refreshEvent(bodyOf(retry).refresh_token as string))).statusCode).toBe(200);
  });

  it.each(FAULTS)('does not revoke the session when the retry after a lost response cannot read it (%s)', async (_name, error) => {
    const who = await member();
    const lost = fail('UpdateItem', 'SessionsTable', sdkErrors.timeout, 'after');
    expectUnavailable(await handlers.refresh(refreshEvent(who.tokens.refreshToken)));
    lost.remove();
    const fault = fail('GetItem', 'SessionsTable', error);

    const response = await handlers.refresh(refreshEvent(who.tokens.refreshToken));

    fault.remove();
    expectUnavailable(response);
    expect(await readSession(who.sid)).toBeDefined();
    expect((await handlers.refresh(refreshEvent(who.tokens.refreshToken))).statusCode).toBe(200);
  });
});

describe('POST /auth/logout when DynamoDB fails', () => {
  it.each(FAULTS)('answers 503 when deleting the session fails (%s); the session and its token survive', async (_name, error) => {
    const who = await member();
    const fault = fail('DeleteItem', 'SessionsTable', error);

    const response = await handlers.logout(proxyEvent({ body: { refresh_token: who.tokens.refreshToken } }));

    fault.remove();
    expectUnavailable(response);
    expect(await readSession(who.sid)).toBeDefined();
    expect((await handlers.refresh(refreshEvent(who.tokens.refreshToken))).statusCode).toBe(200);
  });

  it.each(FAULTS)('answers 503 to {all: true} when raising the credential version fails (%s), and ends none', async (_name, error) => {
    const who = await member();
    await ctx.app.auth.login({ username: who.username, password: PASSWORD });
    const fault = fail('UpdateItem', 'UsersTable', error);

    const response = await handlers.logout(proxyEvent({ body: { all: true }, headers: { Authorization: `Bearer ${who.tokens.accessToken}` }, contentType: 'application/json' }));

    fault.remove();
    expectUnavailable(response);
    expect(await sessionsOf(who.sub)).toHaveLength(2);
    expect((await handlers.refresh(refreshEvent(who.tokens.refreshToken))).statusCode).toBe(200);
  });

  it.each(FAULTS)('answers 204 to {all: true} when listing the ended sessions for clean-up fails (%s): they stay ended', async (_name, error) => {
    const who = await member();
    const fault = fail('Query', 'SessionsTable', error);

    const response = await handlers.logout(proxyEvent({ body: { all: true }, headers: { Authorization: `Bearer ${who.tokens.accessToken}` }, contentType: 'application/json' }));

    fault.remove();
    expect(response.statusCode).toBe(204);
    expect((await handlers.refresh(refreshEvent(who.tokens.refreshToken))).statusCode).toBe(400);
  });
});

describe('GET /sessions and DELETE /sessions/{id} when DynamoDB fails', () => {
  it.each(FAULTS)('GET /sessions answers 503 when the query fails (%s)', async (_name, error) => {
    const who = await member();
    fail('Query', 'SessionsTable', error);

    const response = await handlers.list(asCaller(who, { httpMethod: 'GET', rawBody: null }));

    expectUnavailable(response);
  });

  it.each([
    ...FAULTS.map(([name, error]) => [`reading it fails (${name})`, 'GetItem', error] as const),
    ...FAULTS.map(([name, error]) => [`deleting it fails (${name})`, 'DeleteItem', error] as const),
  ])('DELETE /sessions/{id} answers 503 when %s; the session and its token survive', async (_case, operation, error) => {
    const who = await member();
    const other = await ctx.app.auth.login({ username: who.username, password: PASSWORD });
    const otherSid = claimsOf(other.accessToken).sid;
    const fault = fail(operation, 'SessionsTable', error);

    const response = await handlers.remove(asCaller(who, { httpMethod: 'DELETE', rawBody: null, pathParameters: { id: otherSid } }));

    fault.remove();
    expectUnavailable(response);
    expect(await readSession(otherSid)).toBeDefined();
    expect((await handlers.refresh(refreshEvent(other.refreshToken))).statusCode).toBe(200);
  });
});

describe('POST /auth/password when DynamoDB fails', () => {
  /** A user with the caller's session and two others. */
  async function memberWithOtherSessions() {
    const who = await member();
    const others = [await ctx.app.auth.login({ username: who.username, password: PASSWORD }), await ctx.app.auth.login({ username: who.username, password: PASSWORD })];
    return { who, others };
  }

  it.each(FAULTS)('answers 503 when finding the user fails (%s), changes nothing, and a retry succeeds', async (_name, error) => {
    const { who } = await memberWithOtherSessions();
    const userBefore = await readUser(who.username);
    const fault = fail('GetItem', 'UsersTable', error);

    const response = await handlers.password(passwordEvent(who));

    fault.remove();
    expectUnavailable(response);
    expect(await readUser(who.username)).toEqual(userBefore);
    expect(await sessionsOf(who.sub)).toHaveLength(3);
    expect((await handlers.password(passwordEvent(who))).statusCode).toBe(204);
  });

  // The new hash and the new credential version are one write: when it fails, nothing changed at all.
  it.each(FAULTS)('answers 503 when storing the new hash fails (%s), changes nothing, and a retry succeeds', async (_name, error) => {
    const { who, others } = await memberWithOtherSessions();
    const userBefore = await readUser(who.username);
    const fault = fail('UpdateItem', 'UsersTable', error);

    const response = await handlers.password(passwordEvent(who));

    fault.remove();
    expectUnavailable(response);
    expect(await readUser(who.username)).toEqual(userBefore);
    expect(await sessionsOf(who.sub)).toHaveLength(3);
    expect((await handlers.password(passwordEvent(who))).statusCode).toBe(204);
    for (const other of others) expect((await handlers.refresh(refreshEvent(other.refreshToken))).statusCode).toBe(400);
  });

  // The credential version ended the other sessions; deleting their items is clean-up, and its failure fails nothing.
  it.each(FAULTS)('answers 204 when deleting the ended sessions fails (%s): they stay ended', async (_name, error) => {
    const { who, others } = await memberWithOtherSessions();
    const fault = fail('BatchWriteItem', 'SessionsTable', error);

    const response = await handlers.password(passwordEvent(who));

    fault.remove();
    expect(response.statusCode).toBe(204);
    for (const other of others) expect((await handlers.refresh(refreshEvent(other.refreshToken))).statusCode).toBe(400);
    expect((await handlers.refresh(refreshEvent(who.tokens.refreshToken))).statusCode).toBe(200);
  });
});

describe('POST /oauth/revoke when DynamoDB fails', () => {
  it.each(FAULTS)('answers 503 when deleting the session fails (%s), so the client retries; the session is still there', async (_name, error) => {
    const who = await member();
    const fault = fail('DeleteItem', 'SessionsTable', error);

    const response = await handlers.revoke(proxyEvent({ rawBody: new URLSearchParams({ token: who.tokens.refreshToken }).toString(), contentType: 'application/x-www-form-urlencoded' }));

    fault.remove();
    expectUnavailable(response);
    expect(await readSession(who.sid)).toBeDefined();
  });
});

/** A write that DynamoDB applied, whose response was lost on the way back, retried by the SDK itself. */
const lostOnce = (table: TableId, operation: string, error: () => Error) =>
  injectFault(ctx.dynamo.doc, { operation, table: ctx.dynamo.tables[table], error, when: 'after', times: 1, perAttempt: true });

describe('writes whose response was lost, retried by the SDK itself: the retry recognises its own write', () => {
  it.each(LOST_RESPONSES)('register: the user PutItem (%s)', async (_name, error) => {
    const username = uniqueUsername('lost');
    const fault = lostOnce('UsersTable', 'PutItem', error);

    const response = await handlers.register(registerEvent(username));

    expect(fault.hits).toBe(1);
    expect(response.statusCode).toBe(201);
    const user = await readUser(username);
    expect(user?.sub).toBe(claimsOf(bodyOf(response).access_token as string).sub);
    expect(await sessionsOf(user?.sub as string)).toHaveLength(1);
  });

  it.each(LOST_RESPONSES)('register: the first session PutItem (%s)', async (_name, error) => {
    const username = uniqueUsername('lost');
    const fault = lostOnce('SessionsTable', 'PutItem', error);

    const response = await handlers.register(registerEvent(username));

    expect(fault.hits).toBe(1);
    expect(response.statusCode).toBe(201);
    expect(await sessionsOf((await readUser(username))?.sub as string)).toHaveLength(1);
  });

  it.each(LOST_RESPONSES)('login: the session PutItem (%s)', async (_name, error) => {
    const who = await member();
    const fault = lostOnce('SessionsTable', 'PutItem', error);

    const response = await handlers.login(loginEvent(who.username));

    expect(fault.hits).toBe(1);
    expect(response.statusCode).toBe(200);
    const { sid } = claimsOf(bodyOf(response).access_token as string);
    expect(await readSession(sid)).toMatchObject({ sub: who.sub, tokenHash: sha256(bodyOf(response).refresh_token as string) });
  });

  it.each(LOST_RESPONSES)('refresh: the rotation UpdateItem, answered 200 with the stored successor (%s)', async (_name, error) => {
    const who = await member();
    const fault = lostOnce('SessionsTable', 'UpdateItem', error);

    const response = await handlers.refresh(refreshEvent(who.tokens.refreshToken));

    expect(fault.hits).toBe(1);
    expect(response.statusCode).toBe(200);
    expect(await readSession(who.sid)).toMatchObject({ tokenHash: sha256(bodyOf(response).refresh_token as string), previousHash: sha256(who.tokens.refreshToken) });
  });

  it.each(LOST_RESPONSES)('password change: the new hash UpdateItem; the other sessions still end (%s)', async (_name, error) => {
    const who = await member();
    const other = await ctx.app.auth.login({ username: who.username, password: PASSWORD });
    const fault = lostOnce('UsersTable', 'UpdateItem', error);

    const response = await handlers.password(passwordEvent(who));

    expect(fault.hits).toBe(1);
    expect(response.statusCode).toBe(204);
    expect(await readSession(claimsOf(other.accessToken).sid)).toBeUndefined();
    expect((await handlers.login(proxyEvent({ body: { username: who.username, password: NEW_PASSWORD }, sourceIp: uniqueSourceIp() }))).statusCode).toBe(200);
  });
});

describe('the DynamoDB client', () => {
  it('bounds a call (attempts × (connect + request timeout) + the SDK’s worst backoff) below the Lambda timeout, itself below API Gateway’s 29 s', async () => {
    // The deployed timeouts, on a client pointed at dynalite so that it can resolve them without AWS.
    const doc = createDocumentClient({ region: 'us-east-1', dynamodbEndpoint: ctx.dynamo.endpoint }, DYNAMODB_TIMEOUTS.deployed);
    // The request handler resolves its options on first use.
    await doc.send(new GetCommand({ TableName: ctx.dynamo.tables.UsersTable, Key: { sub: 'nobody' } }));

    const maxAttempts = await doc.config.maxAttempts();
    const handlerConfig = (doc.config.requestHandler as unknown as { httpHandlerConfigs(): { connectionTimeout?: number; requestTimeout?: number } }).httpHandlerConfigs();
    doc.destroy();
    const manifest = parse(readFileSync(join(__dirname, '..', '..', 'serverless.yml'), 'utf8')) as {
      provider: { timeout: number };
      functions: Record<string, { timeout?: number }>;
    };
    const lambdaTimeouts = [manifest.provider.timeout, ...Object.values(manifest.functions).flatMap((fn) => (fn.timeout === undefined ? [] : [fn.timeout]))];
    // Standard retry mode: before retry i (0-based) it waits up to min(base × 2^i, cap); throttling uses the larger base.
    const worstBackoff = Array.from({ length: maxAttempts - 1 }, (_, i) => Math.min(Retry.throttlingDelay() * 2 ** i, MAXIMUM_RETRY_DELAY)).reduce((a, b) => a + b, 0);

    expect(handlerConfig).toMatchObject(DYNAMODB_TIMEOUTS.deployed);
    expect(maxAttempts).toBeGreaterThanOrEqual(1);
    expect(handlerConfig.connectionTimeout).toBeGreaterThan(0);
    expect(handlerConfig.requestTimeout).toBeGreaterThan(0);
    const worstCall = maxAttempts * ((handlerConfig.connectionTimeout ?? Infinity) + (handlerConfig.requestTimeout ?? Infinity)) + worstBackoff;
    expect(worstCall).toBeLessThan(Math.min(...lambdaTimeouts) * 1000);
    expect(Math.max(...lambdaTimeouts)).toBeLessThan(29);
  });
});
