/**
 * `npm run admin -- scope …` and `sessions …`, each command a process of its own against a test dynalite,
 * on users and sessions made and checked through the real service (login, refresh).
 */
import { claimsOf, createClock, uniqueSourceIp, withTestApp } from '../support/app';
import { adminOn, registerUser, runAdminHere, tableEnv } from './run-admin';

const PASSWORD = 'correct horse battery staple';
const SCOPES = 'profile sessions admin';

// The CLI reads the wall clock: the service's clock starts there too, so its sessions are live for both.
const context = withTestApp({ SCOPES }, createClock(Date.now()));
let admin: ReturnType<typeof adminOn>;
beforeAll(() => {
  admin = adminOn(context.dynamo, { SCOPES });
});

const registered = () => registerUser(context.app, PASSWORD);
const login = (username: string, scope?: string) => context.app.auth.login({ username, password: PASSWORD, scope, sourceIp: uniqueSourceIp() });
const itemOf = (sub: string) => context.dynamo.read('UsersTable', { sub });

describe('scope grant and revoke', () => {
  it('grants a scope of SCOPES, which a login through the service then gets when it asks for it', async () => {
    const { username, sub } = await registered();
    await expect(login(username, 'profile admin')).rejects.toMatchObject({ code: 'invalid_scope' });

    const result = await admin(['scope', 'grant', username, 'admin']);

    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toContain(`Granted admin to ${username}: issued when a login asks for it.`);
    expect(result.stdout).toMatch(/^granted scopes +admin$/m);
    expect((await itemOf(sub))?.scopes).toEqual(new Set(['admin']));
    await expect(login(username, 'profile admin')).resolves.toMatchObject({ scope: 'profile admin' });
    await expect(login(username)).resolves.toMatchObject({ scope: 'profile sessions' });
  });

  it('refuses a scope that is not in SCOPES, as this command reads SCOPES, and grants nothing', async () => {
    const { username, sub } = await registered();

    const [unknown, notConfigured] = await Promise.all([
      admin(['scope', 'grant', username, 'root', '--json']),
      // Without SCOPES, this command knows the defaults only, as the service would.
      runAdminHere(['scope', 'grant', username, 'admin', '--endpoint', context.dynamo.endpoint], { env: tableEnv(context.dynamo) }),
    ]);

    expect(unknown).toMatchObject({ code: 1, stdout: '' });
    expect(unknown.stderr).toContain('"root" is not in SCOPES (profile sessions admin openid email)');
    expect(notConfigured).toMatchObject({ code: 1, stdout: '' });
    expect(notConfigured.stderr).toContain('"admin" is not in SCOPES (profile sessions openid email)');
    expect((await itemOf(sub))?.scopes).toBeUndefined();
  });

  it('revokes a grant (--json): the next refresh no longer issues it', async () => {
    const { username, sub } = await registered();
    await context.app.users.grantScope(sub, 'admin');
    const session = await login(username, 'profile admin');

    const result = await admin(['scope', 'revoke', username, 'admin', '--json']);

    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(result.stdout)).toMatchObject({ sub, username, scopes: [], changed: true });
    expect((await itemOf(sub))?.scopes).toBeUndefined();
    await expect(context.app.auth.refresh(session.refreshToken)).resolves.toMatchObject({ scope: 'profile' });
  });
});

describe('sessions', () => {
  it('lists the live sessions, newest first, as a table and as JSON; an ended one is not there', async () => {
    const { username, sub, tokens } = await registered();
    // The service's clock stands still unless moved: a second apart, the sessions have an order.
    context.app.clock.advance(1);
    const second = await login(username);
    context.app.clock.advance(1);
    const third = await login(username);
    await context.app.sessions.revoke(claimsOf(third.accessToken).sid);
    const [first, newest] = [claimsOf(tokens.accessToken).sid, claimsOf(second.accessToken).sid];

    const [table, json] = await Promise.all([admin(['sessions', 'list', username]), admin(['sessions', 'list', username, '--json'])]);

    expect(table).toMatchObject({ code: 0, stderr: '' });
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID +CLIENT +DEVICE +CREATED +LAST USED +FROM +EXPIRES$/);
    expect(lines.slice(1).map((line) => line.split(/ +/).slice(0, 2))).toEqual([[newest, 'default'], [first, 'default']]);
    expect(json).toMatchObject({ code: 0, stderr: '' });
    const listed = JSON.parse(json.stdout) as { sub: string; username: string; sessions: { id: string; expiresAt: string }[] };
    expect(listed).toMatchObject({ sub, username });
    expect(listed.sessions.map((session) => session.id)).toEqual([newest, first]);
    // Logged in with an address and no User-Agent: the network is shown, coarsely, and no device.
    expect(listed.sessions[0]).toMatchObject({ clientId: 'default', device: null, lastSeenFrom: '198.51.100.0/24' });
    expect(Date.parse(listed.sessions[0]!.expiresAt)).toBeGreaterThan(Date.now());
  });

  it('ends one session (--json): its refresh token stops, the other goes on; it ends no one else\'s', async () => {
    const { username, tokens } = await registered();
    const other = await login(username);
    const stranger = await registered();
    const [ended, strangers] = [claimsOf(tokens.accessToken).sid, claimsOf(stranger.tokens.accessToken).sid];

    const [result, notTheirs] = await Promise.all([
      admin(['sessions', 'end', username, ended, '--json']),
      admin(['sessions', 'end', username, strangers]),
    ]);

    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(result.stdout)).toMatchObject({ username, sessionId: ended, ended: true });
    await expect(context.app.auth.refresh(tokens.refreshToken)).rejects.toMatchObject({ code: 'invalid_grant' });
    await expect(context.app.auth.refresh(other.refreshToken)).resolves.toMatchObject({ scope: 'profile sessions' });
    expect(notTheirs).toMatchObject({ code: 1, stdout: '' });
    expect(notTheirs.stderr).toContain(`${username} has no session "${strangers}".`);
    await expect(context.app.auth.refresh(stranger.tokens.refreshToken)).resolves.toMatchObject({ scope: 'profile sessions' });
  });

  it('refuses end-all without --yes when stdin is not a terminal, and ends nothing', async () => {
    const { username, sub, tokens } = await registered();

    const result = await admin(['sessions', 'end-all', username]);

    expect(result).toMatchObject({ code: 1, stdout: '' });
    expect(result.stderr).toContain(`sessions end-all would end every session of ${username} (sub ${sub}): 1 live session.`);
    await expect(context.app.auth.refresh(tokens.refreshToken)).resolves.toMatchObject({ scope: 'profile sessions' });
  });

  it('ends every session with --yes, at once: no refresh token of the user refreshes', async () => {
    const { username, sub, tokens } = await registered();
    const other = await login(username);

    const result = await admin(['sessions', 'end-all', username, '--yes']);

    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toBe(`Ended every session of ${username} (2 live sessions).\n`);
    expect(await itemOf(sub)).toMatchObject({ credentialVersion: 2 });
    await expect(context.app.auth.refresh(tokens.refreshToken)).rejects.toMatchObject({ code: 'invalid_grant' });
    await expect(context.app.auth.refresh(other.refreshToken)).rejects.toMatchObject({ code: 'invalid_grant' });
    expect(await context.dynamo.scan('SessionsTable', sub)).toEqual([]);
  });
});
