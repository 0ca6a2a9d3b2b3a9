/**
 * Accounts people can recover and leave, through the handlers on dynalite with the injected clock: an
 * address verified by the token of a message (read back from the outbox folder), a forgotten password
 * reset by one, a deletion, a disabled account, and scopes granted to some users only.
 */
import { randomUUID } from 'node:crypto';
import { FORGOT_ANSWER } from '../../functions/forgot-password';
import type { HttpResponse } from '../../lib/http';
import { mintOneTimeToken } from '../../lib/one-time-tokens';
import { THROTTLE } from '../../lib/throttle';
import { authorizerFor, bodyOf, proxyEvent, uniqueSourceIp, uniqueUsername, withTestApp } from '../support/app';
import { countRequests } from '../support/dynalite';

const ctx = withTestApp({ SCOPES: 'profile sessions admin orders:write', PASSWORD_RESET_TTL: '900', EMAIL_VERIFICATION_TTL: '3600' });
const h = ctx.handlers;
const PASSWORD = 'correct horse battery staple';
const NEW_PASSWORD = 'a brand new passphrase';

const post = (handler: (event: ReturnType<typeof proxyEvent>) => Promise<HttpResponse>, body: unknown, extra: Parameters<typeof proxyEvent>[0] = {}) =>
  handler(proxyEvent({ body, ...extra }));
const expectError = (response: HttpResponse, status: number, error: string) =>
  expect({ status: response.statusCode, error: bodyOf(response).error }).toEqual({ status, error });
const address = () => `${randomUUID().slice(0, 8)}@Example.COM`;
const stored = (typed: string) => typed.toLowerCase();

/** A registered user (with an address unless `email` is null), their tokens and its verification message. */
async function registered(email: string | null = address()) {
  const username = uniqueUsername();
  const response = await post(h.register, { username, password: PASSWORD, ...(email ? { email } : {}) });
  expect(response.statusCode).toBe(201);
  const tokens = bodyOf(response) as { access_token: string; refresh_token: string };
  return { username, email: email && stored(email), tokens, authorizer: authorizerFor(tokens.access_token) };
}
async function verified(email = address()) {
  const user = await registered(email);
  const { token } = await ctx.app.outbox.latest(user.email!, 'verify_email');
  expect((await post(h.verifyEmail, { token })).statusCode).toBe(204);
  return user;
}
const me = async (user: { authorizer: ReturnType<typeof authorizerFor> }) => bodyOf(await h.me(proxyEvent({ authorizer: user.authorizer, httpMethod: 'GET' })));
const login = (username: string, password = PASSWORD, scope?: string) => post(h.login, { username, password, ...(scope ? { scope } : {}) });
const refresh = (refreshToken: string, scope?: string) => post(h.refresh, { refresh_token: refreshToken, ...(scope ? { scope } : {}) });

describe('email, optional and verified', () => {
  it('stores the address normalized and unverified, sends a message with the link and the token, and shows both on /me', async () => {
    const user = await registered('  Ada.L@Example.COM ');

    const message = await ctx.app.outbox.latest('ada.l@example.com', 'verify_email');
    expect(message.link).toBe(`https://app.example.test/verify-email?token=${message.token}`);
    expect(message.token).toMatch(/^[\w-]{64}$/);
    expect(await me(user)).toMatchObject({ email: 'ada.l@example.com', email_verified: false });
    const item = await ctx.dynamo.read('UsersTable', { sub: (await me(user)).sub as string });
    expect(JSON.stringify(item)).not.toContain(message.token); // only its hash is kept
  });

  it('verifies with the message\'s token, once', async () => {
    const user = await registered();
    const { token } = await ctx.app.outbox.latest(user.email!, 'verify_email');

    const first = await post(h.verifyEmail, { token });
    const again = await post(h.verifyEmail, { token });

    expect(first.statusCode).toBe(204);
    expectError(again, 400, 'invalid_grant');
    expect(await me(user)).toMatchObject({ email: user.email, email_verified: true });
  });

  it('refuses an expired, forged or malformed token, and a registration with a malformed address', async () => {
    const user = await registered();
    const { token } = await ctx.app.outbox.latest(user.email!, 'verify_email');
    const sub = (await me(user)).sub as string;
    const forged = mintOneTimeToken(sub, 'verify_email').token;
    const resetToken = mintOneTimeToken(sub, 'reset_password').token;

    ctx.app.clock.advance(3600);
    const expired = await post(h.verifyEmail, { token });
    const answers = await Promise.all([forged, resetToken, 'x'.repeat(64), '', 42, 'A'.repeat(100_000)].map((value) => post(h.verifyEmail, { token: value })));
    const badAddress = await post(h.register, { username: uniqueUsername(), password: PASSWORD, email: 'not an address' });

    expectError(expired, 400, 'invalid_grant');
    expect(answers.map((answer) => answer.statusCode)).toEqual([400, 400, 400, 400, 400, 413]);
    expect(answers.slice(0, 3).map((answer) => bodyOf(answer).error)).toEqual(['invalid_grant', 'invalid_grant', 'invalid_grant']);
    expectError(badAddress, 400, 'invalid_request');
    expect(await ctx.dynamo.read('UsersTable', { sub })).toMatchObject({ emailVerified: false });
  });

  it('changes the address with the password: a new message, the old token superseded, the old address kept for resets until then', async () => {
    const user = await verified();
    const next = address();
    const wrong = await post(h.changeEmail, { email: next, password: 'not the password' }, { authorizer: user.authorizer, sourceIp: uniqueSourceIp() });
    const changed = await post(h.changeEmail, { email: next, password: PASSWORD }, { authorizer: user.authorizer });
    const firstToken = (await ctx.app.outbox.latest(stored(next), 'verify_email')).token;
    await post(h.changeEmail, { email: next, password: PASSWORD }, { authorizer: user.authorizer }); // asked twice: a second message
    const secondToken = (await ctx.app.outbox.latest(stored(next), 'verify_email')).token;
    const forgotBeforeVerifying = await post(h.forgotPassword, { email: user.email }, { sourceIp: uniqueSourceIp() });
    const resetMessage = await ctx.app.outbox.latest(user.email!, 'reset_password');

    expectError(wrong, 400, 'invalid_grant');
    expect(changed.statusCode).toBe(202);
    expect(await me(user)).toMatchObject({ email: stored(next), email_verified: false });
    expect(forgotBeforeVerifying.statusCode).toBe(202);
    expect(resetMessage.token).toMatch(/^[\w-]{64}$/);
    expectError(await post(h.verifyEmail, { token: firstToken }), 400, 'invalid_grant');
    expect((await post(h.verifyEmail, { token: secondToken })).statusCode).toBe(204);
    expect(await me(user)).toMatchObject({ email: stored(next), email_verified: true });
    // The old address is free now: another account can verify it.
    expect((await verified(user.email!)).email).toBe(user.email);
  });

  it('lets one account verify an address: another gets 409 email_taken, until the first lets it go', async () => {
    const shared = address();
    const first = await verified(shared);
    const second = await registered(shared);
    const { token } = await ctx.app.outbox.latest(stored(shared), 'verify_email');

    const taken = await post(h.verifyEmail, { token });
    await h.deleteMe(proxyEvent({ body: { password: PASSWORD }, authorizer: first.authorizer, httpMethod: 'DELETE' }));
    const afterwards = await post(h.verifyEmail, { token });

    expectError(taken, 409, 'email_taken');
    expect(afterwards.statusCode).toBe(204);
    expect(await me(second)).toMatchObject({ email: stored(shared), email_verified: true });
  });

  it('gives one of twenty accounts racing to verify one address the address, and the others 409', async () => {
    const shared = address();
    const users = await Promise.all(Array.from({ length: 20 }, () => registered(shared)));
    const tokens = (await ctx.app.outbox.read()).filter((message) => message.to === stored(shared)).map((message) => message.token);
    expect(tokens).toHaveLength(users.length);

    const answers = await Promise.all(tokens.map((token) => post(h.verifyEmail, { token })));

    expect(answers.map((answer) => answer.statusCode).sort()).toEqual([204, ...Array(19).fill(409)]);
  });
});

describe('password reset', () => {
  it('answers the same body, and does the same DynamoDB work, for every account and none; only a verified address gets a message', async () => {
    const withAddress = await verified();
    const unverified = await registered();
    const without = await registered(null);
    const before = (await ctx.app.outbox.read()).length;
    const counter = countRequests(ctx.dynamo.doc);
    const requests: [string, object][] = [
      ['verified, by name', { username: withAddress.username }],
      ['verified, by address', { email: withAddress.email }],
      ['unverified address', { username: unverified.username }],
      ['no address', { username: without.username }],
      ['nobody', { username: uniqueUsername('nobody') }],
      ['nobody\'s address', { email: address() }],
    ];
    const work: Record<string, number>[] = [];
    const answers: HttpResponse[] = [];
    for (const [, body] of requests) {
      counter.reset();
      answers.push(await post(h.forgotPassword, body, { sourceIp: uniqueSourceIp() }));
      work.push({ ...counter.counts });
    }
    counter.remove();

    expect(answers.map((answer) => [answer.statusCode, bodyOf(answer)])).toEqual(requests.map(() => [202, FORGOT_ANSWER]));
    expect(work.every((counts) => JSON.stringify(counts) === JSON.stringify(work[0]))).toBe(true);
    const sent = (await ctx.app.outbox.read()).slice(before);
    expect(sent.map((message) => [message.kind, message.to])).toEqual([['reset_password', withAddress.email], ['reset_password', withAddress.email]]);
  });

  it('resets with the newest token only, once: every old session ends, the old password stops, the new one works', async () => {
    const user = await verified();
    const other = bodyOf(await login(user.username)) as { refresh_token: string };
    await post(h.forgotPassword, { username: user.username });
    const older = await ctx.app.outbox.latest(user.email!, 'reset_password');
    await post(h.forgotPassword, { email: user.email });
    const newer = await ctx.app.outbox.latest(user.email!, 'reset_password');

    const superseded = await post(h.resetPassword, { token: older.token, new_password: NEW_PASSWORD });
    const reset = await post(h.resetPassword, { token: newer.token, new_password: NEW_PASSWORD });
    const replayed = await post(h.resetPassword, { token: newer.token, new_password: 'yet another passphrase' });

    expectError(superseded, 400, 'invalid_grant');
    expect(reset.statusCode).toBe(204);
    expectError(replayed, 400, 'invalid_grant');
    expect(newer.link).toBe(`https://app.example.test/reset-password?token=${newer.token}`);
    expectError(await refresh(user.tokens.refresh_token), 400, 'invalid_grant');
    expectError(await refresh(other.refresh_token), 400, 'invalid_grant');
    expectError(await login(user.username, PASSWORD, undefined), 400, 'invalid_grant');
    expect((await login(user.username, NEW_PASSWORD)).statusCode).toBe(200);
  });

  it('refuses an expired token, a common new password, and a token of twenty parallel resets but one', async () => {
    const user = await verified();
    await post(h.forgotPassword, { username: user.username });
    const { token } = await ctx.app.outbox.latest(user.email!, 'reset_password');

    const common = await post(h.resetPassword, { token, new_password: 'password123' });
    const racing = await Promise.all(Array.from({ length: 20 }, (_, i) => post(h.resetPassword, { token, new_password: `${NEW_PASSWORD} ${i}` })));
    await post(h.forgotPassword, { username: user.username });
    const late = await ctx.app.outbox.latest(user.email!, 'reset_password');
    ctx.app.clock.advance(900);
    const expired = await post(h.resetPassword, { token: late.token, new_password: NEW_PASSWORD });

    expectError(common, 400, 'invalid_request');
    expect(racing.map((answer) => answer.statusCode).sort()).toEqual([204, ...Array(19).fill(400)]);
    expectError(expired, 400, 'invalid_grant');
  });

  it('throttles requests per account and source address, apart from logins', async () => {
    const user = await verified();
    const from = uniqueSourceIp();

    const answers = [];
    for (let i = 0; i <= THROTTLE.perAccountAddress; i += 1) answers.push(await post(h.forgotPassword, { username: user.username }, { sourceIp: from }));
    const loginStillOpen = await post(h.login, { username: user.username, password: PASSWORD }, { sourceIp: from });

    expect(answers.map((answer) => answer.statusCode)).toEqual([...Array(THROTTLE.perAccountAddress).fill(202), 429]);
    expect(Number(answers.at(-1)!.headers['Retry-After'])).toBeGreaterThan(0);
    expect(loginStillOpen.statusCode).toBe(200);
  });

  it.each([
    ['both', { username: 'a', email: 'a@example.com' }],
    ['neither', {}],
    ['a malformed address', { email: 'nope' }],
    ['a name that is not a string', { username: 7 }],
  ])('refuses %s with 400 invalid_request', async (_case, body) => {
    expectError(await post(h.forgotPassword, body, { sourceIp: uniqueSourceIp() }), 400, 'invalid_request');
  });
});

describe('leaving, and being stopped', () => {
  it('deletes the account with its password: tokens fail, sessions and pending tokens are gone, the name is free', async () => {
    const user = await verified();
    await post(h.forgotPassword, { username: user.username });
    const pending = await ctx.app.outbox.latest(user.email!, 'reset_password');
    const del = (password: string) => h.deleteMe(proxyEvent({ body: { password }, authorizer: user.authorizer, httpMethod: 'DELETE', sourceIp: uniqueSourceIp() }));
    const sub = (await me(user)).sub as string;

    const wrong = await del('not the password');
    const deleted = await del(PASSWORD);

    expectError(wrong, 400, 'invalid_grant');
    expect(deleted.statusCode).toBe(204);
    expect(await ctx.dynamo.read('UsersTable', { sub })).toBeUndefined();
    expect(await ctx.dynamo.scan('SessionsTable', sub)).toEqual([]);
    expectError(await refresh(user.tokens.refresh_token), 400, 'invalid_grant');
    expectError(await post(h.resetPassword, { token: pending.token, new_password: NEW_PASSWORD }), 400, 'invalid_grant');
    expectError(await h.me(proxyEvent({ authorizer: user.authorizer, httpMethod: 'GET' })), 401, 'invalid_token');
    expect((await post(h.register, { username: user.username, password: PASSWORD })).statusCode).toBe(201);
  });

  it('needs the sessions scope to delete, and throttles the password like a login', async () => {
    const user = await registered(null);
    const narrowed = bodyOf(await refresh(user.tokens.refresh_token, 'profile')) as { access_token: string };
    const from = uniqueSourceIp();
    const del = (authorizer: ReturnType<typeof authorizerFor>, password: string) =>
      h.deleteMe(proxyEvent({ body: { password }, authorizer, httpMethod: 'DELETE', sourceIp: from }));

    const unscoped = await del(authorizerFor(narrowed.access_token), PASSWORD);
    const guesses = [];
    for (let i = 0; i <= THROTTLE.perAccountAddress; i += 1) guesses.push(await del(user.authorizer, `wrong ${i}`));

    expectError(unscoped, 403, 'insufficient_scope');
    expect(guesses.map((answer) => answer.statusCode)).toEqual([...Array(THROTTLE.perAccountAddress).fill(400), 429]);
  });

  it('stops a disabled account: no login (with the right password), no refresh, no reset message; enabled, it logs in again', async () => {
    const user = await verified();
    const sub = (await me(user)).sub as string;
    const before = (await ctx.app.outbox.read()).length;

    expect(await ctx.app.users.setDisabled(sub, true)).toBe(true);
    const from = uniqueSourceIp();
    for (let i = 0; i < THROTTLE.perAccountAddress; i += 1) await post(h.login, { username: user.username, password: PASSWORD }, { sourceIp: from });
    const refused = await post(h.login, { username: user.username, password: PASSWORD }, { sourceIp: from }); // the right password never runs out of attempts
    const wrongPassword = await login(user.username, 'not the password');
    const refreshed = await refresh(user.tokens.refresh_token);
    const forgot = await post(h.forgotPassword, { username: user.username }, { sourceIp: uniqueSourceIp() });
    const changeEmail = await post(h.changeEmail, { email: address(), password: PASSWORD }, { authorizer: user.authorizer });
    const deleteMe = await h.deleteMe(proxyEvent({ body: { password: PASSWORD }, authorizer: user.authorizer, httpMethod: 'DELETE' }));
    await ctx.app.users.setDisabled(sub, false);
    const enabled = await login(user.username);

    expect(bodyOf(refused)).toMatchObject({ error: 'invalid_grant', error_description: 'This account is disabled.' });
    expectError(changeEmail, 400, 'invalid_grant');
    expectError(deleteMe, 400, 'invalid_grant');
    expect(bodyOf(wrongPassword).error_description).toBe('The username or password is incorrect.');
    expectError(refreshed, 400, 'invalid_grant');
    expect(forgot.statusCode).toBe(202);
    expect((await ctx.app.outbox.read()).length).toBe(before);
    expect(enabled.statusCode).toBe(200);
  });
});

describe('per-user scopes', () => {
  it('grants a scope beyond the defaults to one user only, and stops issuing it at the next refresh once withdrawn', async () => {
    const user = await registered(null);
    const sub = (await me(user)).sub as string;
    const notYet = await login(user.username, PASSWORD, 'profile admin');
    await ctx.app.users.grantScope(sub, 'admin');
    const granted = bodyOf(await login(user.username, PASSWORD, 'profile admin')) as { scope: string; refresh_token: string };
    const plain = bodyOf(await login(user.username)) as { scope: string };
    const stranger = await registered(null);
    const strangerAsks = await login(stranger.username, PASSWORD, 'admin');
    await ctx.app.users.revokeScope(sub, 'admin');
    const afterRevoke = bodyOf(await refresh(granted.refresh_token)) as { scope: string };
    const narrowedToNothing = await refresh(granted.refresh_token, 'admin');

    expectError(notYet, 400, 'invalid_scope');
    expect(granted.scope).toBe('profile admin');
    expectError(narrowedToNothing, 400, 'invalid_scope'); // withdrawn: nothing left to issue
    expect(plain.scope).toBe('profile sessions'); // a grant is issued only when asked for
    expectError(strangerAsks, 400, 'invalid_scope');
    expect(afterRevoke.scope).toBe('profile');
  });

  it('refuses a scope the service does not know, before counting an attempt', async () => {
    const user = await registered(null);

    expectError(await login(user.username, PASSWORD, 'root'), 400, 'invalid_scope');
    expectError(await post(h.register, { username: uniqueUsername(), password: PASSWORD, scope: 'admin' }), 400, 'invalid_scope');
  });
});
