import { randomUUID } from 'node:crypto';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { hash } from '@node-rs/argon2';
import { bodyOf, claimsOf, proxyEvent, sha256, uniqueSourceIp, uniqueUsername, withTestApp } from '../support/app';
import { countRequests } from '../support/dynalite';

const ctx = withTestApp();
const { login } = ctx.handlers;

const PASSWORD = 'correct horse battery staple';

/** Registers through the service; returns the typed name and the user's sub. */
async function registered(username = uniqueUsername('Login')): Promise<{ username: string; sub: string }> {
  const { accessToken } = await ctx.app.auth.register({ username, password: PASSWORD });
  return { username, sub: claimsOf(accessToken).sub };
}

describe('POST /auth/login', () => {
  it('answers 200 with a token response and stores the new session', async () => {
    const { username, sub } = await registered();

    const response = await login(proxyEvent({ body: { username, password: PASSWORD } }));

    expect(response.statusCode).toBe(200);
    expect(response.headers).toMatchObject({ 'Cache-Control': 'no-store', Pragma: 'no-cache' });
    const body = bodyOf(response) as Record<string, string>;
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 900, scope: 'profile sessions' });
    const claims = claimsOf(body.access_token as string);
    expect(claims.sub).toBe(sub);
    expect(await ctx.dynamo.read('SessionsTable', { id: claims.sid })).toMatchObject({ sub, tokenHash: sha256(body.refresh_token as string) });
  });

  it('finds the user whatever the case or Unicode form of the name typed', async () => {
    const { username } = await registered();
    const fullwidth = username.toUpperCase().replace(/[!-~]/g, (char) => String.fromCharCode(char.charCodeAt(0) + 0xfee0));

    const response = await login(proxyEvent({ body: { username: fullwidth, password: PASSWORD } }));

    expect(response.statusCode).toBe(200);
  });

  it('grants a narrower scope on request, and refuses an unknown one', async () => {
    const { username } = await registered();

    const narrowed = await login(proxyEvent({ body: { username, password: PASSWORD, scope: 'profile' } }));
    const widened = await login(proxyEvent({ body: { username, password: PASSWORD, scope: 'profile admin' } }));

    expect(bodyOf(narrowed).scope).toBe('profile');
    expect(claimsOf(bodyOf(narrowed).access_token as string).scope).toBe('profile');
    expect(widened.statusCode).toBe(400);
    expect(bodyOf(widened)).toMatchObject({ code: 400, error: 'invalid_scope' });
  });

  it('answers a wrong password and an unknown user identically, and starts no session', async () => {
    const { username, sub } = await registered();
    const sessionsBefore = await ctx.dynamo.scan('SessionsTable', sub);

    const sourceIp = uniqueSourceIp(); // failures count per address; keep other tests' logins unthrottled

    const wrongPassword = await login(proxyEvent({ body: { username, password: 'not the password' }, sourceIp }));
    const unknownUser = await login(proxyEvent({ body: { username: uniqueUsername('nobody'), password: PASSWORD }, sourceIp }));
    const impossibleUser = await login(proxyEvent({ body: { username: 'no such user!', password: PASSWORD }, sourceIp }));

    expect(wrongPassword.statusCode).toBe(400);
    expect(bodyOf(wrongPassword)).toEqual({ code: 400, error: 'invalid_grant', error_description: expect.any(String) });
    expect(unknownUser).toEqual(wrongPassword);
    expect(impossibleUser).toEqual(wrongPassword);
    expect(await ctx.dynamo.scan('SessionsTable', sub)).toEqual(sessionsBefore);
  });

  it('refuses a body without a password with invalid_request', async () => {
    const { username } = await registered();

    const response = await login(proxyEvent({ body: { username } }));

    expect(response.statusCode).toBe(400);
    expect(bodyOf(response)).toMatchObject({ code: 400, error: 'invalid_request' });
  });

  it('rehashes a password stored with old argon2 parameters', async () => {
    const username = uniqueUsername('legacy');
    const oldHash = await hash(PASSWORD, { algorithm: 2, memoryCost: 4096, timeCost: 3, parallelism: 1 });
    const sub = randomUUID();
    const createdAt = ctx.app.clock.seconds();
    await ctx.dynamo.doc.send(new PutCommand({ TableName: ctx.dynamo.tables.UsernamesTable, Item: { username: username.toLowerCase(), sub, createdAt } }));
    await ctx.dynamo.doc.send(new PutCommand({
      TableName: ctx.dynamo.tables.UsersTable,
      Item: { sub, username: username.toLowerCase(), displayName: username, passwordHash: oldHash, createdAt, credentialVersion: 1 },
    }));

    const response = await login(proxyEvent({ body: { username, password: PASSWORD } }));

    expect(response.statusCode).toBe(200);
    const user = await ctx.dynamo.userNamed(username);
    expect(user?.passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(user?.passwordHash).not.toBe(oldHash);
    expect((await login(proxyEvent({ body: { username, password: PASSWORD } }))).statusCode).toBe(200);
  });

  it('reserves the attempt and reads the name, reads the user, then stores the session, re-reads the user and gives the attempt back', async () => {
    const { username } = await registered();
    const counter = countRequests(ctx.dynamo.doc);

    const response = await login(proxyEvent({ body: { username, password: PASSWORD }, sourceIp: uniqueSourceIp() }));

    counter.remove();
    expect(response.statusCode).toBe(200);
    // Round 1: two reservations (UpdateItem) and the name's claim (GetItem); round 2: the user (GetItem);
    // round 3: the session (PutItem), the oldest sessions (Query), the user again (GetItem), the attempts back.
    expect(counter.counts).toEqual({ UpdateItem: 3, GetItem: 3, PutItem: 1, Query: 1, DeleteItem: 1 });
  });
});
