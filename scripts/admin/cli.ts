import { parseArgs } from 'node:util';
import { createAdminService, type AdminService, type SessionView, type UserView } from '../../lib/admin';
import { checkRegistration, createClientAdmin, type ClientAdmin, type ClientRegistration, type ClientView } from '../../lib/admin-clients';
import { argon2Hasher } from '../../lib/argon2';
import { createClientStore, parseClients } from '../../lib/clients';
import { isCommonPassword } from '../../lib/common-passwords';
import { loadClientsConfig, loadConfig, signerKeys, type Config, type Env } from '../../lib/config';
import { createDocumentClient } from '../../lib/dynamo';
import { AuthError, ConfigError } from '../../lib/errors';
import { createSessionStore } from '../../lib/sessions';
import { prepareUsername } from '../../lib/usernames';
import { createUserStore, type User } from '../../lib/users';
import { confirm, readPassword, type Input, type Output } from './prompt';
import { CliError, endpointTarget, localTarget, stageTarget, type StackReader, type TableId, type Target } from './target';

/**
 * `npm run admin -- <group> <action> …`: operates the accounts and the OAuth clients of the local data or of a
 * deployed stage with the service's own stores (lib/admin.ts, lib/admin-clients.ts). This file is the command
 * line only: parsing, the prompts, output.
 */

/** 0 done; 1 not done (an unknown user, a refused rule, no confirmation); 2 a bad command line. */
const EXIT = { ok: 0, notDone: 1, usage: 2 } as const;

/** What one command prints: JSON for --json, text otherwise. */
interface Printed {
  json: unknown;
  text: string;
}

interface Context {
  admin: AdminService;
  /** The user the first argument names, found once (a command that creates one never asks). */
  user(): Promise<User>;
  args: string[];
  config: Config;
  /** Where the tables are, for messages. */
  label: string;
  /** What `readsPassword` read. */
  password?: string;
}

/** What every command's help says: its arguments and options, and what it does. */
interface CommandHelp {
  args: string[];
  /** Its own options, as its usage line shows them after the arguments. */
  usage?: string;
  /** The options of OWN_OPTIONS it takes; any other of them is a usage error. */
  takes?: OwnOption[];
  summary: string;
  /** More lines for its --help. */
  details: string[];
  example: string;
}

/** The facts of one account command (user, scope, sessions): what it does, and what it destroys. */
interface AccountCommand extends CommandHelp {
  on?: undefined;
  /** What it would destroy, as "disable alice and end …" for the confirmation; absent: it asks nothing. */
  destroys?: (view: UserView) => string;
  /** Reads a new password (stdin or a prompt) before anything opens: a prompt must not hold the local data locked. */
  readsPassword?: true;
  run(context: Context): Promise<Printed>;
}

interface ClientContext {
  clients: ClientAdmin;
  args: string[];
  values: Values;
  /** Where the tables are, for messages. */
  label: string;
}

/** The facts of one client command: it opens the clients table only. */
interface ClientCommand extends CommandHelp {
  on: 'clients';
  /** Throws on a bad command line before any table opens (nothing is written, no local data is locked). */
  check?(args: string[], values: Values): void;
  /** What it would destroy, for the confirmation; absent: it asks nothing. */
  destroys?: (client: ClientView) => string;
  run(context: ClientContext): Promise<Printed>;
}

type Command = AccountCommand | ClientCommand;

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;
const liveSessions = (view: UserView) => plural(view.liveSessions, 'live session');

const ACCOUNT_COMMANDS: Record<string, AccountCommand> = {
  'user show': {
    args: ['username'],
    summary: 'what the service holds about a user',
    details: ['Its sub, name, creation, address, whether it is disabled, the scopes granted beyond DEFAULT_SCOPES,', 'its credential version and how many sessions would refresh now.'],
    example: 'user show alice',
    run: async ({ admin, user }) => userPrinted(await admin.view(await user())),
  },
  'user create': {
    args: ['username'],
    summary: 'a new user, by the rules of registration (no session starts)',
    details: [
      'The password comes from stdin when it is piped (one line), else it is typed twice at a prompt that',
      'does not echo. The name and the password follow registration\'s rules: the username profile, 8 to',
      '256 characters, not a common password; it is hashed with argon2id.',
    ],
    example: 'user create alice < password.txt',
    readsPassword: true,
    run: async ({ admin, args, label, password }) => {
      if (password === undefined) throw new Error('user create needs the password read first');
      const created = await admin.createUser(args[0]!, password);
      return { json: created, text: `Created ${created.username} in ${label}.\n\n${userTable(created)}` };
    },
  },
  'user disable': {
    args: ['username'],
    summary: 'no login, refresh or reset message until enabled; every session ends (asks first)',
    details: ['The credential version goes up in the same write, so every refresh token stops at once; access', 'tokens already issued keep working until they expire (ACCESS_TOKEN_TTL).'],
    example: 'user disable alice --yes',
    destroys: (view) => `disable ${view.username} (sub ${view.sub}) and end its ${liveSessions(view)}`,
    run: async ({ admin, user }) => {
      const done = await admin.disable(await user());
      return { json: done, text: `Disabled ${done.username}: ${plural(done.sessionsEnded, 'session')} ended.\n\n${userTable(done)}` };
    },
  },
  'user enable': {
    args: ['username'],
    summary: 'lets a disabled user log in again (the sessions that the disable ended stay ended)',
    details: [],
    example: 'user enable alice',
    run: async ({ admin, user }) => {
      const done = await admin.enable(await user());
      return { json: done, text: `Enabled ${done.username}.\n\n${userTable(done)}` };
    },
  },
  'user delete': {
    args: ['username'],
    summary: 'the user, its sessions, its name and its address claim, for good (asks first)',
    details: ['What DELETE /me does, without the password: the name can be registered again at once.'],
    example: 'user delete alice --yes',
    destroys: (view) => `delete ${view.username} (sub ${view.sub}) for good, with its ${liveSessions(view)}, and free the name`,
    run: async ({ admin, user }) => {
      const done = await admin.deleteUser(await user());
      return {
        json: { deleted: true, ...done },
        text: `Deleted ${done.username} (sub ${done.sub}); ${plural(done.sessionsDeleted, 'session item')} deleted. The name is free again.`,
      };
    },
  },
  'scope grant': {
    args: ['username', 'scope'],
    summary: 'a scope of SCOPES for this user, issued when a login asks for it',
    details: ['The scope must be in SCOPES. A login gets it only when it asks for it (scope: "profile admin").'],
    example: 'scope grant alice admin',
    run: async ({ admin, user, args }) => {
      const scope = args[1]!;
      const done = await admin.grantScope(await user(), scope);
      const said = done.changed ? `Granted ${scope} to ${done.username}: issued when a login asks for it.` : `${done.username} already had ${scope}: nothing changed.`;
      return { json: done, text: `${said}\n\n${userTable(done)}` };
    },
  },
  'scope revoke': {
    args: ['username', 'scope'],
    summary: 'withdraws a grant: no longer issued from the next refresh',
    details: ['Access tokens already issued keep the scope until they expire (ACCESS_TOKEN_TTL).'],
    example: 'scope revoke alice admin',
    run: async ({ admin, user, args, config }) => {
      const scope = args[1]!;
      const done = await admin.revokeScope(await user(), scope);
      const byDefault = config.defaultScopes.includes(scope) ? ` (${scope} is in DEFAULT_SCOPES: every user has it while it is there)` : '';
      const said = done.changed
        ? `Revoked ${scope} from ${done.username}: no longer issued from the next refresh; access tokens already issued keep it until they expire.${byDefault}`
        : `${done.username} had no grant of ${scope}: nothing changed.${byDefault}`;
      return { json: done, text: `${said}\n\n${userTable(done)}` };
    },
  },
  'sessions list': {
    args: ['username'],
    summary: 'the sessions that would refresh now, newest first',
    details: ['Expired sessions, and those that a disable, a password change or end-all ended, are not listed.'],
    example: 'sessions list alice',
    run: async ({ admin, user }) => {
      const owner = await user();
      const sessions = await admin.listSessions(owner);
      return {
        json: { sub: owner.sub, username: owner.displayName, sessions },
        text: sessions.length === 0 ? `${owner.displayName} has no live sessions.` : sessionsTable(sessions),
      };
    },
  },
  'sessions end': {
    args: ['username', 'session-id'],
    summary: 'ends one session: its refresh token stops working',
    details: ['The id is the one `sessions list` shows (and the `sid` claim of its access tokens).'],
    example: 'sessions end alice 3q2-7wEYyUdHGM9f3CQ5aA',
    run: async ({ admin, user, args }) => {
      const id = args[1]!;
      const owner = await user();
      await admin.endSession(owner, id);
      return { json: { sub: owner.sub, username: owner.displayName, sessionId: id, ended: true }, text: `Ended session ${id} of ${owner.displayName}.` };
    },
  },
  'sessions end-all': {
    args: ['username'],
    summary: 'ends every session of the user at once (asks first)',
    details: ['As POST /auth/logout {all: true}: the credential version goes up, so every refresh token stops.'],
    example: 'sessions end-all alice --yes',
    destroys: (view) => `end every session of ${view.username} (sub ${view.sub}): ${liveSessions(view)}`,
    run: async ({ admin, user }) => {
      const done = await admin.endAllSessions(await user());
      return { json: done, text: `Ended every session of ${done.username} (${plural(done.sessionsEnded, 'live session')}).` };
    },
  },
};

/** The client of `client add`'s command line, as OAUTH_CLIENTS would spell it. */
function registrationOf(args: string[], values: Values): ClientRegistration {
  const redirectUris = values['redirect-uri'] ?? [];
  if (redirectUris.length === 0) throw usageError('client add needs at least one --redirect-uri');
  return {
    client_id: args[0]!,
    redirect_uris: redirectUris,
    post_logout_redirect_uris: values['post-logout-redirect-uri'] ?? [],
    first_party: values['first-party'] === true,
    ...(values.name === undefined ? {} : { name: values.name }),
    confidential: values.confidential === true,
  };
}

const CLIENT_COMMANDS: Record<string, ClientCommand> = {
  'client add': {
    on: 'clients',
    args: ['client-id'],
    usage: '--redirect-uri <uri> [--redirect-uri <uri> …] [--post-logout-redirect-uri <uri> …] [--first-party] [--confidential] [--name <text>]',
    takes: ['redirect-uri', 'post-logout-redirect-uri', 'first-party', 'confidential', 'name'],
    summary: 'a new OAuth client in the clients table; a confidential one\'s secret is shown once',
    details: [
      'Redirect URIs match exactly: https; http on 127.0.0.1, [::1] (any port) or localhost only; or a native',
      'app\'s private-use scheme named as a reverse domain (com.example.app:/callback). No fragment. Every client',
      'uses PKCE (S256).',
      '  --first-party    the service\'s own app: no consent screen, and the password grant while PASSWORD_GRANT is on',
      '  --confidential   a server-side app that authenticates at the token endpoint with a secret: 32 random',
      '                   bytes, printed once. Only its SHA-256 is stored, so it cannot be shown again; if it is',
      '                   lost, remove the client and add it again.',
      '  --name           shown on the consent screen (the client id otherwise)',
      'An id that the table or OAUTH_CLIENTS already holds is refused, never overwritten.',
    ],
    example: 'client add billing --redirect-uri https://billing.example.com/callback --confidential --name Billing',
    check: (args, values) => void checkRegistration(registrationOf(args, values)),
    run: async ({ clients, args, values, label }) => {
      const added = await clients.add(registrationOf(args, values));
      const { client_secret: secret, ...view } = added;
      const said = `Added the client ${shown(view.client_id)} to ${label}.\n\n${clientTable(view)}`;
      if (secret === undefined) return { json: view, text: said };
      return {
        json: { ...view, client_secret: secret },
        text: `${said}\n\n${pairs([['client secret', secret]])}\n`
          + 'This is the only time the secret is shown: it cannot be shown again (the table holds only its SHA-256).\n'
          + 'Store it now; if it is lost, remove the client and add it again.',
      };
    },
  },
  'client list': {
    on: 'clients',
    args: [],
    summary: 'the OAuth clients, of OAUTH_CLIENTS and of the clients table (never a secret)',
    details: [
      'OAUTH_CLIENTS is read from this command\'s environment: for a stage, set it as the stage has it, or only',
      'the table\'s clients are listed.',
    ],
    example: 'client list --json',
    run: async ({ clients, label }) => {
      const listed = await clients.list();
      return {
        json: { clients: listed },
        text: listed.length === 0 ? `No clients: none in OAUTH_CLIENTS (as this command's environment has it), none in the clients table of ${label}.` : clientsTable(listed),
      };
    },
  },
  'client remove': {
    on: 'clients',
    args: ['client-id'],
    summary: 'removes a client from the clients table (asks first)',
    details: ['A client of OAUTH_CLIENTS is not in the table: edit OAUTH_CLIENTS (and deploy) to remove it.'],
    example: 'client remove billing --yes',
    destroys: (client) => `remove the client ${describeClient(client)} from the clients table`,
    run: async ({ clients, args, label }) => {
      const removed = await clients.remove(args[0]!);
      return { json: { removed: true, ...removed }, text: `Removed the client ${shown(removed.client_id)} from ${label}.` };
    },
  },
};

const COMMANDS: Record<string, Command> = { ...ACCOUNT_COMMANDS, ...CLIENT_COMMANDS };

const width = Math.max(...Object.entries(COMMANDS).map(([name, command]) => signature(name, command).length));

function signature(name: string, command: Command): string {
  return [name, ...command.args.map((arg) => `<${arg}>`)].join(' ');
}

const takesArgs = (name: string, command: Command) =>
  (command.args.length === 0 ? `${name} takes no argument` : `${name} takes ${command.args.map((arg) => `<${arg}>`).join(' ')}`);

const WHERE = `where (default: the local data of \`npm start\`, in DATA_DIR, default .data/; stop npm start first)
  --stage STAGE     a deployed stage: its tables are read from the CloudFormation stack jwt-auth-STAGE,
                    with your AWS credentials (AWS_PROFILE, or the AWS_ACCESS_KEY_ID… variables)
  --region REGION   the stage's region (default us-east-1, as serverless.yml's)
  --endpoint URL    testing and advanced: a DynamoDB endpoint, with the table names in USERS_TABLE,
                    USERNAMES_TABLE, EMAILS_TABLE, SESSIONS_TABLE and ATTEMPTS_TABLE (the client
                    commands: CLIENTS_TABLE)`;

const USAGE = `usage: npm run admin -- <command> [arguments] [--json] [--yes] [where]

commands
${Object.entries(COMMANDS).map(([name, command]) => `  ${signature(name, command).padEnd(width)}  ${command.summary}`).join('\n')}

options
  --json            JSON on stdout instead of text (through a pipe: npm run --silent admin -- …)
  --yes             do a destructive command without asking; needed when stdin is not a terminal
  --help            this text; after a command, that command's

${WHERE}

SCOPES, DEFAULT_SCOPES and OAUTH_CLIENTS are read from the environment, as the service reads them: for a
stage, set them as they were when it was deployed. Exit codes: 0 done, 1 not done (unknown user or client,
refused, not confirmed), 2 a bad command line.`;

function commandUsage(name: string, command: Command): string {
  const flags = command.destroys ? '[--yes] [--json]' : '[--json]';
  return [
    `usage: npm run admin -- ${[signature(name, command), command.usage, flags].filter(Boolean).join(' ')} [where]`,
    '',
    `${command.summary[0]!.toUpperCase()}${command.summary.slice(1)}.`,
    ...command.details,
    ...(command.destroys ? ['', 'Destructive: it asks for confirmation at a terminal; elsewhere, pass --yes.'] : []),
    '',
    'example',
    `  npm run admin -- ${command.example}`,
    '',
    WHERE,
  ].join('\n');
}

/** The streams and environment of a run; tests pass their own, and a stage reader instead of AWS. */
export interface AdminIo {
  env: Env;
  stdin: Input;
  stdout: Output;
  stderr: Output;
  cloudformation?: StackReader;
  /** Milliseconds since the epoch. */
  now?: () => number;
}

const usageError = (message: string) => new CliError(EXIT.usage, message);

const VALUE_OPTIONS = ['--stage', '--region', '--endpoint', '--redirect-uri', '--post-logout-redirect-uri', '--name'];

/** The options that only some commands take (each command's `takes`). */
const OWN_OPTIONS = ['redirect-uri', 'post-logout-redirect-uri', 'first-party', 'confidential', 'name'] as const;
type OwnOption = (typeof OWN_OPTIONS)[number];

type Values = ReturnType<typeof parse>['values'];

/**
 * Options are long (--json); anything else is an argument, even when it starts with "-" (a session id is
 * base64url, a username may start with "-"). `--stage prod` is joined to `--stage=prod` first.
 */
function parse(argv: string[]) {
  const options: string[] = [];
  const positionals: string[] = [];
  const rest = [...argv];
  for (let arg = rest.shift(); arg !== undefined; arg = rest.shift()) {
    if (arg === '--') positionals.push(...rest.splice(0));
    else if (VALUE_OPTIONS.includes(arg) && rest.length > 0) options.push(`${arg}=${rest.shift()}`);
    else if (arg.startsWith('--')) options.push(arg);
    else positionals.push(arg);
  }
  try {
    const { values } = parseArgs({
      args: options,
      options: {
        json: { type: 'boolean' },
        yes: { type: 'boolean' },
        help: { type: 'boolean' },
        stage: { type: 'string' },
        region: { type: 'string' },
        endpoint: { type: 'string' },
        'redirect-uri': { type: 'string', multiple: true },
        'post-logout-redirect-uri': { type: 'string', multiple: true },
        'first-party': { type: 'boolean' },
        confidential: { type: 'boolean' },
        name: { type: 'string' },
      },
    });
    return { values, positionals };
  } catch (error) {
    throw usageError((error as Error).message);
  }
}

/** Runs one command line (what follows `admin.ts`) and returns its exit code. */
export async function runAdmin(argv: string[], io: AdminIo): Promise<number> {
  try {
    await main(argv, io);
    return EXIT.ok;
  } catch (error) {
    const code = error instanceof CliError ? error.code : EXIT.notDone;
    io.stderr.write(`npm run admin: ${describe(error)}\n`);
    if (code === EXIT.usage) io.stderr.write('(npm run admin -- --help lists the commands)\n');
    return code;
  }
}

/** The message of an error, and for a storage fault, what DynamoDB said. */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error instanceof AuthError && error.code === 'temporarily_unavailable' && error.cause instanceof Error) {
    return `DynamoDB failed: ${error.cause.name}: ${error.cause.message}`;
  }
  if (error instanceof ConfigError) return `${error.message} (in this command's environment)`;
  return error.message;
}

async function main(argv: string[], io: AdminIo): Promise<void> {
  const { values, positionals } = parse(argv);
  const [group, action, ...args] = positionals;
  const name = `${group} ${action}`;
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (values.help) {
    io.stdout.write(`${command ? commandUsage(name, command) : USAGE}\n`);
    return;
  }
  if (group === undefined) throw usageError('no command');
  if (!command) {
    const actions = Object.keys(COMMANDS).filter((key) => key.startsWith(`${group} `)).map((key) => key.slice(group.length + 1));
    const typed = positionals.slice(0, 2).join(' ');
    throw usageError(actions.length > 0 ? `unknown command "${typed}"; the ${group} commands are ${actions.join(', ')}` : `unknown command "${typed}"`);
  }
  if (args.length !== command.args.length) {
    throw usageError(`${takesArgs(name, command)}${args.length > command.args.length ? `; "${args[command.args.length]}" is one too many` : ''}`);
  }
  const stray = OWN_OPTIONS.find((option) => values[option] !== undefined && !command.takes?.includes(option));
  if (stray !== undefined) throw usageError(`${name} takes no --${stray}`);
  if (values.stage !== undefined && values.endpoint !== undefined) throw usageError('--stage and --endpoint are two places: give one');
  if (values.region !== undefined && values.stage === undefined) throw usageError('--region goes with --stage');
  if (values.stage !== undefined && !/^[A-Za-z0-9-]+$/.test(values.stage)) throw usageError(`"${values.stage}" is not a stage name (letters, digits and "-")`);
  if (command.on === 'clients') return runClientCommand(name, command, args, values, io);

  const username = args[0]!;
  const password = command.readsPassword ? await newPassword(username, io) : undefined;

  const target = await openTarget(values, io);
  const config = adminConfig(io.env, target);
  const doc = createDocumentClient(config);
  try {
    const admin = createAdminService({
      config,
      users: createUserStore(doc, { users: config.usersTable, usernames: config.usernamesTable, emails: config.emailsTable }),
      sessions: createSessionStore(doc, config.sessionsTable, {
        idleTtl: config.refreshTokenIdleTtl,
        absoluteTtl: config.refreshTokenAbsoluteTtl,
        reuseGrace: config.refreshTokenReuseGrace,
      }),
      passwords: argon2Hasher,
      isCommonPassword,
      now: io.now,
    });
    let found: Promise<User> | undefined;
    const user = () => (found ??= admin.find(username));
    // The user first, so that a confirmation names who it is about and what it ends.
    if (command.destroys) await confirmed(name, command.destroys(await admin.view(await user())), values.yes === true, io);
    const printed = await command.run({ admin, user, args, config, label: target.label, password });
    print(printed, values, io);
  } finally {
    doc.destroy();
    await target.close();
  }
}

function print(printed: Printed, values: Values, io: AdminIo): void {
  io.stdout.write(values.json ? `${JSON.stringify(printed.json, null, 2)}\n` : `${printed.text}\n`);
}

/**
 * A client command: OAUTH_CLIENTS as this command's environment has it (a bad one fails before anything
 * opens), then the clients table alone; a removal names the client it found before it asks.
 */
async function runClientCommand(name: string, command: ClientCommand, args: string[], values: Values, io: AdminIo): Promise<void> {
  command.check?.(args, values);
  const configured = parseClients(io.env.OAUTH_CLIENTS, 'OAUTH_CLIENTS');
  const target = await openTarget(values, io, ['ClientsTable']);
  try {
    const { clientsTable } = loadClientsConfig(target.env);
    const doc = createDocumentClient(dynamoOf(target.env));
    try {
      const clients = createClientAdmin({ clients: createClientStore(doc, clientsTable, configured), configured });
      if (command.destroys) await confirmed(name, command.destroys(await clients.removable(args[0]!)), values.yes === true, io);
      print(await command.run({ clients, args, values, label: target.label }), values, io);
    } finally {
      doc.destroy();
    }
  } finally {
    await target.close();
  }
}

/**
 * The region and endpoint of the target's DynamoDB, as lib/dynamo.ts takes them: the client commands load
 * no account settings (`loadConfig` insists on every account table, which they never open).
 */
function dynamoOf(env: Env): { region: string; dynamodbEndpoint: string | undefined } {
  const endpoint = env.DYNAMODB_ENDPOINT?.trim() || undefined;
  if (endpoint !== undefined && !/^https?:\/\/[^\s]+$/.test(endpoint)) throw usageError(`--endpoint must be an http(s) URL, got "${endpoint}"`);
  return { region: env.AWS_REGION?.trim() || 'us-east-1', dynamodbEndpoint: endpoint };
}

/** The username is checked first, so that no one types a password for a name that registration refuses. */
async function newPassword(username: string, io: AdminIo): Promise<string> {
  prepareUsername(username);
  return readPassword(io.stdin, io.stderr, username);
}

async function confirmed(name: string, impact: string, yes: boolean, io: AdminIo): Promise<void> {
  if (yes) return;
  if (!io.stdin.isTTY) {
    throw new CliError(EXIT.notDone, `${name} would ${impact}. Nothing was done: stdin is not a terminal, so there is no one to ask; pass --yes to confirm.`);
  }
  if (!(await confirm(io.stdin, io.stderr, `${impact[0]!.toUpperCase()}${impact.slice(1)}?`))) throw new CliError(EXIT.notDone, 'not confirmed; nothing was done');
}

/** The tables a command works on, where --stage or --endpoint say, else in the local data; by default the account tables. */
function openTarget(values: { stage?: string; region?: string; endpoint?: string }, io: AdminIo, tables?: readonly TableId[]): Promise<Target> {
  if (values.stage !== undefined) return stageTarget(values.stage, values.region ?? 'us-east-1', { cloudformation: io.cloudformation, tables });
  if (values.endpoint !== undefined) return Promise.resolve(endpointTarget(values.endpoint, io.env, { tables }));
  return localTarget(io.env, { tables });
}

/**
 * The service's own configuration (lib/config.ts) for the target's tables, with the caller's SCOPES and
 * DEFAULT_SCOPES. This command signs and verifies nothing: the issuer and the key source that a function
 * must have are placeholders, never read.
 */
export function adminConfig(env: Env, target: Target): Config {
  return loadConfig({
    DEFAULT_SCOPES: env.DEFAULT_SCOPES,
    SCOPES: env.SCOPES,
    ...target.env,
    ISSUER: 'https://admin.invalid',
    SIGNING_KEYS_SECRET: 'unused-by-npm-run-admin',
  }, signerKeys);
}

const yesNo = (value: boolean) => (value ? 'yes' : 'no');

/** Rows of two columns, the first padded. */
function pairs(rows: [string, string][]): string {
  const first = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `${label.padEnd(first)}  ${value}`).join('\n');
}

function userTable(view: UserView): string {
  return pairs([
    ['username', view.username],
    ['sub', view.sub],
    ['created', view.created],
    ['email', view.email === null ? 'none' : `${view.email} (${view.emailVerified ? 'verified' : 'not verified'})`],
    ['disabled', yesNo(view.disabled)],
    ['granted scopes', view.scopes.length === 0 ? 'none' : view.scopes.join(' ')],
    ['credential version', String(view.credentialVersion)],
    ['live sessions', String(view.liveSessions)],
  ]);
}

function userPrinted(view: UserView): Printed {
  return { json: view, text: userTable(view) };
}

function sessionsTable(sessions: SessionView[]): string {
  return columns([['ID', 'CLIENT', 'DEVICE', 'CREATED', 'LAST USED', 'FROM', 'EXPIRES'], ...sessions.map((s) => [s.id, s.clientId, s.device ?? '-', s.createdAt, s.lastUsedAt, s.lastSeenFrom ?? '-', s.expiresAt])]);
}

/** Rows under a header, each column but the last padded to its widest cell. */
function columns(rows: string[][]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  ')).join('\n');
}

/**
 * Text from a client's registration as a terminal can show it: control and direction-changing characters
 * (an item edited by hand, a pasted URI) are written as escapes, never sent to the terminal.
 */
const shown = (text: string) =>
  text.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`);

const uriList = (uris: string[]) => (uris.length === 0 ? 'none' : uris.map(shown).join(' '));

/** "web ("Web app", confidential, first-party; redirect URIs https://…)", for a confirmation. */
function describeClient(client: ClientView): string {
  const name = client.name === null ? '' : `"${shown(client.name)}", `;
  return `${shown(client.client_id)} (${name}${client.type}, ${client.first_party ? 'first-party' : 'third-party'}; redirect URIs ${uriList(client.redirect_uris)})`;
}

function clientTable(client: ClientView): string {
  return pairs([
    ['client id', shown(client.client_id)],
    ['name', client.name === null ? 'none' : shown(client.name)],
    ['type', client.type],
    ['first-party', yesNo(client.first_party)],
    ['redirect URIs', uriList(client.redirect_uris)],
    ['post-logout redirect URIs', uriList(client.post_logout_redirect_uris)],
    ['source', client.source],
  ]);
}

function clientsTable(clients: ClientView[]): string {
  return columns([
    ['CLIENT ID', 'TYPE', 'FIRST-PARTY', 'SOURCE', 'REDIRECT URIS'],
    ...clients.map((client) => [shown(client.client_id), client.type, yesNo(client.first_party), client.source, uriList(client.redirect_uris)]),
  ]);
}
