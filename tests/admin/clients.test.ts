/**
 * `npm run admin -- client add|list|remove` against a test dynalite (--endpoint, CLIENTS_TABLE), checked in
 * the clients table itself and through lib/clients.ts's store as the service reads it; then where the client
 * commands look (the local data, a stage) and what their help says.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { DescribeStackResourcesCommand } from '@aws-sdk/client-cloudformation';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { createClientStore, parseClients, secretMatches, validateClient } from '../../lib/clients';
import { stageTarget, type StackReader } from '../../scripts/admin/target';
import { createTables } from '../../scripts/local-gateway/tables';
import { manifestResources, startDynalite, type LocalDynamo } from '../support/dynalite';
import { runAdminHere, spawnAdmin, spawnAdminOnTerminal } from './run-admin';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const dynalite = require('dynalite') as (options: Record<string, unknown>) => Server;

/** The deployment's own client, from the environment: listed, never written. */
const CONFIGURED = { client_id: 'configured-app', redirect_uris: ['https://configured.example.com/cb'], first_party: true };
const OAUTH_CLIENTS = JSON.stringify([CONFIGURED]);

let dynamo: LocalDynamo;
beforeAll(async () => {
  dynamo = await startDynalite();
});
afterAll(() => dynamo.stop());

const clientEnv = () => ({ CLIENTS_TABLE: dynamo.tables.ClientsTable!, OAUTH_CLIENTS });
/** The CLI as a process of its own, on the test dynalite. */
const admin = (args: string[], options: { stdin?: string } = {}) => spawnAdmin([...args, '--endpoint', dynamo.endpoint], { env: clientEnv(), stdin: options.stdin });
/** The same command line in this process: for the many refusals, and for twenty at once. */
const here = (args: string[], env: Record<string, string> = {}) => runAdminHere([...args, '--endpoint', dynamo.endpoint], { env: { ...clientEnv(), ...env } });

const uniqueId = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;
/** The client's item, read straight from the table. */
const itemOf = async (clientId: string) =>
  (await dynamo.doc.send(new GetCommand({ TableName: dynamo.tables.ClientsTable, Key: { clientId }, ConsistentRead: true }))).Item;
/** The store as the service builds it, with the same OAUTH_CLIENTS. */
const service = () => createClientStore(dynamo.doc, dynamo.tables.ClientsTable!, parseClients(OAUTH_CLIENTS, 'OAUTH_CLIENTS'));

const SECRET_LINE = /^client secret +([A-Za-z0-9_-]+)$/m;

describe('client add', () => {
  it('adds a public client, which the service then finds, and prints it as a table and as JSON', async () => {
    const [first, second] = [uniqueId('web'), uniqueId('native')];

    const [table, json] = await Promise.all([
      admin(['client', 'add', first, '--redirect-uri', 'https://app.example.com/cb', '--redirect-uri', 'http://127.0.0.1/cb',
        '--post-logout-redirect-uri', 'https://app.example.com/', '--first-party', '--name', 'The web app']),
      admin(['client', 'add', second, '--redirect-uri', 'com.example.app:/callback', '--json']),
    ]);

    expect(table).toMatchObject({ code: 0, stderr: '' });
    expect(table.stdout).toContain(`Added the client ${first} to http://127.0.0.1:`);
    expect(table.stdout).toMatch(new RegExp(`^client id +${first}$`, 'm'));
    expect(table.stdout).toMatch(/^name +The web app$/m);
    expect(table.stdout).toMatch(/^type +public$/m);
    expect(table.stdout).toMatch(/^first-party +yes$/m);
    expect(table.stdout).toMatch(/^redirect URIs +https:\/\/app\.example\.com\/cb http:\/\/127\.0\.0\.1\/cb$/m);
    expect(table.stdout).toMatch(/^post-logout redirect URIs +https:\/\/app\.example\.com\/$/m);
    expect(table.stdout).not.toMatch(/secret/i);
    expect(json).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(json.stdout)).toEqual({
      client_id: second,
      name: null,
      type: 'public',
      first_party: false,
      redirect_uris: ['com.example.app:/callback'],
      post_logout_redirect_uris: [],
      source: 'table',
    });
    expect(await itemOf(first)).toEqual({
      clientId: first,
      redirectUris: ['https://app.example.com/cb', 'http://127.0.0.1/cb'],
      postLogoutRedirectUris: ['https://app.example.com/'],
      firstParty: true,
      name: 'The web app',
    });
    expect(await itemOf(second)).toEqual({ clientId: second, redirectUris: ['com.example.app:/callback'], postLogoutRedirectUris: [], firstParty: false });
    await expect(service().get(first)).resolves.toMatchObject({ clientId: first, firstParty: true });
  });

  it('gives a confidential client a secret, shown once, that authenticates it: the table holds only its hash', async () => {
    const [first, second] = [uniqueId('server'), uniqueId('server')];

    const [table, json] = await Promise.all([
      admin(['client', 'add', first, '--redirect-uri', 'https://server.example.com/cb', '--confidential']),
      admin(['client', 'add', second, '--redirect-uri', 'https://server.example.com/cb', '--confidential', '--json']),
    ]);

    expect(table).toMatchObject({ code: 0, stderr: '' });
    expect(table.stdout).toMatch(/^type +confidential$/m);
    expect(table.stdout).toContain('This is the only time the secret is shown: it cannot be shown again');
    const printed = SECRET_LINE.exec(table.stdout)?.[1];
    expect(printed).toMatch(/^[A-Za-z0-9_-]{43}$/); // 32 random bytes
    expect(json).toMatchObject({ code: 0, stderr: '' });
    const added = JSON.parse(json.stdout) as { client_id: string; client_secret: string; type: string };
    expect(added).toMatchObject({ client_id: second, type: 'confidential', client_secret: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
    const [firstItem, secondItem] = [await itemOf(first), await itemOf(second)];
    expect(firstItem).toMatchObject({ clientSecretHash: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
    expect(JSON.stringify([firstItem, secondItem])).not.toContain(printed);
    expect(JSON.stringify([firstItem, secondItem])).not.toContain(added.client_secret);
    expect(table.stdout).not.toContain(firstItem!.clientSecretHash);
    expect(json.stdout).not.toContain(secondItem!.clientSecretHash);
    expect(secretMatches(validateClient(firstItem), printed!)).toBe(true);
    expect(secretMatches(validateClient(secondItem), added.client_secret)).toBe(true);
    expect(secretMatches(validateClient(firstItem), added.client_secret)).toBe(false);
    expect(secretMatches((await service().get(second))!, added.client_secret)).toBe(true);
  });

  it('refuses a hostile redirect URI as a process of its own, naming it, and writes nothing', async () => {
    const id = uniqueId('evil');

    const result = await admin(['client', 'add', id, '--redirect-uri', 'http://evil.example/cb', '--confidential']);

    expect(result).toEqual({ code: 1, stdout: '', stderr: `npm run admin: ${id}: the redirect_uris entry "http://evil.example/cb" uses http on a host other than loopback\n` });
    expect(await itemOf(id)).toBeUndefined();
  });

  it.each([
    [['--redirect-uri', 'javascript:alert(document.cookie)'], 'the redirect_uris entry "javascript:alert(document.cookie)" uses the javascript scheme'],
    [['--redirect-uri', 'data:text/html,<script>alert(1)</script>'], 'uses the data scheme'],
    [['--redirect-uri', 'https://app.example.com/cb#token'], 'has a fragment'],
    [['--redirect-uri', '/relative/cb'], 'is not an absolute URI'],
    [['--redirect-uri', 'myapp:/cb'], 'uses a private scheme that is not a reverse domain name'],
    [['--redirect-uri', 'http://localhost.evil.example/cb'], 'uses http on a host other than loopback'],
    [['--redirect-uri', 'https://app.example.com/cb', '--redirect-uri', 'file:///etc/passwd'], 'uses the file scheme'],
    [['--redirect-uri', 'https://app.example.com/cb', '--post-logout-redirect-uri', 'http://evil.example/'], 'the post_logout_redirect_uris entry "http://evil.example/"'],
  ])('refuses %j, saying why, and writes nothing', async (options, message) => {
    const id = uniqueId('bad');

    const [table, json] = await Promise.all([here(['client', 'add', id, ...options, '--confidential']), here(['client', 'add', `${id}-json`, ...options, '--json'])]);

    expect(table).toMatchObject({ code: 1, stdout: '' });
    expect(table.stderr).toContain(message);
    expect(json).toMatchObject({ code: 1, stdout: '' });
    expect(json.stderr).toContain(message);
    expect(await itemOf(id)).toBeUndefined();
    expect(await itemOf(`${id}-json`)).toBeUndefined();
  });

  it('refuses a malformed client id, a bad name and a missing redirect URI, writing nothing', async () => {
    const id = uniqueId('named');

    const [spaced, longName, noUri] = await Promise.all([
      here(['client', 'add', 'has space', '--redirect-uri', 'https://app.example.com/cb']),
      here(['client', 'add', id, '--redirect-uri', 'https://app.example.com/cb', '--name', 'x'.repeat(101)]),
      here(['client', 'add', `${id}-nouri`]),
    ]);

    expect(spaced).toMatchObject({ code: 1, stdout: '' });
    expect(spaced.stderr).toContain('client_id must be 1 to 128 printable ASCII characters without spaces');
    expect(longName).toMatchObject({ code: 1, stdout: '' });
    expect(longName.stderr).toContain('name must be 1 to 100 characters');
    expect(noUri).toMatchObject({ code: 2, stdout: '' });
    expect(noUri.stderr).toContain('client add needs at least one --redirect-uri');
    expect(await itemOf('has space')).toBeUndefined();
    expect(await itemOf(id)).toBeUndefined();
    expect(await itemOf(`${id}-nouri`)).toBeUndefined();
  });

  it('refuses an id the table already holds, leaving the first client and its secret as they were', async () => {
    const id = uniqueId('taken');
    const first = await here(['client', 'add', id, '--redirect-uri', 'https://first.example.com/cb', '--confidential', '--json']);
    const secret = (JSON.parse(first.stdout) as { client_secret: string }).client_secret;
    const before = await itemOf(id);

    const again = await admin(['client', 'add', id, '--redirect-uri', 'https://second.example.com/cb', '--confidential']);

    expect(again).toEqual({ code: 1, stdout: '', stderr: `npm run admin: There is already a client "${id}": nothing was changed (remove it first to replace it).\n` });
    expect(await itemOf(id)).toEqual(before);
    expect(before).toMatchObject({ redirectUris: ['https://first.example.com/cb'] });
    expect(secretMatches(validateClient(await itemOf(id)), secret)).toBe(true);
  });

  it('of twenty concurrent adds of one id, stores exactly one, whose printed secret is the one that authenticates', async () => {
    const id = uniqueId('race');

    const results = await Promise.all(Array.from({ length: 20 }, (_, index) =>
      here(['client', 'add', id, '--redirect-uri', `https://race${index}.example.com/cb`, '--confidential', '--json'])));

    const won = results.filter((result) => result.code === 0);
    expect(won).toHaveLength(1);
    for (const lost of results.filter((result) => result.code !== 0)) {
      expect(lost).toEqual({ code: 1, stdout: '', stderr: `npm run admin: There is already a client "${id}": nothing was changed (remove it first to replace it).\n` });
    }
    const winner = JSON.parse(won[0]!.stdout) as { client_secret: string; redirect_uris: string[] };
    const stored = validateClient(await itemOf(id));
    expect(stored.redirectUris).toEqual(winner.redirect_uris);
    expect(secretMatches(stored, winner.client_secret)).toBe(true);
  });

  it('refuses an id of OAUTH_CLIENTS: the table gets no client that would shadow it', async () => {
    const result = await admin(['client', 'add', CONFIGURED.client_id, '--redirect-uri', 'https://shadow.example.com/cb']);

    expect(result).toMatchObject({ code: 1, stdout: '' });
    expect(result.stderr).toContain(`The client "${CONFIGURED.client_id}" is defined in OAUTH_CLIENTS, not in the clients table: the table cannot hold another client of that id.`);
    expect(await itemOf(CONFIGURED.client_id)).toBeUndefined();
    await expect(service().get(CONFIGURED.client_id)).resolves.toMatchObject({ redirectUris: CONFIGURED.redirect_uris });
  });
});

describe('client list', () => {
  it('lists OAUTH_CLIENTS\' clients and the table\'s, marked by source, never with a secret or its hash', async () => {
    const [publicId, confidentialId] = [uniqueId('listed'), uniqueId('listed')];
    await Promise.all([
      here(['client', 'add', publicId, '--redirect-uri', 'https://a.example.com/cb', '--redirect-uri', 'https://b.example.com/cb', '--first-party']),
      here(['client', 'add', confidentialId, '--redirect-uri', 'https://c.example.com/cb', '--confidential', '--name', 'Confidential']),
    ]);
    const hash = (await itemOf(confidentialId))?.clientSecretHash as string;

    const [table, json] = await Promise.all([admin(['client', 'list']), admin(['client', 'list', '--json'])]);

    expect(hash).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(table).toMatchObject({ code: 0, stderr: '' });
    expect(table.stdout).toMatch(/^CLIENT ID +TYPE +FIRST-PARTY +SOURCE +REDIRECT URIS\n/);
    expect(table.stdout).toMatch(/^configured-app +public +yes +OAUTH_CLIENTS +https:\/\/configured\.example\.com\/cb$/m);
    expect(table.stdout).toMatch(new RegExp(`^${publicId} +public +yes +table +https://a\\.example\\.com/cb https://b\\.example\\.com/cb$`, 'm'));
    expect(table.stdout).toMatch(new RegExp(`^${confidentialId} +confidential +no +table +https://c\\.example\\.com/cb$`, 'm'));
    expect(json).toMatchObject({ code: 0, stderr: '' });
    const { clients } = JSON.parse(json.stdout) as { clients: Record<string, unknown>[] };
    expect(clients[0]).toEqual({
      client_id: 'configured-app', name: null, type: 'public', first_party: true,
      redirect_uris: ['https://configured.example.com/cb'], post_logout_redirect_uris: [], source: 'OAUTH_CLIENTS',
    });
    expect(clients).toContainEqual({
      client_id: confidentialId, name: 'Confidential', type: 'confidential', first_party: false,
      redirect_uris: ['https://c.example.com/cb'], post_logout_redirect_uris: [], source: 'table',
    });
    for (const output of [table.stdout, json.stdout]) {
      expect(output).not.toContain(hash);
      expect(output).not.toMatch(/secret|hash/i);
    }
  });

  it('refuses an OAUTH_CLIENTS that the service would refuse, naming it', async () => {
    const result = await here(['client', 'list'], { OAUTH_CLIENTS: JSON.stringify([{ client_id: 'x', redirect_uris: ['http://evil.example/cb'] }]) });

    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr: 'npm run admin: OAUTH_CLIENTS x: the redirect_uris entry "http://evil.example/cb" uses http on a host other than loopback (in this command\'s environment)\n',
    });
  });

  it('leaves out an item hand-edited into an invalid client (a control character in a URI), and never writes it to the terminal', async () => {
    const id = uniqueId('edited');
    await dynamo.doc.send(new PutCommand({
      TableName: dynamo.tables.ClientsTable,
      Item: { clientId: id, redirectUris: ['https://app.example.com/cb\u001b[2J'], postLogoutRedirectUris: [], firstParty: false },
    }));

    const result = await here(['client', 'list']);

    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).not.toContain(id);
    expect(result.stdout).not.toContain('\u001b');
  });
});

describe('client remove', () => {
  const addPublic = async (id: string) => {
    const added = await here(['client', 'add', id, '--redirect-uri', 'https://gone.example.com/cb', '--first-party', '--name', 'Gone']);
    expect(added.code).toBe(0);
  };

  it('without --yes and no terminal, names the client and removes nothing; with --yes, removes it from the table', async () => {
    const id = uniqueId('removed');
    await addPublic(id);

    const refused = await admin(['client', 'remove', id]);
    const kept = await itemOf(id);
    const removed = await admin(['client', 'remove', id, '--yes']);

    expect(refused).toMatchObject({ code: 1, stdout: '' });
    expect(refused.stderr).toContain(`client remove would remove the client ${id} ("Gone", public, first-party; redirect URIs https://gone.example.com/cb) from the clients table. Nothing was done`);
    expect(refused.stderr).toContain('pass --yes');
    expect(kept).toMatchObject({ clientId: id });
    expect(removed).toMatchObject({ code: 0, stderr: '' });
    expect(removed.stdout).toContain(`Removed the client ${id} from http://127.0.0.1:`);
    expect(await itemOf(id)).toBeUndefined();
    await expect(service().get(id)).resolves.toBeUndefined();
  });

  it('at a terminal, asks naming the client: "n" keeps it, "y" removes it', async () => {
    const [kept, gone] = [uniqueId('asked'), uniqueId('asked')];
    await Promise.all([addPublic(kept), addPublic(gone)]);
    const onTerminal = (args: string[], answer: string) =>
      spawnAdminOnTerminal([...args, '--endpoint', dynamo.endpoint], [['[y/N] ', answer]], clientEnv());

    const [declined, confirmed] = await Promise.all([onTerminal(['client', 'remove', kept], 'n\r'), onTerminal(['client', 'remove', gone, '--json'], 'y\r')]);

    expect(declined.code).toBe(1);
    expect(declined.output).toContain(`Remove the client ${kept} ("Gone", public, first-party; redirect URIs https://gone.example.com/cb) from the clients table? [y/N] n`);
    expect(declined.output).toContain('not confirmed; nothing was done');
    expect(await itemOf(kept)).toMatchObject({ clientId: kept });
    expect(confirmed.code).toBe(0);
    expect(confirmed.output).toContain(`"client_id": "${gone}"`);
    expect(confirmed.output).toContain('"removed": true');
    expect(await itemOf(gone)).toBeUndefined();
  });

  it('names an unknown client before it asks anything', async () => {
    const result = await admin(['client', 'remove', 'nobody-here']);

    expect(result).toEqual({ code: 1, stdout: '', stderr: 'npm run admin: There is no client "nobody-here".\n' });
  });

  it('refuses a client of OAUTH_CLIENTS, even with --yes and a same-id item in the table: edit OAUTH_CLIENTS', async () => {
    // An item an earlier run left, without OAUTH_CLIENTS in its environment: the service never reads it.
    const shadow = { clientId: CONFIGURED.client_id, redirectUris: ['https://shadow.example.com/cb'], postLogoutRedirectUris: [], firstParty: false };
    await dynamo.doc.send(new PutCommand({ TableName: dynamo.tables.ClientsTable, Item: shadow }));

    const [removal, listed] = await Promise.all([admin(['client', 'remove', CONFIGURED.client_id, '--yes']), here(['client', 'list', '--json'])]);

    expect(removal).toMatchObject({ code: 1, stdout: '' });
    expect(removal.stderr).toContain(`The client "${CONFIGURED.client_id}" is defined in OAUTH_CLIENTS, not in the clients table: it cannot be removed here; edit OAUTH_CLIENTS (and deploy) instead.`);
    expect(await itemOf(CONFIGURED.client_id)).toEqual(shadow);
    const entries = (JSON.parse(listed.stdout) as { clients: { client_id: string }[] }).clients.filter((client) => client.client_id === CONFIGURED.client_id);
    expect(entries).toEqual([expect.objectContaining({ source: 'OAUTH_CLIENTS', redirect_uris: CONFIGURED.redirect_uris })]);
    await expect(service().get(CONFIGURED.client_id)).resolves.toMatchObject({ redirectUris: CONFIGURED.redirect_uris });
  });
});

describe('where the client commands look', () => {
  /** What `npm start` leaves in DATA_DIR: dynalite's folder, with the tables named `jwt-auth-dev-<logical id>`. */
  async function localData(ids: string[]): Promise<string> {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'jwt-auth-admin-clients-'));
    const server = dynalite({ path: path.join(dataDir, 'dynamodb'), createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const resources = Object.fromEntries(Object.entries(manifestResources()).filter(([id]) => ids.includes(id)));
    await createTables(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, resources, Object.fromEntries(ids.map((id) => [id, `jwt-auth-dev-${id}`])));
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return dataDir;
  }
  const ACCOUNT_TABLES = ['UsersTable', 'UsernamesTable', 'EmailsTable', 'SessionsTable', 'LoginAttemptsTable'];
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it('works on the local data of npm start: what add writes, list reads', async () => {
    const dataDir = await localData([...ACCOUNT_TABLES, 'ClientsTable']);
    dirs.push(dataDir);
    const env = { DATA_DIR: dataDir, OAUTH_CLIENTS: '' };

    const empty = await spawnAdmin(['client', 'list'], { env });
    const added = await spawnAdmin(['client', 'add', 'local-app', '--redirect-uri', 'http://localhost:3000/cb'], { env });
    const listed = await spawnAdmin(['client', 'list', '--json'], { env });

    expect(empty).toEqual({ code: 0, stderr: '', stdout: `No clients: none in OAUTH_CLIENTS (as this command's environment has it), none in the clients table of the local data in ${dataDir}.\n` });
    expect(added).toMatchObject({ code: 0, stderr: '' });
    expect(added.stdout).toContain(`Added the client local-app to the local data in ${dataDir}.`);
    expect(JSON.parse(listed.stdout)).toEqual({
      clients: [{ client_id: 'local-app', name: null, type: 'public', first_party: false, redirect_uris: ['http://localhost:3000/cb'], post_logout_redirect_uris: [], source: 'table' }],
    });
  });

  it('names the clients table that older local data lacks, which the account commands never open', async () => {
    const dataDir = await localData(ACCOUNT_TABLES);
    dirs.push(dataDir);
    const env = { DATA_DIR: dataDir, OAUTH_CLIENTS: '' };

    const clients = await spawnAdmin(['client', 'list'], { env });
    const user = await spawnAdmin(['user', 'show', 'nobody'], { env });

    expect(clients).toMatchObject({ code: 1, stdout: '' });
    expect(clients.stderr).toContain(`the local data in ${dataDir} has no table jwt-auth-dev-ClientsTable: start \`npm start\` once`);
    expect(user).toEqual({ code: 1, stdout: '', stderr: 'npm run admin: There is no user named "nobody".\n' });
  });

  /** A stand-in for CloudFormation: the physical name of each logical id it knows, and what it was asked. */
  function stack(physical: Record<string, string>): StackReader & { asked: unknown[] } {
    const asked: unknown[] = [];
    return {
      asked,
      send: (async (command: DescribeStackResourcesCommand) => {
        asked.push(command.input);
        const id = command.input.LogicalResourceId!;
        return { StackResources: physical[id] ? [{ LogicalResourceId: id, PhysicalResourceId: physical[id], ResourceStatus: 'UPDATE_COMPLETE' }] : [] };
      }) as StackReader['send'],
    };
  }

  it('reads a stage\'s clients table, and only it, from the stack', async () => {
    const cloudformation = stack({ UsersTable: 'jwt-auth-prod-UsersTable-1A2B3C', ClientsTable: 'jwt-auth-prod-ClientsTable-9Z8Y7X' });

    const target = await stageTarget('prod', 'eu-west-1', { cloudformation, tables: ['ClientsTable'] });

    expect(target.env).toEqual({ AWS_REGION: 'eu-west-1', DYNAMODB_ENDPOINT: '', CLIENTS_TABLE: 'jwt-auth-prod-ClientsTable-9Z8Y7X' });
    expect(cloudformation.asked).toEqual([{ StackName: 'jwt-auth-prod', LogicalResourceId: 'ClientsTable' }]);
  });

  it('asks a stage for its clients table, and says when the stack has none yet', async () => {
    const cloudformation = stack({ UsersTable: 'jwt-auth-prod-UsersTable-1A2B3C' });

    const result = await runAdminHere(['client', 'list', '--stage', 'prod'], { cloudformation });

    expect(result).toEqual({ code: 1, stdout: '', stderr: 'npm run admin: stack jwt-auth-prod (us-east-1) has no table ClientsTable\n' });
    expect(cloudformation.asked).toEqual([{ StackName: 'jwt-auth-prod', LogicalResourceId: 'ClientsTable' }]);
  });
});

describe('help and usage', () => {
  const COMMANDS = [['client add', '<client-id> --redirect-uri <uri>'], ['client list', '[--json]'], ['client remove', '<client-id> [--yes]']];

  it('lists the client commands with the others', async () => {
    const result = await spawnAdmin(['--help']);

    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(/^ {2}client add <client-id> +a new OAuth client/m);
    expect(result.stdout).toMatch(/^ {2}client list +the OAuth clients/m);
    expect(result.stdout).toMatch(/^ {2}client remove <client-id> +removes a client/m);
    expect(result.stdout).toMatch(/^ {2}user show <username> /m);
  });

  it.each(COMMANDS)('after %s, says what it takes and does, with an example', async (command, takes) => {
    const result = await runAdminHere([...command.split(' '), '--help']);

    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout.startsWith(`usage: npm run admin -- ${command} ${takes}`)).toBe(true);
    expect(result.stdout).toMatch(new RegExp(`^example\\n  npm run admin -- ${command} `, 'm'));
    expect(result.stdout.includes('--yes')).toBe(command === 'client remove');
  });

  it.each([
    [['client'], 'unknown command "client"; the client commands are add, list, remove'],
    [['client', 'list', 'extra'], 'client list takes no argument; "extra" is one too many'],
    [['client', 'remove'], 'client remove takes <client-id>'],
    [['client', 'list', '--confidential'], 'client list takes no --confidential'],
    [['user', 'show', 'alice', '--redirect-uri', 'https://app.example.com/cb'], 'user show takes no --redirect-uri'],
    [['client', 'add', 'app', '--redirect-uri'], "Option '--redirect-uri <value>' argument missing"],
  ])('%j exits with 2 and says why', async (args, message) => {
    const result = await runAdminHere(args);

    expect(result).toMatchObject({ code: 2, stdout: '' });
    expect(result.stderr).toContain(message);
  });
});
