/**
 * `npm run admin` where an operator meets it: on the local data `npm start` keeps (with npm start stopped,
 * and while it runs), and at a terminal, where it asks before it destroys and reads a password unechoed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTables } from '../../scripts/local-gateway/tables';
import { createClock, uniqueSourceIp, uniqueUsername, withTestApp } from '../support/app';
import { manifestResources } from '../support/dynalite';
import { registerUser, spawnAdmin, spawnAdminOnTerminal, tableEnv } from './run-admin';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const dynalite = require('dynalite') as (options: Record<string, unknown>) => Server;

const PASSWORD = 'correct horse battery staple';

/** dynalite on a LevelDB folder, as `npm start` runs it (scripts/local-gateway/plugin.js); it holds the folder until closed. */
async function localDynamo(store: string) {
  const server = dynalite({ path: store, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('the local data of npm start (the default)', () => {
  let dataDir: string;
  beforeAll(async () => {
    // What `npm start` leaves in DATA_DIR: its tables, named `<service>-dev-<logical id>`.
    dataDir = mkdtempSync(path.join(tmpdir(), 'jwt-auth-admin-'));
    const running = await localDynamo(path.join(dataDir, 'dynamodb'));
    const resources = manifestResources();
    await createTables(running.endpoint, resources, Object.fromEntries(Object.keys(resources).map((id) => [id, `jwt-auth-dev-${id}`])));
    await running.close();
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('works on DATA_DIR while npm start is stopped: what one command writes, the next reads', async () => {
    const username = uniqueUsername('Local');

    const created = await spawnAdmin(['user', 'create', username], { env: { DATA_DIR: dataDir }, stdin: PASSWORD });
    const shown = await spawnAdmin(['user', 'show', username, '--json'], { env: { DATA_DIR: dataDir } });

    expect(created).toMatchObject({ code: 0, stderr: '' });
    expect(created.stdout).toContain(`Created ${username} in the local data in ${dataDir}.`);
    expect(shown).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(shown.stdout)).toMatchObject({ username, disabled: false, liveSessions: 0 });
  });

  it('says npm start must be stopped first while it holds the data', async () => {
    const running = await localDynamo(path.join(dataDir, 'dynamodb'));

    const result = await spawnAdmin(['user', 'show', 'alice'], { env: { DATA_DIR: dataDir } }).finally(running.close);

    expect(result).toMatchObject({ code: 1, stdout: '' });
    expect(result.stderr).toContain(`the local data in ${dataDir} is in use by \`npm start\``);
    expect(result.stderr).toContain('Stop npm start (Ctrl-C), run this command, then start npm start again.');
  });

  it('says when there is no local data at all, naming the folder', async () => {
    const empty = mkdtempSync(path.join(tmpdir(), 'jwt-auth-admin-empty-'));

    const result = await spawnAdmin(['user', 'show', 'alice'], { env: { DATA_DIR: empty } }).finally(() => rmSync(empty, { recursive: true, force: true }));

    expect(result).toMatchObject({ code: 1, stdout: '' });
    expect(result.stderr).toContain(`there is no local data in ${empty}`);
  });
});

describe('at a terminal', () => {
  const context = withTestApp({}, createClock(Date.now()));
  const onTerminal = (args: string[], answers: [string, string][]) =>
    spawnAdminOnTerminal([...args, '--endpoint', context.dynamo.endpoint], answers, tableEnv(context.dynamo));

  it('asks before it destroys: "y" goes ahead, anything else does nothing', async () => {
    const [kept, ended] = [await registerUser(context.app, PASSWORD), await registerUser(context.app, PASSWORD)];

    const [declined, confirmed] = await Promise.all([
      onTerminal(['user', 'delete', kept.username], [['[y/N] ', 'n\r']]),
      onTerminal(['sessions', 'end-all', ended.username], [['[y/N] ', 'y\r']]),
    ]);

    expect(declined.code).toBe(1);
    expect(declined.output).toContain(`Delete ${kept.username} (sub ${kept.sub}) for good, with its 1 live session, and free the name? [y/N] n`);
    expect(declined.output).toContain('not confirmed; nothing was done');
    expect(await context.dynamo.read('UsersTable', { sub: kept.sub })).toBeDefined();
    expect(confirmed.code).toBe(0);
    expect(confirmed.output).toContain(`End every session of ${ended.username} (sub ${ended.sub}): 1 live session? [y/N] y`);
    await expect(context.app.auth.refresh(ended.tokens.refreshToken)).rejects.toMatchObject({ code: 'invalid_grant' });
    await expect(context.app.auth.refresh(kept.tokens.refreshToken)).resolves.toMatchObject({ scope: 'profile sessions' });
  });

  it('user create reads the password twice without showing it, and refuses two that differ', async () => {
    const [username, other] = [uniqueUsername('Typed'), uniqueUsername('Typed')];
    const typed = 'typed at a terminal, unseen';

    const [created, differ] = await Promise.all([
      onTerminal(['user', 'create', username], [[`Password for ${username}: `, `${typed}\r`], ['again: ', `${typed}\r`]]),
      onTerminal(['user', 'create', other], [[`Password for ${other}: `, `${typed}\r`], ['again: ', 'something else\r']]),
    ]);

    expect(created.code).toBe(0);
    expect(created.output).toContain(`Created ${username}`);
    expect(created.output).not.toContain('unseen');
    await expect(context.app.auth.login({ username, password: typed, sourceIp: uniqueSourceIp() })).resolves.toMatchObject({ scope: 'profile sessions' });
    expect(differ.code).toBe(1);
    expect(differ.output).toContain('the two passwords differ; nothing was done');
    expect(differ.output).not.toContain('unseen');
    expect(await context.dynamo.userNamed(other)).toBeUndefined();
  });
});
