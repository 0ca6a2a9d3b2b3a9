/**
 * What an operator sees of the service, as CloudWatch would receive it: the structured log lines and the
 * EMF metrics of the main flows through the real handlers, one WARN line per security event with its
 * stable name and the account's ids (never a token, a name or an address), and the authorizer's verdicts
 * counted by reason. Captured from stdout/stderr by tests/support/logs.ts.
 */
import { makeAuthorizerHandler } from '../../functions/authorizer';
import { createAdminService } from '../../lib/admin';
import type { AuthorizerEvent } from '../../lib/authorizer';
import { createVerifierDeps } from '../../lib/verifier-deps';
import { authorizerFor, bodyOf, claimsOf, proxyEvent, uniqueSourceIp, uniqueUsername, withTestApp } from '../support/app';
import { injectFault, sdkErrors } from '../support/dynalite';
import { captureOutput } from '../support/logs';

const GRACE = 30;
const PASSWORD = 'correct horse battery staple';
const NEW_PASSWORD = 'a brand new passphrase';
const WRONG_PASSWORD = 'guessing wildly here';

const ctx = withTestApp({ REFRESH_TOKEN_REUSE_GRACE: String(GRACE) });
const routes = ctx.handlers;
const output = captureOutput();

const json = (body: unknown, sourceIp = uniqueSourceIp()) => proxyEvent({ body, sourceIp });
const asCaller = (accessToken: string, options: Parameters<typeof proxyEvent>[0] = {}) =>
  proxyEvent({ ...options, headers: { Authorization: `Bearer ${accessToken}`, 'Content-Type': 'application/json' }, authorizer: authorizerFor(accessToken) });

async function signUp(email?: string) {
  const username = uniqueUsername('ops');
  const body = bodyOf(await routes.register(json({ username, password: PASSWORD, ...(email ? { email } : {}) })));
  const accessToken = body.access_token as string;
  return { username, accessToken, refreshToken: body.refresh_token as string, ...claimsOf(accessToken) };
}

/** The security event lines, each checked for what every one must be: WARN, named, and free of secrets. */
function securityEvents(...secrets: string[]) {
  const events = output.logs().filter((entry) => typeof entry.event === 'string');
  for (const entry of events) {
    expect(entry).toMatchObject({ level: 'WARN', service: 'jwt-auth', message: `security event: ${String(entry.event)}` });
    for (const secret of secrets) expect(JSON.stringify(entry)).not.toContain(secret);
  }
  return events;
}

describe('the main flows', () => {
  it('count registrations, logins, failed logins and refreshes, one EMF line a request, in the jwt-auth namespace', async () => {
    const { username, refreshToken } = await signUp();
    await routes.login(json({ username, password: PASSWORD }));
    await routes.login(json({ username, password: WRONG_PASSWORD }));
    await routes.login(json({ username: uniqueUsername('nobody'), password: WRONG_PASSWORD }));
    await routes.refresh(json({ refresh_token: refreshToken }));

    expect(output.metrics()).toEqual({ Registrations: 1, Logins: 1, FailedLogins: 2, Refreshes: 1 });
    const emf = output.records().filter((entry) => '_aws' in entry);
    expect(emf).toHaveLength(5);
    expect(emf[0]).toMatchObject({
      _aws: { CloudWatchMetrics: [{ Namespace: 'jwt-auth', Dimensions: [['service']], Metrics: [{ Name: 'Registrations', Unit: 'Count' }] }] },
      service: 'jwt-auth',
      Registrations: 1,
    });
    expect(securityEvents(PASSWORD, WRONG_PASSWORD, refreshToken, username)).toEqual([]);
  });

  it('log a registration with the ids of the user and the session and the source address, at INFO', async () => {
    const sourceIp = uniqueSourceIp();
    const body = bodyOf(await routes.register(json({ username: uniqueUsername('ops'), password: PASSWORD }, sourceIp)));
    const { sub, sid } = claimsOf(body.access_token as string);

    expect(output.logs()).toEqual([
      expect.objectContaining({ level: 'INFO', message: 'user registered', sub, sid, client_id: 'default', source_ip: sourceIp, request_id: expect.any(String) }),
    ]);
  });

  it('count a 503 from a DynamoDB fault', async () => {
    const { refreshToken } = await signUp();
    output.clear();
    injectFault(ctx.dynamo.doc, { operation: 'UpdateItem', table: ctx.dynamo.tables.SessionsTable, error: sdkErrors.throttling });

    const response = await routes.refresh(json({ refresh_token: refreshToken }));

    expect(response.statusCode).toBe(503);
    expect(output.metrics()).toEqual({ DynamoDBUnavailable: 1 });
  });
});

describe('security events', () => {
  it('refresh-token reuse: the session is revoked, one line names it, and the reuse is counted', async () => {
    const who = await signUp();
    await routes.refresh(json({ refresh_token: who.refreshToken }));
    ctx.app.clock.advance(GRACE + 1);
    const thief = uniqueSourceIp();
    output.clear();

    const stolen = await routes.refresh(json({ refresh_token: who.refreshToken }, thief));

    expect(stolen.statusCode).toBe(400);
    expect(securityEvents(who.refreshToken)).toEqual([
      expect.objectContaining({ event: 'refresh_token_reuse', sub: who.sub, sid: who.sid, client_id: 'default', source_ip: thief, action: 'session_revoked' }),
    ]);
    expect(output.metrics()).toEqual({ RefreshTokenReuse: 1 });
  });

  it('refresh-token reuse is on record even when ending the session fails (a 503): the thief is refused either way', async () => {
    const who = await signUp();
    await routes.refresh(json({ refresh_token: who.refreshToken }));
    ctx.app.clock.advance(GRACE + 1);
    output.clear();
    injectFault(ctx.dynamo.doc, { operation: 'DeleteItem', table: ctx.dynamo.tables.SessionsTable, error: sdkErrors.throttling });

    const stolen = await routes.refresh(json({ refresh_token: who.refreshToken }));

    expect(stolen.statusCode).toBe(503);
    expect(securityEvents(who.refreshToken)).toEqual([expect.objectContaining({ event: 'refresh_token_reuse', sub: who.sub, sid: who.sid })]);
    expect(output.metrics()).toEqual({ RefreshTokenReuse: 1, DynamoDBUnavailable: 1 });
  });

  it('a retry inside the grace window is no event', async () => {
    const who = await signUp();
    await routes.refresh(json({ refresh_token: who.refreshToken }));
    output.clear();

    expect((await routes.refresh(json({ refresh_token: who.refreshToken }))).statusCode).toBe(200);
    expect(securityEvents()).toEqual([]);
  });

  it('login throttled: named by the account it protects, with the address, and counted', async () => {
    const who = await signUp();
    const sourceIp = uniqueSourceIp();
    for (let i = 0; i < 5; i += 1) await routes.login(json({ username: who.username, password: WRONG_PASSWORD }, sourceIp));
    output.clear();

    const throttled = await routes.login(json({ username: who.username, password: PASSWORD }, sourceIp));

    expect(throttled.statusCode).toBe(429);
    expect(securityEvents(PASSWORD, who.username)).toEqual([expect.objectContaining({ event: 'login_throttled', sub: who.sub, source_ip: sourceIp })]);
    expect(output.metrics()).toEqual({ ThrottledLogins: 1 });
  });

  it('password changed, and sessions revoked in bulk', async () => {
    const who = await signUp();
    const changed = await routes.password(asCaller(who.accessToken, { body: { password: PASSWORD, new_password: NEW_PASSWORD } }));
    const all = await routes.logout(asCaller(who.accessToken, { body: { all: true } }));

    expect([changed.statusCode, all.statusCode]).toEqual([204, 204]);
    expect(securityEvents(PASSWORD, NEW_PASSWORD, who.accessToken)).toEqual([
      expect.objectContaining({ event: 'password_changed', sub: who.sub, sid: who.sid }),
      expect.objectContaining({ event: 'sessions_revoked', sub: who.sub, reason: 'logout_all' }),
    ]);
  });

  it('password reset requested (for an account or none, alike but for the sub) and completed', async () => {
    const email = `${uniqueUsername('mail')}@example.com`;
    const who = await signUp(email);
    await routes.verifyEmail(json({ token: (await ctx.app.outbox.latest(email, 'verify_email')).token }));
    output.clear();

    await routes.forgotPassword(json({ email }));
    await routes.forgotPassword(json({ email: `nobody-${email}` }));
    const reset = await ctx.app.outbox.latest(email, 'reset_password');
    const done = await routes.resetPassword(json({ token: reset.token, new_password: NEW_PASSWORD }));

    expect(done.statusCode).toBe(204);
    const [known, unknown, completed, ...rest] = securityEvents(reset.token, email, NEW_PASSWORD);
    expect(known).toMatchObject({ event: 'password_reset_requested', sub: who.sub, by: 'email' });
    expect(unknown).toMatchObject({ event: 'password_reset_requested', by: 'email' });
    expect(unknown).not.toHaveProperty('sub');
    expect(completed).toMatchObject({ event: 'password_reset_completed', sub: who.sub });
    expect(rest).toEqual([]);
    expect(output.metrics()).toEqual({ PasswordResetRequests: 2, PasswordResets: 1 });
  });

  it('account deleted by its user, and disabled, enabled and deleted by an operator', async () => {
    const who = await signUp();
    const other = await signUp();
    const admin = createAdminService({ config: ctx.app.config, users: ctx.app.users, sessions: ctx.app.sessions, now: ctx.app.clock.now });
    output.clear();

    const deleted = await routes.deleteMe(asCaller(who.accessToken, { httpMethod: 'DELETE', body: { password: PASSWORD } }));
    const user = await admin.find(other.username);
    await admin.disable(user);
    await admin.enable(user);
    await admin.deleteUser(user);

    expect(deleted.statusCode).toBe(204);
    expect(securityEvents(PASSWORD, who.username, other.username).map(({ event, sub, by }) => ({ event, sub, by }))).toEqual([
      { event: 'account_deleted', sub: who.sub, by: 'user' },
      { event: 'account_disabled', sub: other.sub, by: 'admin' },
      { event: 'account_enabled', sub: other.sub, by: 'admin' },
      { event: 'account_deleted', sub: other.sub, by: 'admin' },
    ]);
    expect(output.metrics()).toEqual({ AccountsDeleted: 1 });
  });
});

describe('the authorizer', () => {
  const authorizer = makeAuthorizerHandler(async () => createVerifierDeps({ config: ctx.app.config, keys: ctx.app.keys, now: ctx.app.clock.now }));
  const call = (authorization?: string) =>
    authorizer({ type: 'REQUEST', methodArn: 'arn:aws:execute-api:eu-west-1:123456789012:api/prod/GET/me', headers: authorization ? { Authorization: authorization } : {} } as AuthorizerEvent)
      .catch((error: Error) => error.message);

  it('counts allows, and denies by reason (expired, bad signature, malformed, missing), logging none of them', async () => {
    const { accessToken } = await signUp();
    output.clear();
    const [header, payload, signature] = accessToken.split('.');
    const forged = `${header}.${payload}.${signature!.slice(0, -4)}AAAA`;

    await call(`Bearer ${accessToken}`);
    await call(`Bearer ${forged}`);
    await call('Bearer not-a-jwt');
    await call('Bearer');
    expect(await call()).toBe('Unauthorized');
    ctx.app.clock.advance(ctx.app.config.accessTokenTtl + ctx.app.config.clockSkew + 1);
    await call(`Bearer ${accessToken}`);

    const verdicts = output.records().map((entry) => (entry.AuthorizerAllows ? 'allow' : entry.Reason));
    expect(verdicts).toEqual(['allow', 'bad_signature', 'malformed', 'malformed', 'missing', 'expired']);
    expect(output.metrics()).toEqual({ AuthorizerAllows: 1, AuthorizerDenies: 5 });
    expect(output.records()[1]).toMatchObject({
      _aws: { CloudWatchMetrics: [{ Namespace: 'jwt-auth', Dimensions: [['service'], ['service', 'Reason']], Metrics: [{ Name: 'AuthorizerDenies', Unit: 'Count' }] }] },
      service: 'jwt-auth',
    });
    expect(output.logs()).toEqual([]);
  });
});
