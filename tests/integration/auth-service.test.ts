import { decodeProtectedHeader } from 'jose';
import { claimsOf, createTestApp, uniqueSourceIp, sha256, uniqueUsername, UUID, withTestApp } from '../support/app';

const GRACE = 30;
const PASSWORD = 'correct horse battery staple';

const ctx = withTestApp({ REFRESH_TOKEN_REUSE_GRACE: String(GRACE) });

const readSession = (sid: string) => ctx.dynamo.read('SessionsTable', { id: sid });

describe('register and login', () => {
  it('issue an RFC 9068 access token with exactly the contract’s claims, verifiable by the token service', async () => {
    const issued = await ctx.app.auth.register({ username: uniqueUsername(), password: PASSWORD });

    const claims = await ctx.app.tokens.verify(issued.accessToken);

    expect(decodeProtectedHeader(issued.accessToken)).toEqual({ alg: 'ES256', typ: 'at+jwt', kid: ctx.app.keys.signing.kid });
    expect(Object.keys(claimsOf(issued.accessToken)).sort()).toEqual(['aud', 'client_id', 'exp', 'iat', 'iss', 'jti', 'scope', 'sid', 'sub']);
    expect(claims).toMatchObject({ sub: expect.stringMatching(UUID), client_id: 'default', scope: 'profile sessions' });
    expect(claims.exp).toBe(ctx.app.clock.seconds() + 900);
    expect(await readSession(claims.sid)).toMatchObject({ sub: claims.sub, clientId: 'default', tokenHash: sha256(issued.refreshToken) });
  });

  it('give the same answer to a wrong password and an unknown user', async () => {
    const username = uniqueUsername();
    await ctx.app.auth.register({ username, password: PASSWORD });

    const wrongPassword = ctx.app.auth.login({ username, password: 'not the password' });
    const unknownUser = ctx.app.auth.login({ username: uniqueUsername(), password: PASSWORD });

    const [wrong, unknown] = await Promise.allSettled([wrongPassword, unknownUser]);
    expect(wrong).toEqual(unknown);
    expect(wrong).toMatchObject({ status: 'rejected', reason: { code: 'invalid_grant', status: 400 } });
  });

  it('record the client a session was started for', async () => {
    const username = uniqueUsername();
    await ctx.app.auth.register({ username, password: PASSWORD });

    const issued = await ctx.app.auth.login({ username, password: PASSWORD, clientId: 'app-a' });

    expect(claimsOf(issued.accessToken).client_id).toBe('app-a');
    expect(await readSession(claimsOf(issued.accessToken).sid)).toMatchObject({ clientId: 'app-a' });
  });
});

describe('refresh', () => {
  async function session(clientId = 'app-a') {
    const username = uniqueUsername();
    await ctx.app.auth.register({ username, password: PASSWORD });
    const issued = await ctx.app.auth.login({ username, password: PASSWORD, clientId });
    return { refreshToken: issued.refreshToken, sid: claimsOf(issued.accessToken).sid };
  }

  it('refuses another client with invalid_grant and does not consume the token', async () => {
    const { refreshToken, sid } = await session('app-a');
    const before = await readSession(sid);

    const refused = ctx.app.auth.refresh(refreshToken, undefined, { clientId: 'app-b' });

    await expect(refused).rejects.toMatchObject({ code: 'invalid_grant', status: 400 });
    expect(await readSession(sid)).toEqual(before);
    await expect(ctx.app.auth.refresh(refreshToken, undefined, { clientId: 'app-a' })).resolves.toMatchObject({ refreshToken: expect.any(String) });
  });

  it('refuses another client’s retry inside the grace window without revoking the session', async () => {
    const { refreshToken, sid } = await session('app-a');
    const rotated = await ctx.app.auth.refresh(refreshToken, undefined, { clientId: 'app-a' });

    const refused = ctx.app.auth.refresh(refreshToken, undefined, { clientId: 'app-b' });

    await expect(refused).rejects.toMatchObject({ code: 'invalid_grant' });
    expect(await readSession(sid)).toMatchObject({ tokenHash: sha256(rotated.refreshToken) });
    await expect(ctx.app.auth.refresh(refreshToken, undefined, { clientId: 'app-a' })).resolves.toMatchObject({ refreshToken: rotated.refreshToken });
  });

  it('stops granting a scope removed from DEFAULT_SCOPES at the next refresh of a session that had it', async () => {
    const { refreshToken, sid } = await session();
    const redeployed = await createTestApp(ctx.dynamo, { DEFAULT_SCOPES: 'profile' }, ctx.app.clock);

    const refreshed = await redeployed.auth.refresh(refreshToken, undefined, { clientId: 'app-a' });
    const asking = redeployed.auth.refresh(refreshed.refreshToken, 'sessions', { clientId: 'app-a' });

    expect(refreshed.scope).toBe('profile');
    expect(claimsOf(refreshed.accessToken).scope).toBe('profile');
    await expect(asking).rejects.toMatchObject({ code: 'invalid_scope' });
    expect((await readSession(sid))?.scopes).toEqual(new Set(['profile', 'sessions']));
  });

  it('narrows one access token’s scope without narrowing the session', async () => {
    const { refreshToken, sid } = await session();

    const narrowed = await ctx.app.auth.refresh(refreshToken, 'sessions', { clientId: 'app-a' });
    const full = await ctx.app.auth.refresh(narrowed.refreshToken, undefined, { clientId: 'app-a' });

    expect(narrowed.scope).toBe('sessions');
    expect(claimsOf(narrowed.accessToken).scope).toBe('sessions');
    expect(full.scope).toBe('profile sessions');
    expect((await readSession(sid))?.scopes).toEqual(new Set(['profile', 'sessions']));
  });

  it.each([
    ['an empty string', () => ''],
    ['100 KB of base64url', () => 'A'.repeat(100 * 1024)],
    ['a JWT', () => 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln'],
  ])('refuses %s as a refresh token with invalid_grant', async (_case, token) => {
    const { sid } = await session();
    const before = await readSession(sid);

    const refused = ctx.app.auth.refresh(token());

    await expect(refused).rejects.toMatchObject({ code: 'invalid_grant', status: 400 });
    expect(await readSession(sid)).toEqual(before);
  });

  it('refuses this service’s own access token as a refresh token', async () => {
    const issued = await ctx.app.auth.register({ username: uniqueUsername(), password: PASSWORD });

    const refused = ctx.app.auth.refresh(issued.accessToken);

    await expect(refused).rejects.toMatchObject({ code: 'invalid_grant', status: 400 });
  });
});

describe('account', () => {
  it('reports the profile in the display form typed at sign-up', async () => {
    const typed = uniqueUsername('Zoë');
    const issued = await ctx.app.auth.register({ username: typed, password: PASSWORD });

    const profile = await ctx.app.auth.profile(claimsOf(issued.accessToken).sub);

    expect(profile).toEqual({ sub: claimsOf(issued.accessToken).sub, username: typed, email: null, email_verified: false });
  });

  it('ends every session of one user on logoutAll, and nobody else’s', async () => {
    const username = uniqueUsername();
    const first = await ctx.app.auth.register({ username, password: PASSWORD });
    await ctx.app.auth.login({ username, password: PASSWORD });
    const other = await ctx.app.auth.register({ username: uniqueUsername(), password: PASSWORD });

    await ctx.app.auth.logoutAll(claimsOf(first.accessToken).sub);

    expect(await ctx.dynamo.scan('SessionsTable', claimsOf(first.accessToken).sub)).toEqual([]);
    expect(await readSession(claimsOf(other.accessToken).sid)).toBeDefined();
  });

  it('keeps the caller’s session and ends the others on a password change', async () => {
    const username = uniqueUsername();
    const current = await ctx.app.auth.register({ username, password: PASSWORD });
    const other = await ctx.app.auth.login({ username, password: PASSWORD });
    const { sub, sid } = claimsOf(current.accessToken);

    await ctx.app.auth.changePassword({ sub, sid, sourceIp: uniqueSourceIp() }, PASSWORD, 'another good passphrase');

    expect(await readSession(sid)).toMatchObject({ credentialVersion: 2 });
    expect(await readSession(claimsOf(other.accessToken).sid)).toBeUndefined();
    await expect(ctx.app.auth.refresh(current.refreshToken)).resolves.toMatchObject({ scope: 'profile sessions' });
    await expect(ctx.app.auth.refresh(other.refreshToken)).rejects.toMatchObject({ code: 'invalid_grant' });
    await expect(ctx.app.auth.login({ username, password: PASSWORD })).rejects.toMatchObject({ code: 'invalid_grant' });
    await expect(ctx.app.auth.login({ username, password: 'another good passphrase' })).resolves.toBeDefined();
  });
});
