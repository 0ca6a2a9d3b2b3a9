/**
 * `npm run admin -- user …`, each command a process of its own against a test dynalite (--endpoint), on
 * users made and checked through the real service (lib/deps.ts as tests/support/app.ts builds it).
 */
import { createClock, uniqueSourceIp, uniqueUsername, withTestApp } from '../support/app';
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
const login = (username: string, password = PASSWORD) => context.app.auth.login({ username, password, sourceIp: uniqueSourceIp() });
const itemOf = (sub: string) => context.dynamo.read('UsersTable', { sub });

describe('user show', () => {
  it('prints what the service holds about a user, as a table and as JSON', async () => {
    const { username, sub } = await registered();
    await context.app.users.setPendingEmail(sub, 'show@example.test', { hash: 'h', expiresAt: Math.floor(Date.now() / 1000) + 60 });
    await context.app.users.grantScope(sub, 'admin');

    const [table, json] = await Promise.all([admin(['user', 'show', username.toLowerCase()]), admin(['user', 'show', username, '--json'])]);

    expect(table).toMatchObject({ code: 0, stderr: '' });
    expect(table.stdout).toMatch(new RegExp(`^username +${username}$`, 'm'));
    expect(table.stdout).toMatch(new RegExp(`^sub +${sub}$`, 'm'));
    expect(table.stdout).toMatch(/^email +show@example\.test \(not verified\)$/m);
    expect(table.stdout).toMatch(/^disabled +no$/m);
    expect(table.stdout).toMatch(/^granted scopes +admin$/m);
    expect(table.stdout).toMatch(/^credential version +1$/m);
    expect(table.stdout).toMatch(/^live sessions +1$/m);
    expect(json).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(json.stdout)).toEqual({
      sub,
      username,
      created: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      email: 'show@example.test',
      emailVerified: false,
      disabled: false,
      scopes: ['admin'],
      credentialVersion: 1,
      liveSessions: 1,
    });
  });
});

describe('user create', () => {
  it('creates a user from a piped password, by the rules of registration, who then logs in', async () => {
    const [first, second] = [uniqueUsername('Piped'), uniqueUsername('piped')];

    const [table, json] = await Promise.all([
      admin(['user', 'create', first], { stdin: 'a piped passphrase' }),
      // echo's newline ends the line; it is not part of the password.
      admin(['user', 'create', second, '--json'], { stdin: 'another piped passphrase\n' }),
    ]);

    expect(table).toMatchObject({ code: 0, stderr: '' });
    expect(table.stdout).toContain(`Created ${first} in http://127.0.0.1:`);
    expect(table.stdout).toMatch(/^live sessions +0$/m);
    expect(json).toMatchObject({ code: 0, stderr: '' });
    const created = JSON.parse(json.stdout) as { sub: string; username: string; liveSessions: number };
    expect(created).toMatchObject({ username: second, liveSessions: 0, disabled: false, scopes: [] });
    expect(await itemOf(created.sub)).toMatchObject({ username: second.toLowerCase(), passwordHash: expect.stringMatching(/^\$argon2id\$/) });
    await expect(login(first, 'a piped passphrase')).resolves.toMatchObject({ scope: 'profile sessions' });
    await expect(login(second, 'another piped passphrase')).resolves.toMatchObject({ scope: 'profile sessions' });
  });

  it('refuses a common password, a name registration refuses, and a taken name, creating nothing', async () => {
    const taken = await registered();
    const fresh = uniqueUsername('common');

    const here = (username: string) =>
      runAdminHere(['user', 'create', username, '--endpoint', context.dynamo.endpoint], { env: tableEnv(context.dynamo), piped: 'a fine passphrase' });

    const [common, badName, takenName] = await Promise.all([
      admin(['user', 'create', fresh], { stdin: 'password123' }),
      here('pаypal'), // a Cyrillic "а"
      here(taken.username.toUpperCase()),
    ]);

    expect(common).toMatchObject({ code: 1, stdout: '' });
    expect(common.stderr).toContain('"password" is one of the most common passwords');
    expect(await context.dynamo.userNamed(fresh)).toBeUndefined();
    expect(badName).toMatchObject({ code: 1, stdout: '' });
    expect(badName.stderr).toContain('mixes scripts');
    expect(takenName).toMatchObject({ code: 1, stdout: '' });
    expect(takenName.stderr).toContain('That username is already taken.');
    expect(await context.dynamo.scan('UsersTable')).not.toContainEqual(expect.objectContaining({ username: 'pаypal' }));
  });

  it('takes one line from stdin, and refuses none or more', async () => {
    const create = (piped: string) =>
      runAdminHere(['user', 'create', uniqueUsername('lines'), '--endpoint', context.dynamo.endpoint], { env: tableEnv(context.dynamo), piped });

    const [none, two] = await Promise.all([create(''), create('a fine passphrase\nand another line\n')]);

    expect(none).toMatchObject({ code: 1, stdout: '' });
    expect(none.stderr).toContain('no password on stdin');
    expect(two).toMatchObject({ code: 1, stdout: '' });
    expect(two.stderr).toContain('stdin holds more than one line');
  });
});

describe('user disable and enable', () => {
  it('refuses to disable without --yes when stdin is not a terminal, and changes nothing', async () => {
    const { username, sub, tokens } = await registered();

    const result = await admin(['user', 'disable', username]);

    expect(result).toMatchObject({ code: 1, stdout: '' });
    expect(result.stderr).toContain(`user disable would disable ${username} (sub ${sub}) and end its 1 live session.`);
    expect(result.stderr).toContain('pass --yes');
    expect(await itemOf(sub)).toMatchObject({ credentialVersion: 1 });
    expect((await itemOf(sub))?.disabled).toBeUndefined();
    await expect(context.app.auth.refresh(tokens.refreshToken)).resolves.toMatchObject({ scope: 'profile sessions' });
  });

  it('disables with --yes: every session ends, and the right password logs in to nothing', async () => {
    const { username, sub, tokens } = await registered();

    const result = await admin(['user', 'disable', username, '--yes']);

    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toContain(`Disabled ${username}: 1 session ended.`);
    expect(result.stdout).toMatch(/^disabled +yes$/m);
    expect(await itemOf(sub)).toMatchObject({ disabled: true, credentialVersion: 2 });
    await expect(context.app.auth.refresh(tokens.refreshToken)).rejects.toMatchObject({ code: 'invalid_grant' });
    await expect(login(username)).rejects.toThrow('This account is disabled.');
  });

  it('enables a disabled user again (--json), who logs in', async () => {
    const { username, sub } = await registered();
    await context.app.users.setDisabled(sub, true);

    const result = await admin(['user', 'enable', username, '--json']);

    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(result.stdout)).toMatchObject({ sub, username, disabled: false, credentialVersion: 2, liveSessions: 0 });
    expect((await itemOf(sub))?.disabled).toBeUndefined();
    await expect(login(username)).resolves.toMatchObject({ scope: 'profile sessions' });
  });
});

describe('user delete', () => {
  it('refuses without --yes when stdin is not a terminal, and deletes nothing', async () => {
    const { username, sub } = await registered();

    const result = await admin(['user', 'delete', username]);

    expect(result).toMatchObject({ code: 1, stdout: '' });
    expect(result.stderr).toContain(`user delete would delete ${username} (sub ${sub}) for good`);
    expect(await itemOf(sub)).toBeDefined();
    expect(await context.dynamo.scan('SessionsTable', sub)).toHaveLength(1);
  });

  it('deletes with --yes as DELETE /me does: the user, its name, its address and its sessions; the name is free', async () => {
    const { username, sub } = await registered();
    await login(username);
    const address = `${username.toLowerCase()}@example.test`;
    await context.app.users.setPendingEmail(sub, address, { hash: 'h', expiresAt: Math.floor(Date.now() / 1000) + 60 });
    await context.app.users.confirmEmail((await context.app.users.get(sub))!, 'h', Math.floor(Date.now() / 1000));
    expect(await context.dynamo.read('EmailsTable', { email: address })).toBeDefined();

    const result = await admin(['user', 'delete', username, '--yes', '--json']);

    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(result.stdout)).toEqual({ deleted: true, sub, username, sessionsDeleted: 2 });
    expect(await itemOf(sub)).toBeUndefined();
    expect(await context.dynamo.read('UsernamesTable', { username: username.toLowerCase() })).toBeUndefined();
    expect(await context.dynamo.read('EmailsTable', { email: address })).toBeUndefined();
    expect(await context.dynamo.scan('SessionsTable', sub)).toEqual([]);
    await expect(context.app.auth.register({ username, password: PASSWORD })).resolves.toMatchObject({ scope: 'profile sessions' });
  });
});
