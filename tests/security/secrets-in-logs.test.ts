/**
 * Nothing secret reaches the logs. Everything the process writes (console.* and process.stdout/stderr) is
 * recorded, not passed on, while the main flows run through the real handlers, DynamoDB faults and an
 * internal error included; then no recorded line may hold an access or refresh token, a password, an
 * argon2 hash or refresh-token hash from the tables, or the signing key's private part.
 */
import { createHash } from 'node:crypto';
import type { JWK } from 'jose';
import { makeAuthorizerHandler } from '../../functions/authorizer';
import type { AuthorizerEvent } from '../../lib/authorizer';
import type { HttpResponse } from '../../lib/http';
import { createVerifierDeps } from '../../lib/verifier-deps';
import { authorizerFor, bodyOf, claimsOf, proxyEvent, uniqueSourceIp, uniqueUsername, withTestApp } from '../support/app';
import { clearFaults, injectFault, sdkErrors } from '../support/dynalite';
import { captureOutput } from '../support/logs';

const GRACE = 30;
const PASSWORD = 'correct horse battery staple';
const NEW_PASSWORD = 'a brand new passphrase';
const WRONG_PASSWORD = 'guessing wildly here';

const ctx = withTestApp({ REFRESH_TOKEN_REUSE_GRACE: String(GRACE) });
const routes = ctx.handlers;

// ---------------------------------------------------------------------------------------------------------
// Recording every output channel

/** Everything written, at DEBUG, with the EMF metrics on (tests/support/logs.ts). */
const output = captureOutput();

// ---------------------------------------------------------------------------------------------------------
// What must never be logged

const sha256 = (value: string) => createHash('sha256').update(value).digest('base64url');

/** Secrets, by what they are (a leak is reported by label, so the report does not repeat the secret). */
class Secrets {
  private readonly values = new Map<string, string>();

  add(label: string, value: unknown): void {
    if (typeof value === 'string' && value.length >= 8) this.values.set(value, label);
  }

  /** The tokens of a token response: whole, and the access token's signature alone. */
  fromResponse(response: HttpResponse): void {
    if (!response.body.startsWith('{')) return;
    const body = bodyOf(response);
    if (typeof body.access_token === 'string') {
      this.add('access token', body.access_token);
      this.add('access token signature', body.access_token.split('.')[2]);
    }
    if (typeof body.refresh_token === 'string') this.refreshToken(body.refresh_token);
  }

  refreshToken(token: string): void {
    this.add('refresh token', token);
    this.add('refresh token hash', sha256(token));
  }

  /** Password hashes, refresh-token hashes and sealed successors as the tables hold them now. */
  async fromTables(): Promise<void> {
    for (const user of await ctx.dynamo.scan('UsersTable')) this.add('argon2 hash', user.passwordHash);
    for (const session of await ctx.dynamo.scan('SessionsTable')) {
      this.add('refresh token hash', session.tokenHash);
      this.add('previous refresh token hash', session.previousHash);
      this.add('sealed successor', session.successor);
    }
  }

  leaksIn(lines: string[]): string[] {
    const log = lines.join('\n');
    return [...this.values].filter(([value]) => log.includes(value)).map(([, label]) => label);
  }
}

/** Every secret a test starts with: the passwords it uses and the signing key's private members. */
async function knownSecrets(): Promise<Secrets> {
  const secrets = new Secrets();
  for (const password of [PASSWORD, NEW_PASSWORD, WRONG_PASSWORD]) secrets.add('password', password);
  const { keys } = JSON.parse((ctx.app.config.keys as { json: string }).json) as { keys: JWK[] };
  for (const key of keys) secrets.add('private key d', key.d);
  await secrets.fromTables();
  return secrets;
}

/** Runs a handler and remembers the tokens it answered with. */
async function call(secrets: Secrets, run: Promise<HttpResponse>): Promise<HttpResponse> {
  const response = await run;
  secrets.fromResponse(response);
  return response;
}

const json = (body: unknown, sourceIp = uniqueSourceIp()) => proxyEvent({ body, sourceIp });
const form = (params: Record<string, string>) =>
  proxyEvent({ rawBody: new URLSearchParams(params).toString(), contentType: 'application/x-www-form-urlencoded', sourceIp: uniqueSourceIp() });
const asCaller = (accessToken: string, options: Parameters<typeof proxyEvent>[0] = {}) =>
  proxyEvent({ ...options, headers: { Authorization: `Bearer ${accessToken}`, 'Content-Type': 'application/json' }, authorizer: authorizerFor(accessToken) });

async function signUp(secrets: Secrets): Promise<{ username: string; accessToken: string; refreshToken: string }> {
  const username = uniqueUsername('logs');
  const body = bodyOf(await call(secrets, routes.register(json({ username, password: PASSWORD }))));
  return { username, accessToken: body.access_token as string, refreshToken: body.refresh_token as string };
}

// ---------------------------------------------------------------------------------------------------------

describe('the recorder', () => {
  it('notices a secret written to any channel, so a clean result means something', async () => {
    const secrets = await knownSecrets();
    secrets.refreshToken('a-refresh-token-that-must-not-leak');

    console.warn({ note: 'leak', token: 'a-refresh-token-that-must-not-leak' });
    process.stderr.write(`${PASSWORD}\n`);

    expect(secrets.leaksIn(output.lines()).sort()).toEqual(['password', 'refresh token']);
  });
});

describe('nothing secret is logged', () => {
  it('by register, login with a right or wrong password or an unknown user, and GET /me', async () => {
    const secrets = await knownSecrets();

    const { username, accessToken } = await signUp(secrets);
    const good = await call(secrets, routes.login(json({ username, password: PASSWORD })));
    const bad = await routes.login(json({ username, password: WRONG_PASSWORD }));
    const unknown = await routes.login(json({ username: uniqueUsername('nobody'), password: WRONG_PASSWORD }));
    const me = await routes.me(asCaller(accessToken, { httpMethod: 'GET', rawBody: null }));

    expect([good.statusCode, bad.statusCode, unknown.statusCode, me.statusCode]).toEqual([200, 400, 400, 200]);
    await secrets.fromTables();
    expect(secrets.leaksIn(output.lines())).toEqual([]);
  });

  it('by a throttled login', async () => {
    const secrets = await knownSecrets();
    const { username } = await signUp(secrets);
    const sourceIp = uniqueSourceIp();

    for (let i = 0; i < 5; i += 1) await routes.login(json({ username, password: WRONG_PASSWORD }, sourceIp));
    const throttled = await routes.login(json({ username, password: PASSWORD }, sourceIp));

    expect(throttled.statusCode).toBe(429);
    await secrets.fromTables();
    expect(secrets.leaksIn(output.lines())).toEqual([]);
  });

  it('by refresh, a retry within the grace window, and a reuse after it that revokes the session', async () => {
    const secrets = await knownSecrets();
    const { refreshToken } = await signUp(secrets);

    const rotated = await call(secrets, routes.refresh(json({ refresh_token: refreshToken })));
    const retried = await call(secrets, routes.refresh(json({ refresh_token: refreshToken })));
    await secrets.fromTables();
    ctx.app.clock.advance(GRACE + 1);
    const stolen = await routes.refresh(json({ refresh_token: refreshToken }));
    const newest = await routes.refresh(json({ refresh_token: bodyOf(rotated).refresh_token }));

    expect([rotated.statusCode, retried.statusCode, stolen.statusCode, newest.statusCode]).toEqual([200, 200, 400, 400]);
    expect(secrets.leaksIn(output.lines())).toEqual([]);
  });

  it('by logout, logout of all sessions, and listing and deleting sessions', async () => {
    const secrets = await knownSecrets();
    const { username, accessToken, refreshToken } = await signUp(secrets);
    const second = bodyOf(await call(secrets, routes.login(json({ username, password: PASSWORD }))));
    const third = bodyOf(await call(secrets, routes.login(json({ username, password: PASSWORD }))));
    await secrets.fromTables();

    const listed = await routes.list(asCaller(accessToken, { httpMethod: 'GET', rawBody: null }));
    const deleted = await routes.remove(
      asCaller(accessToken, { httpMethod: 'DELETE', rawBody: null, pathParameters: { id: claimsOf(second.access_token as string).sid } }),
    );
    const loggedOut = await routes.logout(json({ refresh_token: refreshToken }));
    const all = await routes.logout(asCaller(third.access_token as string, { body: { all: true } }));

    expect([listed.statusCode, deleted.statusCode, loggedOut.statusCode, all.statusCode]).toEqual([200, 204, 204, 204]);
    expect(secrets.leaksIn(output.lines())).toEqual([]);
  });

  it('by a password change, refused with a wrong current password and then done', async () => {
    const secrets = await knownSecrets();
    const { accessToken } = await signUp(secrets);
    await secrets.fromTables();

    const refused = await routes.password(asCaller(accessToken, { body: { password: WRONG_PASSWORD, new_password: NEW_PASSWORD } }));
    const changed = await routes.password(asCaller(accessToken, { body: { password: PASSWORD, new_password: NEW_PASSWORD } }));

    expect([refused.statusCode, changed.statusCode]).toEqual([400, 204]);
    await secrets.fromTables();
    expect(secrets.leaksIn(output.lines())).toEqual([]);
  });

  it('by the OAuth token endpoint (password and refresh_token grants) and revocation', async () => {
    const secrets = await knownSecrets();
    const { username } = await signUp(secrets);

    const issued = await call(secrets, routes.token(form({ grant_type: 'password', username, password: PASSWORD })));
    const refreshed = await call(secrets, routes.token(form({ grant_type: 'refresh_token', refresh_token: bodyOf(issued).refresh_token as string })));
    await secrets.fromTables();
    const revoked = await routes.revoke(form({ token: bodyOf(refreshed).refresh_token as string, token_type_hint: 'refresh_token' }));

    expect([issued.statusCode, refreshed.statusCode, revoked.statusCode]).toEqual([200, 200, 200]);
    expect(secrets.leaksIn(output.lines())).toEqual([]);
  });
});

describe('nothing secret is logged by the account flows', () => {
  it('by registering with an address, verifying it, a forgotten password, a reset, a change of address and a deletion', async () => {
    const secrets = await knownSecrets();
    const email = `${uniqueUsername('mail')}@example.com`;
    const username = uniqueUsername('logs');
    const registered = bodyOf(await call(secrets, routes.register(json({ username, password: PASSWORD, email }))));
    const verification = await ctx.app.outbox.latest(email, 'verify_email');
    const fromMessages = (message: { token: string; link: string; text: string }) => {
      secrets.add('message token', message.token);
      secrets.add('message link', message.link);
      secrets.add('message body', message.text.split('\n').find((line) => line.startsWith('Hello')) ?? '');
    };
    fromMessages(verification);

    const verified = await routes.verifyEmail(json({ token: verification.token }));
    const forgot = await routes.forgotPassword(json({ email }));
    const reset = await ctx.app.outbox.latest(email, 'reset_password');
    fromMessages(reset);
    const done = await routes.resetPassword(json({ token: reset.token, new_password: NEW_PASSWORD }));
    await secrets.fromTables();
    const signedIn = bodyOf(await call(secrets, routes.login(json({ username, password: NEW_PASSWORD }))));
    const accessToken = signedIn.access_token as string;
    const changed = await routes.changeEmail(asCaller(accessToken, { body: { email: `new-${email}`, password: NEW_PASSWORD } }));
    fromMessages(await ctx.app.outbox.latest(`new-${email}`, 'verify_email'));
    const deleted = await routes.deleteMe(asCaller(accessToken, { httpMethod: 'DELETE', body: { password: NEW_PASSWORD } }));

    expect(registered.access_token).toEqual(expect.any(String));
    expect([verified.statusCode, forgot.statusCode, done.statusCode, changed.statusCode, deleted.statusCode]).toEqual([204, 202, 204, 202, 204]);
    expect(output.lines().some((line) => line.includes('outbox: reset_password'))).toBe(true); // the outbox says where, and only that
    expect(secrets.leaksIn(output.lines())).toEqual([]);
  });
});

describe('nothing secret is written by the authorizer', () => {
  it('for a valid, a forged, a malformed and an expired token: its metric lines carry no token', async () => {
    const secrets = await knownSecrets();
    const { accessToken } = await signUp(secrets);
    const authorizer = makeAuthorizerHandler(async () => createVerifierDeps({ config: ctx.app.config, keys: ctx.app.keys, now: ctx.app.clock.now }));
    const call = (token: string) =>
      authorizer({ type: 'TOKEN', authorizationToken: `Bearer ${token}`, methodArn: 'arn:aws:execute-api:eu-west-1:123456789012:api/prod/GET/me' } as AuthorizerEvent);
    const forged = `${accessToken.slice(0, accessToken.lastIndexOf('.'))}.${'A'.repeat(86)}`;
    secrets.add('forged token', forged);
    output.clear();

    await call(accessToken);
    await call(forged);
    await call(`${accessToken}garbage`);
    ctx.app.clock.advance(ctx.app.config.accessTokenTtl + 1);
    await call(accessToken);

    expect(output.lines()).toHaveLength(4); // one EMF line each
    expect(secrets.leaksIn(output.lines())).toEqual([]);
  });
});

describe('failures are logged, and nothing secret with them', () => {
  it('logs DynamoDB faults during register, login, refresh and password change, without any secret', async () => {
    const secrets = await knownSecrets();
    const { username, accessToken, refreshToken } = await signUp(secrets);
    await secrets.fromTables();

    injectFault(ctx.dynamo.doc, { operation: 'PutItem', table: ctx.dynamo.tables.SessionsTable, error: sdkErrors.connectionReset });
    injectFault(ctx.dynamo.doc, { operation: 'DeleteItem', table: ctx.dynamo.tables.UsersTable, error: sdkErrors.timeout }); // the take-back fails too
    const register = await routes.register(json({ username: uniqueUsername('logs'), password: PASSWORD }));
    const login = await routes.login(json({ username, password: PASSWORD }));
    clearFaults(ctx.dynamo.doc);
    injectFault(ctx.dynamo.doc, { operation: ['UpdateItem', 'GetItem', 'BatchGetItem', 'Query'], error: sdkErrors.throttling });
    const refresh = await routes.refresh(json({ refresh_token: refreshToken }));
    const password = await routes.password(asCaller(accessToken, { body: { password: PASSWORD, new_password: NEW_PASSWORD } }));
    const badLogin = await routes.login(json({ username, password: WRONG_PASSWORD }));
    clearFaults(ctx.dynamo.doc);

    expect([register.statusCode, login.statusCode, refresh.statusCode, password.statusCode, badLogin.statusCode]).toEqual([503, 503, 503, 503, 503]);
    await secrets.fromTables();
    expect(output.lines().length).toBeGreaterThanOrEqual(5);
    expect(output.lines().join('\n')).toContain('could not take back a registration');
    expect(secrets.leaksIn(output.lines())).toEqual([]);
  });

  it('logs an internal error (a protected route reached without the authorizer) without the request’s token or body', async () => {
    const secrets = await knownSecrets();
    const { accessToken } = await signUp(secrets);
    const event = proxyEvent({ body: { password: PASSWORD, new_password: NEW_PASSWORD }, headers: { Authorization: `Bearer ${accessToken}`, 'Content-Type': 'application/json' } });

    const response = await routes.password(event);

    expect(response.statusCode).toBe(500);
    expect(bodyOf(response)).toEqual({ code: 500, error: 'server_error', error_description: expect.any(String) });
    expect(output.lines().length).toBeGreaterThan(0);
    await secrets.fromTables();
    expect(secrets.leaksIn(output.lines())).toEqual([]);
  });
});
