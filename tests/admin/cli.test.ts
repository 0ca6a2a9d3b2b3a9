/**
 * The command line of `npm run admin`: its help, what an unknown user gets from every command (as processes),
 * its usage errors and a deployed stage's tables (in this process, with a stand-in for CloudFormation).
 */
import { DescribeStackResourcesCommand } from '@aws-sdk/client-cloudformation';
import { CliError, stageTarget, type StackReader } from '../../scripts/admin/target';
import { withTestApp } from '../support/app';
import { adminOn, runAdminHere, spawnAdmin, tableEnv } from './run-admin';

const COMMANDS = [
  'user show', 'user create', 'user disable', 'user enable', 'user delete',
  'scope grant', 'scope revoke', 'sessions list', 'sessions end', 'sessions end-all',
];
const DESTRUCTIVE = ['user disable', 'user delete', 'sessions end-all'];

const context = withTestApp();

describe('--help', () => {
  it('lists every command', async () => {
    const result = await spawnAdmin(['--help']);

    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(/^usage: npm run admin -- <command>/);
    for (const command of COMMANDS) expect(result.stdout).toMatch(new RegExp(`^  ${command} <`, 'm'));
  });

  it.each(COMMANDS)('after %s, says what it takes and does, with an example', async (command) => {
    const result = await runAdminHere([...command.split(' '), '--help']);

    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(new RegExp(`^usage: npm run admin -- ${command} <username>`));
    expect(result.stdout).toMatch(new RegExp(`^example\\n  npm run admin -- ${command} `, 'm'));
    expect(result.stdout.includes('--yes')).toBe(DESTRUCTIVE.includes(command));
  });
});

describe('an unknown user', () => {
  it('is named by every command that looks one up, with exit code 1 and before any confirmation', async () => {
    const admin = adminOn(context.dynamo);
    const commands = COMMANDS.filter((command) => command !== 'user create');
    const extra: Record<string, string[]> = { 'scope grant': ['profile'], 'scope revoke': ['profile'], 'sessions end': ['AAAAAAAAAAAAAAAAAAAAAA'] };

    const results = await Promise.all(commands.map((command) => admin([...command.split(' '), 'Nobody', ...(extra[command] ?? [])])));

    results.forEach((result, index) => {
      expect({ command: commands[index], ...result }).toEqual({ command: commands[index], code: 1, stdout: '', stderr: 'npm run admin: There is no user named "Nobody".\n' });
    });
  });
});

describe('usage errors', () => {
  it.each([
    [[], 'no command'],
    [['user'], 'unknown command "user"; the user commands are show, create, disable, enable, delete'],
    [['users', 'show', 'alice'], 'unknown command "users show"'],
    [['user', 'show'], 'user show takes <username>'],
    [['sessions', 'end', 'alice'], 'sessions end takes <username> <session-id>'],
    [['user', 'show', 'alice', 'bob'], '"bob" is one too many'],
    [['user', 'show', 'alice', '--force'], "Unknown option '--force'"],
    [['user', 'show', 'alice', '--region', 'eu-west-1'], '--region goes with --stage'],
    [['user', 'show', 'alice', '--stage', 'prod', '--endpoint', 'http://127.0.0.1:1'], '--stage and --endpoint are two places'],
    [['user', 'show', 'alice', '--stage', 'prod;rm'], '"prod;rm" is not a stage name'],
  ])('%j exits with 2 and says why', async (args, message) => {
    const result = await runAdminHere(args);

    expect(result).toMatchObject({ code: 2, stdout: '' });
    expect(result.stderr).toContain(message);
    expect(result.stderr).toContain('npm run admin -- --help lists the commands');
  });

  it('takes an argument that starts with "-" as an argument, not an option (session ids are base64url)', async () => {
    const result = await runAdminHere(['sessions', 'end', 'nobody', '-Xy_Tz', '--endpoint', context.dynamo.endpoint], { env: tableEnv(context.dynamo) });

    expect(result).toEqual({ code: 1, stdout: '', stderr: 'npm run admin: There is no user named "nobody".\n' });
  });
});

/** A stand-in for CloudFormation: the physical name of each logical id it is asked for, and what it was asked. */
function stack(physical: Record<string, string>, failure?: Error): StackReader & { asked: unknown[] } {
  const asked: unknown[] = [];
  return {
    asked,
    send: (async (command: DescribeStackResourcesCommand) => {
      asked.push(command.input);
      if (failure) throw failure;
      const id = command.input.LogicalResourceId!;
      return { StackResources: physical[id] ? [{ LogicalResourceId: id, PhysicalResourceId: physical[id], ResourceStatus: 'UPDATE_COMPLETE' }] : [] };
    }) as StackReader['send'],
  };
}

const DEPLOYED = {
  UsersTable: 'jwt-auth-prod-UsersTable-1A2B3C',
  UsernamesTable: 'jwt-auth-prod-UsernamesTable-4D5E6F',
  EmailsTable: 'jwt-auth-prod-EmailsTable-7G8H9I',
  SessionsTable: 'jwt-auth-prod-SessionsTable-J1K2L3',
  LoginAttemptsTable: 'jwt-auth-prod-LoginAttemptsTable-M4N5O6',
};

describe('--stage', () => {
  it('reads the table names CloudFormation chose from the stack jwt-auth-<stage>, one logical id at a time', async () => {
    const cloudformation = stack(DEPLOYED);

    const target = await stageTarget('prod', 'eu-west-1', { cloudformation });

    expect(target.env).toEqual({
      AWS_REGION: 'eu-west-1',
      DYNAMODB_ENDPOINT: '',
      USERS_TABLE: DEPLOYED.UsersTable,
      USERNAMES_TABLE: DEPLOYED.UsernamesTable,
      EMAILS_TABLE: DEPLOYED.EmailsTable,
      SESSIONS_TABLE: DEPLOYED.SessionsTable,
      ATTEMPTS_TABLE: DEPLOYED.LoginAttemptsTable,
    });
    expect(target.label).toBe('stage prod (eu-west-1)');
    expect(cloudformation.asked).toEqual(Object.keys(DEPLOYED).map((id) => ({ StackName: 'jwt-auth-prod', LogicalResourceId: id })));
  });

  it('says plainly when the stack or one of its tables is not there', async () => {
    const noStack = Object.assign(new Error('Stack with id jwt-auth-prod does not exist'), { name: 'ValidationError' });
    const { EmailsTable: _gone, ...withoutEmails } = DEPLOYED;

    const [missingStack, missingTable] = await Promise.all([
      stageTarget('prod', 'eu-west-1', { cloudformation: stack(DEPLOYED, noStack) }).catch((error: unknown) => error),
      stageTarget('prod', 'eu-west-1', { cloudformation: stack(withoutEmails) }).catch((error: unknown) => error),
    ]);

    expect(missingStack).toBeInstanceOf(CliError);
    expect((missingStack as Error).message).toMatch(/^there is no stack jwt-auth-prod in eu-west-1: check --stage and --region/);
    expect((missingTable as Error).message).toBe('stack jwt-auth-prod (eu-west-1) has no table EmailsTable');
  });

  it('is where the command looks, in --region or serverless.yml\'s us-east-1', async () => {
    const noStack = (stage: string) => Object.assign(new Error(`Stack with id jwt-auth-${stage} does not exist`), { name: 'ValidationError' });

    const [defaultRegion, region] = await Promise.all([
      runAdminHere(['user', 'show', 'alice', '--stage', 'prod'], { cloudformation: stack({}, noStack('prod')) }),
      runAdminHere(['user', 'show', 'alice', '--stage', 'test', '--region', 'eu-west-1'], { cloudformation: stack({}, noStack('test')) }),
    ]);

    expect(defaultRegion).toMatchObject({ code: 1, stdout: '' });
    expect(defaultRegion.stderr).toContain('there is no stack jwt-auth-prod in us-east-1');
    expect(region.stderr).toContain('there is no stack jwt-auth-test in eu-west-1');
  });
});
