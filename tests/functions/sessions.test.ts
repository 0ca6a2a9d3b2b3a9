import type { IssuedTokens } from '../../lib/auth';
import type { AuthorizerContext } from '../../lib/caller';
import { authorizerFor, bodyOf, claimsOf, proxyEvent, uniqueUsername, withTestApp } from '../support/app';
import { injectFault, sdkErrors } from '../support/dynalite';

const IDLE = 1_209_600;

const ctx = withTestApp();
const { list, remove, refresh } = ctx.handlers;

const PASSWORD = 'correct horse battery staple';
/** Sessions started through the service itself, not over HTTP: no User-Agent, no address. */
const unknownDevice = { clientId: 'default', device: null, lastSeenFrom: null };
const iso = (seconds: number) => new Date(seconds * 1000).toISOString();
const sidOf = (tokens: IssuedTokens) => claimsOf(tokens.accessToken).sid;
const listEvent = (authorizer: AuthorizerContext) => proxyEvent({ httpMethod: 'GET', path: '/sessions', rawBody: null, authorizer });
const deleteEvent = (authorizer: AuthorizerContext, id: string | undefined) =>
  proxyEvent({ httpMethod: 'DELETE', path: `/sessions/${id}`, rawBody: null, authorizer, pathParameters: id === undefined ? null : { id } });
const refreshWith = (refreshToken: string) => refresh(proxyEvent({ body: { refresh_token: refreshToken } }));

describe('GET /sessions', () => {
  it('lists the caller’s live sessions, newest first, with ISO timestamps and current only for the caller’s', async () => {
    const username = uniqueUsername();
    const firstAt = ctx.app.clock.seconds();
    const first = await ctx.app.auth.register({ username, password: PASSWORD });
    ctx.app.clock.advance(60);
    const secondAt = ctx.app.clock.seconds();
    const second = await ctx.app.auth.login({ username, password: PASSWORD });
    ctx.app.clock.advance(60);
    await ctx.app.auth.refresh(first.refreshToken);
    const refreshedAt = ctx.app.clock.seconds();
    const stranger = await ctx.app.auth.register({ username: uniqueUsername(), password: PASSWORD });

    const response = await list(listEvent(authorizerFor(second.accessToken)));

    expect(response.statusCode).toBe(200);
    expect(response.headers).toMatchObject({ 'Cache-Control': 'no-store' });
    expect(bodyOf(response)).toEqual({
      sessions: [
        { ...unknownDevice, id: sidOf(second), createdAt: iso(secondAt), lastUsedAt: iso(secondAt), expiresAt: iso(secondAt + IDLE), current: true },
        { ...unknownDevice, id: sidOf(first), createdAt: iso(firstAt), lastUsedAt: iso(refreshedAt), expiresAt: iso(refreshedAt + IDLE), current: false },
      ],
    });
    expect(JSON.stringify(bodyOf(response))).not.toContain(sidOf(stranger));
  });

  it('describes each session by its client, the browser and OS of its login, and the coarse network of its last refresh', async () => {
    const { login } = ctx.handlers;
    const username = uniqueUsername();
    await ctx.app.auth.register({ username, password: PASSWORD });
    const chrome = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
    const iphone = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';
    const signIn = async (userAgent: string, sourceIp: string, clientId?: string) => {
      const event = proxyEvent({ body: { username, password: PASSWORD, ...(clientId ? { client_id: clientId } : {}) }, sourceIp });
      event.headers['User-Agent'] = userAgent;
      ctx.app.clock.advance(1); // one after the other, for the order of the list
      return bodyOf(await login(event));
    };
    const laptop = await signIn(chrome, '203.0.113.77');
    const phone = await signIn(iphone, '2001:db8:abcd:12::1', 'ios-app');
    // The laptop refreshes from elsewhere: its last network moves, its device stays the login's.
    const moved = await refresh(proxyEvent({ body: { refresh_token: laptop.refresh_token }, sourceIp: '198.51.100.200' }));
    expect(moved.statusCode).toBe(200);

    const response = await list(listEvent(authorizerFor(phone.access_token as string)));

    const shown = (bodyOf(response).sessions as Record<string, unknown>[]).map(({ clientId, device, lastSeenFrom }) => ({ clientId, device, lastSeenFrom }));
    expect(shown).toEqual([
      { clientId: 'ios-app', device: 'Safari on iOS', lastSeenFrom: '2001:db8:abcd::/48' },
      { clientId: 'default', device: 'Chrome on macOS', lastSeenFrom: '198.51.100.0/24' },
      { clientId: 'default', device: null, lastSeenFrom: null }, // registered through the service, not over HTTP
    ]);
    // The raw User-Agent and the full address are nowhere in the table.
    const stored = JSON.stringify(await ctx.dynamo.scan('SessionsTable'));
    for (const raw of [chrome, iphone, '203.0.113.77', '198.51.100.200', '2001:db8:abcd:12::1']) expect(stored).not.toContain(raw);
  });

  it('still lists the sessions, without device and network, when reading those details fails', async () => {
    const username = uniqueUsername();
    await ctx.app.auth.register({ username, password: PASSWORD });
    const event = proxyEvent({ body: { username, password: PASSWORD }, sourceIp: '203.0.113.9' });
    event.headers['User-Agent'] = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0';
    ctx.app.clock.advance(1);
    const laptop = bodyOf(await ctx.handlers.login(event));
    const newest = async () => (bodyOf(await list(listEvent(authorizerFor(laptop.access_token as string)))).sessions as Record<string, unknown>[])[0];
    const fault = injectFault(ctx.dynamo.doc, { operation: 'BatchGetItem', table: ctx.dynamo.tables.SessionsTable, error: sdkErrors.throttling });

    const withoutDetails = await newest();
    fault.remove();
    const withDetails = await newest();

    expect(withoutDetails).toMatchObject({ id: claimsOf(laptop.access_token as string).sid, device: null, lastSeenFrom: null, current: true });
    expect(withDetails).toMatchObject({ id: claimsOf(laptop.access_token as string).sid, device: 'Firefox on Windows', lastSeenFrom: '203.0.113.0/24' });
  });

  it('leaves out expired sessions', async () => {
    const username = uniqueUsername();
    const expired = await ctx.app.auth.register({ username, password: PASSWORD });
    ctx.app.clock.advance(IDLE);
    const live = await ctx.app.auth.login({ username, password: PASSWORD });

    const response = await list(listEvent(authorizerFor(live.accessToken)));

    const ids = (bodyOf(response).sessions as { id: string }[]).map((session) => session.id);
    expect(ids).toEqual([sidOf(live)]);
    expect(ids).not.toContain(sidOf(expired));
  });

  it('answers 403 insufficient_scope with scope="sessions" to a token without that scope', async () => {
    const { accessToken } = await ctx.app.auth.register({ username: uniqueUsername(), password: PASSWORD, scope: 'profile' });

    const response = await list(listEvent(authorizerFor(accessToken)));

    expect(response.statusCode).toBe(403);
    expect(bodyOf(response)).toMatchObject({ code: 403, error: 'insufficient_scope' });
    expect(response.headers['WWW-Authenticate']).toContain('scope="sessions"');
  });
});

describe('DELETE /sessions/{id}', () => {
  it('ends one of the caller’s own sessions: 204, and its refresh token stops working', async () => {
    const username = uniqueUsername();
    const caller = await ctx.app.auth.register({ username, password: PASSWORD });
    const other = await ctx.app.auth.login({ username, password: PASSWORD });

    const response = await remove(deleteEvent(authorizerFor(caller.accessToken), sidOf(other)));

    expect(response.statusCode).toBe(204);
    expect(await ctx.dynamo.read('SessionsTable', { id: sidOf(other) })).toBeUndefined();
    const refused = await refreshWith(other.refreshToken);
    expect(bodyOf(refused)).toMatchObject({ code: 400, error: 'invalid_grant' });
    expect((await refreshWith(caller.refreshToken)).statusCode).toBe(200);
  });

  it('answers 404 not_found for another user’s session and leaves it untouched', async () => {
    const mallory = await ctx.app.auth.register({ username: uniqueUsername(), password: PASSWORD });
    const victim = await ctx.app.auth.register({ username: uniqueUsername(), password: PASSWORD });
    const before = await ctx.dynamo.read('SessionsTable', { id: sidOf(victim) });

    const response = await remove(deleteEvent(authorizerFor(mallory.accessToken), sidOf(victim)));

    expect(response.statusCode).toBe(404);
    expect(bodyOf(response)).toEqual({ code: 404, error: 'not_found', error_description: expect.any(String) });
    expect(await ctx.dynamo.read('SessionsTable', { id: sidOf(victim) })).toEqual(before);
    expect((await refreshWith(victim.refreshToken)).statusCode).toBe(200);
  });

  it.each([
    ['a malformed id', 'not a session id'],
    ['a path traversal', '../../users'],
    ['an id of no session', 'AAAAAAAAAAAAAAAAAAAAAA'],
    ['no id', undefined],
  ])('answers 404 not_found for %s', async (_case, id) => {
    const caller = await ctx.app.auth.register({ username: uniqueUsername(), password: PASSWORD });

    const response = await remove(deleteEvent(authorizerFor(caller.accessToken), id));

    expect(response.statusCode).toBe(404);
    expect(bodyOf(response)).toMatchObject({ code: 404, error: 'not_found' });
    expect(await ctx.dynamo.read('SessionsTable', { id: sidOf(caller) })).toBeDefined();
  });

  it('answers 403 insufficient_scope to a token without the sessions scope', async () => {
    const username = uniqueUsername();
    const caller = await ctx.app.auth.register({ username, password: PASSWORD, scope: 'profile' });
    const other = await ctx.app.auth.login({ username, password: PASSWORD });

    const response = await remove(deleteEvent(authorizerFor(caller.accessToken), sidOf(other)));

    expect(response.statusCode).toBe(403);
    expect(response.headers['WWW-Authenticate']).toContain('scope="sessions"');
    expect(await ctx.dynamo.read('SessionsTable', { id: sidOf(other) })).toBeDefined();
  });
  it('answers 204 when a lost DeleteItem response is retried by the SDK itself', async () => {
    const username = uniqueUsername();
    const caller = await ctx.app.auth.register({ username, password: PASSWORD });
    const other = await ctx.app.auth.login({ username, password: PASSWORD });
    const fault = injectFault(ctx.dynamo.doc, { operation: 'DeleteItem', error: sdkErrors.timeout, when: 'after', times: 1, perAttempt: true });

    const response = await remove(deleteEvent(authorizerFor(caller.accessToken), sidOf(other)));

    expect(fault.hits).toBe(1);
    expect(response.statusCode).toBe(204);
    expect(await ctx.dynamo.read('SessionsTable', { id: sidOf(other) })).toBeUndefined();
  });
});
