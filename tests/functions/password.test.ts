import { BatchWriteCommand, DeleteCommand } from '@aws-sdk/lib-dynamodb';
import type { IssuedTokens } from '../../lib/auth';
import { authorizerFor, bodyOf, claimsOf, proxyEvent, uniqueSourceIp, uniqueUsername, withTestApp } from '../support/app';

const ctx = withTestApp();
const { password: changePassword, login, refresh } = ctx.handlers;

const OLD = 'correct horse battery staple';
const NEW = 'a brand new passphrase';

/** A user with three sessions; the first is the caller's. */
async function userWithThreeSessions() {
  const username = uniqueUsername();
  const current = await ctx.app.auth.register({ username, password: OLD });
  const others = [await ctx.app.auth.login({ username, password: OLD }), await ctx.app.auth.login({ username, password: OLD })];
  return { username, current, others, sub: claimsOf(current.accessToken).sub };
}

const passwordEvent = (caller: IssuedTokens, body: unknown) => proxyEvent({ body, authorizer: authorizerFor(caller.accessToken) });
const readSession = (tokens: IssuedTokens) => ctx.dynamo.read('SessionsTable', { id: claimsOf(tokens.accessToken).sid });
const refreshWith = (refreshToken: string) => refresh(proxyEvent({ body: { refresh_token: refreshToken } }));
const loginWith = (username: string, password: string) => login(proxyEvent({ body: { username, password }, sourceIp: uniqueSourceIp() }));

describe('POST /auth/password', () => {
  it('refuses a wrong current password with invalid_grant and changes nothing', async () => {
    const { username, current, sub } = await userWithThreeSessions();
    const before = await ctx.dynamo.userNamed(username);

    const response = await changePassword(passwordEvent(current, { password: 'not the password', new_password: NEW }));

    expect(response.statusCode).toBe(400);
    expect(bodyOf(response)).toEqual({ code: 400, error: 'invalid_grant', error_description: expect.any(String) });
    expect(await ctx.dynamo.userNamed(username)).toEqual(before);
    expect(await ctx.dynamo.scan('SessionsTable', sub)).toHaveLength(3);
  });

  it('changes the password: 204, the old one stops working and the new one logs in', async () => {
    const { username, current } = await userWithThreeSessions();
    const before = await ctx.dynamo.userNamed(username);

    const response = await changePassword(passwordEvent(current, { password: OLD, new_password: NEW }));

    expect(response.statusCode).toBe(204);
    const after = await ctx.dynamo.userNamed(username);
    expect(after?.passwordHash).not.toBe(before?.passwordHash);
    expect(after?.passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    const withOld = await loginWith(username, OLD);
    expect(bodyOf(withOld)).toMatchObject({ code: 400, error: 'invalid_grant' });
    expect((await loginWith(username, NEW)).statusCode).toBe(200);
  });

  it('revokes every other session of the user, keeps the current one refreshing, and no one else’s', async () => {
    const { current, others } = await userWithThreeSessions();
    const bystander = await ctx.app.auth.register({ username: uniqueUsername(), password: OLD });

    await changePassword(passwordEvent(current, { password: OLD, new_password: NEW }));

    for (const other of others) {
      expect(await readSession(other)).toBeUndefined();
      expect(bodyOf(await refreshWith(other.refreshToken))).toMatchObject({ error: 'invalid_grant' });
    }
    expect((await refreshWith(current.refreshToken)).statusCode).toBe(200);
    expect(await readSession(bystander)).toBeDefined();
  });

  it.each([
    ['a short new password', { password: OLD, new_password: 'short' }],
    ['no new password', { password: OLD }],
    ['no current password', { new_password: NEW }],
    ['a numeric new password', { password: OLD, new_password: 12345678 }],
  ])('refuses %s with invalid_request and changes nothing', async (_case, body) => {
    const { username, current, sub } = await userWithThreeSessions();
    const before = await ctx.dynamo.userNamed(username);

    const response = await changePassword(passwordEvent(current, body));

    expect(response.statusCode).toBe(400);
    expect(bodyOf(response)).toMatchObject({ code: 400, error: 'invalid_request' });
    expect(await ctx.dynamo.userNamed(username)).toEqual(before);
    expect(await ctx.dynamo.scan('SessionsTable', sub)).toHaveLength(3);
  });

  it('answers 401 invalid_token with a WWW-Authenticate challenge when the token’s user no longer exists', async () => {
    const { username, current } = await userWithThreeSessions();
    await ctx.dynamo.doc.send(new DeleteCommand({ TableName: ctx.dynamo.tables.UsersTable, Key: { sub: (await ctx.dynamo.userNamed(username))!.sub } }));

    const response = await changePassword(passwordEvent(current, { password: OLD, new_password: NEW }));

    expect(response.statusCode).toBe(401);
    expect(bodyOf(response)).toMatchObject({ code: 401, error: 'invalid_token' });
    expect(response.headers['WWW-Authenticate']).toMatch(/^Bearer realm="[^"]+", error="invalid_token"/);
  });

  it('needs the sessions scope: a token narrowed to profile gets 403 insufficient_scope and changes nothing', async () => {
    const { username, current } = await userWithThreeSessions();
    const before = await ctx.dynamo.userNamed(username);

    const response = await changePassword(proxyEvent({ body: { password: OLD, new_password: NEW }, authorizer: { ...authorizerFor(current.accessToken), scope: 'profile' } }));

    expect(response.statusCode).toBe(403);
    expect(bodyOf(response)).toMatchObject({ code: 403, error: 'insufficient_scope' });
    expect(await ctx.dynamo.userNamed(username)).toEqual(before);
  });

  it('refuses a common password as the new one (NIST SP 800-63B) and changes nothing', async () => {
    const { username, current } = await userWithThreeSessions();
    const before = await ctx.dynamo.userNamed(username);

    const response = await changePassword(passwordEvent(current, { password: OLD, new_password: 'password123' }));

    expect(response.statusCode).toBe(400);
    expect(bodyOf(response)).toMatchObject({ error: 'invalid_request', error_description: expect.stringContaining('common') });
    expect(await ctx.dynamo.userNamed(username)).toEqual(before);
  });
});

describe('POST /auth/password racing the sessions it must end', () => {
  it('ends every session whose login checked the old password, including twenty logins that ran alongside the change', async () => {
    const { username, current } = await userWithThreeSessions();

    const [changed, ...logins] = await Promise.all([
      changePassword(passwordEvent(current, { password: OLD, new_password: NEW })),
      ...Array.from({ length: 20 }, () => loginWith(username, OLD)),
    ]);
    const refreshTokens = logins.filter((login) => login.statusCode === 200).map((login) => bodyOf(login).refresh_token as string);
    const refreshes = await Promise.all(refreshTokens.map(refreshWith));
    const own = await refreshWith(current.refreshToken);

    expect(changed.statusCode).toBe(204);
    for (const login of logins) expect([200, 400]).toContain(login.statusCode);
    expect(refreshTokens.length).toBeGreaterThan(0); // some logins did check the old password and got tokens
    expect(refreshes.map((response) => bodyOf(response).error)).toEqual(refreshTokens.map(() => 'invalid_grant'));
    expect(own.statusCode).toBe(200); // the caller's own session goes on
  });

  it('ends 3,000 sessions of one user at once, answers 204, and deletes what its budget allows', async () => {
    const { current, sub } = await userWithThreeSessions();
    const { session: template } = await ctx.app.sessions.start({ sub, clientId: 'default', scopes: ['profile'], credentialVersion: 1, now: ctx.app.clock.now() });
    const ids = Array.from({ length: 3000 }, (_, i) => `bulk-${i}-${template.id}`);
    for (let i = 0; i < ids.length; i += 25) {
      await ctx.dynamo.doc.send(new BatchWriteCommand({
        RequestItems: { [ctx.dynamo.tables.SessionsTable]: ids.slice(i, i + 25).map((id) => ({ PutRequest: { Item: { ...template, id } } })) },
      }));
    }

    const response = await changePassword(passwordEvent(current, { password: OLD, new_password: NEW }));
    const listed = await ctx.app.auth.listSessions(sub);

    expect(response.statusCode).toBe(204);
    expect(listed.map((session) => session.id)).toEqual([claimsOf(current.accessToken).sid]);
    expect((await ctx.dynamo.scan('SessionsTable', sub)).length).toBeLessThanOrEqual(3004 - 1000);
  }, 60_000);
});
