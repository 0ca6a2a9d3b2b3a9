/**
 * What `serverless package` (run once per stage, offline, without AWS credentials) would deploy: no private
 * key anywhere, one least-privilege role per function, each function's environment exactly what its code
 * reads, tables fit for production, the cached authorizer, the stage throttle, and small bundles that carry
 * only what each function uses. Packaged with a real key set's public half (tests/support/global-package.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { packaged as packagedStage, resourcesOfType, unzipEntry, zipEntries, type CfnResource, type PackagedService, type Stage } from '../support/package';
import { ROOT } from '../support/root';

const packages: Partial<Record<Stage, PackagedService>> = {};
beforeAll(async () => {
  [packages.dev, packages.prod] = await Promise.all([packagedStage('dev'), packagedStage('prod')]);
}, 250_000);
const stage = (name: Stage) => packages[name]!;
const dev = () => stage('dev');

const functionsOf = (service: PackagedService) =>
  new Map(resourcesOfType(service.resources, 'AWS::Lambda::Function').map(([, fn]) => [(fn.Properties.Handler as string).replace(/^functions\/|\.handler$/g, ''), fn]));
const zipOf = (service: PackagedService, fn: CfnResource) => path.join(service.dir, path.basename(fn.Properties.Code.S3Key as string));
const fn = (name: string, service = dev()) => functionsOf(service).get(name)!;

/** A function's bundle, as Lambda would load it. */
async function bundleOf(name: string, service = dev()): Promise<string> {
  const handler = fn(name, service);
  return unzipEntry(zipOf(service, handler), `${(handler.Properties.Handler as string).replace(/\.handler$/, '')}.js`);
}

const ALL = [
  'authorize', 'authorizer', 'delete-me', 'discovery', 'email', 'example-orders', 'forgot-password', 'jwks', 'login', 'logout', 'mailer', 'me', 'password',
  'preflight', 'refresh', 'register', 'reset-password', 'revoke', 'sessions-delete', 'sessions-list', 'token', 'userinfo', 'verify-email',
];
const SIGNERS = ['login', 'refresh', 'register', 'token'];
const HASHERS = ['authorize', 'delete-me', 'email', 'login', 'password', 'register', 'reset-password', 'token'];
const SETTERS = ['authorize', 'password', 'register', 'reset-password'];
const NO_SDK = ['authorizer', 'discovery', 'example-orders', 'jwks', 'preflight'];
/** The functions that hand messages to the mailer (a Lambda client), and the mailer (SES and Lambda clients, no table). */
const QUEUERS = ['authorize', 'email', 'forgot-password', 'register'];
const NO_TABLES = [...NO_SDK, 'mailer'];

describe('no private key anywhere in the package', () => {
  it.each(['dev', 'prod'] as Stage[])('%s: neither the test key set’s private members, nor any "d" or PEM private key, in any file or zip entry', async (name) => {
    const service = stage(name);
    const privateValues = (JSON.parse(process.env.PACKAGE_PRIVATE_KEYS!).keys as { d: string }[]).map((key) => key.d);
    const texts: [string, string][] = [];
    for (const file of fs.readdirSync(service.dir)) {
      const full = path.join(service.dir, file);
      if (file.endsWith('.zip')) {
        for (const entry of await zipEntries(full)) if (!entry.endsWith('.node')) texts.push([`${file}:${entry}`, await unzipEntry(full, entry)]);
      } else texts.push([file, fs.readFileSync(full, 'utf8')]);
    }

    const leaks = texts.filter(([, text]) =>
      privateValues.some((value) => text.includes(value)) || /"d"\s*:\s*"[\w-]{20,}"/.test(text) || /-----BEGIN [A-Z ]*PRIVATE KEY-----\s*[A-Za-z0-9+/]{16}/.test(text));

    expect(texts.length).toBeGreaterThan(ALL.length * 2);
    expect(leaks.map(([where]) => where)).toEqual([]);
  });

  it('gives the functions that only verify the public set, and those that sign only the name of the secret', () => {
    for (const [name, handler] of functionsOf(dev())) {
      const env = handler.Properties.Environment.Variables as Record<string, unknown>;
      expect(env.SIGNING_KEYS).toBeUndefined();
      if (SIGNERS.includes(name)) expect(env).toMatchObject({ SIGNING_KEYS_SECRET: 'jwt-auth/dev/signing-keys' });
      else if (!['preflight', 'example-orders', 'mailer'].includes(name)) expect(JSON.parse(env.PUBLIC_JWKS as string).keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', use: 'sig' });
    }
  });
});

describe('each function’s environment', () => {
  /** Every variable lib/config.ts can read, from its own source. */
  const universe = ['lib/config.ts', 'lib/mailer-config.ts'].flatMap((file) =>
    [...fs.readFileSync(path.join(ROOT, file), 'utf8').matchAll(/(?:'|env\.)([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|ISSUER|AUDIENCE|REALM|SCOPES)\b/g)].map((match) => match[1]!),
  );
  /** Given by Lambda itself, or read only locally (`npm start` passes them), never by a deployed template. */
  const NOT_IN_TEMPLATES = ['AWS_REGION', 'AWS_LAMBDA_FUNCTION_NAME', 'SIGNING_KEYS', 'DYNAMODB_ENDPOINT', 'OUTBOX_DIR'];

  it('holds every variable its bundle reads, and no other (NODE_OPTIONS and Powertools’ aside)', async () => {
    expect(universe).toEqual(expect.arrayContaining(['ISSUER', 'PUBLIC_JWKS', 'SIGNING_KEYS_SECRET', 'USERS_TABLE', 'MAX_SESSIONS_PER_USER']));
    for (const name of ALL) {
      const bundle = await bundleOf(name);
      const read = [...new Set(universe)].filter((variable) => new RegExp(`["'.]${variable}\\b`).test(bundle) && !NOT_IN_TEMPLATES.includes(variable));
      // Node's own, and Powertools' (tests/package/operations.test.ts), are given to every function.
      const given = Object.keys(fn(name).Properties.Environment.Variables).filter((variable) => variable !== 'NODE_OPTIONS' && !variable.startsWith('POWERTOOLS_'));

      expect({ name, given: given.sort() }).toEqual({ name, given: read.sort() });
    }
  });

  it('names each table by CloudFormation’s own name (a Ref), so a replaced table never clashes with the old one', () => {
    const env = fn('login').Properties.Environment.Variables;

    expect(env).toMatchObject({ USERS_TABLE: { Ref: 'UsersTable' }, USERNAMES_TABLE: { Ref: 'UsernamesTable' }, EMAILS_TABLE: { Ref: 'EmailsTable' }, SESSIONS_TABLE: { Ref: 'SessionsTable' }, ATTEMPTS_TABLE: { Ref: 'LoginAttemptsTable' } });
    for (const [, table] of resourcesOfType(dev().resources, 'AWS::DynamoDB::Table')) expect(table.Properties.TableName).toBeUndefined();
  });
});

describe('least privilege: one role per function', () => {
  const arn = (table: string) => ({ 'Fn::GetAtt': [table, 'Arn'] });
  const INDEX = { 'Fn::Join': ['', [arn('SessionsTable'), '/index/bySub']] };
  const SECRET = 'secretsmanager:GetSecretValue';
  const GUARD = ['GetItem', 'UpdateItem', 'DeleteItem'].map((action) => [`dynamodb:${action}`, arn('LoginAttemptsTable')] as [string, unknown]);
  const QUEUE_MAIL: [string, unknown] = ['lambda:InvokeFunction', arn('MailerLambdaFunction')];
  /** What each function may do to what: "action resource" pairs, besides writing its own logs. */
  const RIGHTS: Record<string, [string, unknown][]> = {
    authorizer: [],
    discovery: [],
    'example-orders': [],
    jwks: [],
    preflight: [],
    register: [
      ...['GetItem', 'PutItem', 'DeleteItem'].flatMap((action) => [[`dynamodb:${action}`, arn('UsersTable')], [`dynamodb:${action}`, arn('UsernamesTable')]] as [string, unknown][]),
      ...['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem'].map((action) => [`dynamodb:${action}`, arn('SessionsTable')] as [string, unknown]),
      ['dynamodb:Query', INDEX],
      QUEUE_MAIL,
    ],
    'forgot-password': [
      ...GUARD,
      ['dynamodb:GetItem', arn('UsernamesTable')],
      ['dynamodb:GetItem', arn('EmailsTable')],
      ['dynamodb:GetItem', arn('UsersTable')],
      ['dynamodb:UpdateItem', arn('UsersTable')],
      QUEUE_MAIL,
    ],
    'reset-password': [['dynamodb:GetItem', arn('UsersTable')], ['dynamodb:UpdateItem', arn('UsersTable')], ['dynamodb:BatchWriteItem', arn('SessionsTable')], ['dynamodb:Query', INDEX]],
    email: [['dynamodb:GetItem', arn('UsersTable')], ['dynamodb:UpdateItem', arn('UsersTable')], ...GUARD, QUEUE_MAIL],
    'verify-email': [
      ['dynamodb:GetItem', arn('UsersTable')],
      ['dynamodb:UpdateItem', arn('UsersTable')],
      ...['GetItem', 'PutItem', 'DeleteItem'].map((action) => [`dynamodb:${action}`, arn('EmailsTable')] as [string, unknown]),
    ],
    'delete-me': [
      ...['UsersTable', 'UsernamesTable', 'EmailsTable'].flatMap((table) => [['dynamodb:GetItem', arn(table)], ['dynamodb:DeleteItem', arn(table)]] as [string, unknown][]),
      ...GUARD,
      ['dynamodb:BatchWriteItem', arn('SessionsTable')],
      ['dynamodb:Query', INDEX],
    ],
    mailer: [
      ['ses:SendEmail', { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ses:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':identity/*']] }],
      [
        'lambda:InvokeFunction',
        {
          'Fn::If': [
            'HasMailSenderFunction',
            'arn:aws:lambda:us-east-1:123456789012:function:my-sender',
            { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':lambda:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':function:jwt-auth-dev-no-sender']] },
          ],
        },
      ],
    ],
    login: [
      ...['GetItem', 'UpdateItem', 'DeleteItem'].map((action) => [`dynamodb:${action}`, arn('LoginAttemptsTable')] as [string, unknown]),
      ['dynamodb:GetItem', arn('UsernamesTable')],
      ['dynamodb:GetItem', arn('UsersTable')],
      ['dynamodb:UpdateItem', arn('UsersTable')],
      ...['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem'].map((action) => [`dynamodb:${action}`, arn('SessionsTable')] as [string, unknown]),
      ['dynamodb:Query', INDEX],
    ],
    refresh: [['dynamodb:GetItem', arn('UsersTable')], ...['GetItem', 'UpdateItem', 'DeleteItem'].map((action) => [`dynamodb:${action}`, arn('SessionsTable')] as [string, unknown])],
    logout: [['dynamodb:UpdateItem', arn('UsersTable')], ['dynamodb:DeleteItem', arn('SessionsTable')], ['dynamodb:BatchWriteItem', arn('SessionsTable')], ['dynamodb:Query', INDEX]],
    revoke: [['dynamodb:DeleteItem', arn('SessionsTable')]],
    me: [['dynamodb:GetItem', arn('UsersTable')]],
    'sessions-list': [['dynamodb:GetItem', arn('UsersTable')], ['dynamodb:Query', INDEX], ['dynamodb:BatchGetItem', arn('SessionsTable')]],
    'sessions-delete': [['dynamodb:GetItem', arn('SessionsTable')], ['dynamodb:DeleteItem', arn('SessionsTable')]],
    password: [
      ['dynamodb:GetItem', arn('UsersTable')],
      ['dynamodb:UpdateItem', arn('UsersTable')],
      ...['GetItem', 'UpdateItem', 'DeleteItem'].map((action) => [`dynamodb:${action}`, arn('LoginAttemptsTable')] as [string, unknown]),
      ['dynamodb:UpdateItem', arn('SessionsTable')],
      ['dynamodb:BatchWriteItem', arn('SessionsTable')],
      ['dynamodb:Query', INDEX],
    ],
  };
  const READ_CLIENTS: [string, unknown] = ['dynamodb:GetItem', arn('ClientsTable')];
  RIGHTS.login = [...RIGHTS.login!, READ_CLIENTS];
  // The token endpoint also redeems codes (the update that marks one used returns it) and records the session issued in its browser session.
  RIGHTS.token = [...RIGHTS.login, ['dynamodb:UpdateItem', arn('CodesTable')], ['dynamodb:UpdateItem', arn('BrowserSessionsTable')]];
  RIGHTS.userinfo = [['dynamodb:GetItem', arn('UsersTable')]];
  // The hosted pages: sign in (rehash), sign up (taken back on failure), reset links and resets, codes, browser sessions, sign-out.
  RIGHTS.authorize = [
    READ_CLIENTS,
    ...GUARD,
    ['dynamodb:GetItem', arn('EmailsTable')],
    QUEUE_MAIL,
    ...['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem'].map((action) => [`dynamodb:${action}`, arn('UsersTable')] as [string, unknown]),
    ...['GetItem', 'PutItem', 'DeleteItem'].map((action) => [`dynamodb:${action}`, arn('UsernamesTable')] as [string, unknown]),
    ['dynamodb:PutItem', arn('CodesTable')],
    ...['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem'].map((action) => [`dynamodb:${action}`, arn('BrowserSessionsTable')] as [string, unknown]),
    ['dynamodb:DeleteItem', arn('SessionsTable')],
    ['dynamodb:BatchWriteItem', arn('SessionsTable')],
    ['dynamodb:Query', INDEX],
  ];

  /** The role a function runs as, and its statements as "action resource" pairs (its own logs left out). */
  function rightsOf(name: string, service = dev()) {
    const role = service.resources[fn(name, service).Properties.Role['Fn::GetAtt'][0] as string]!;
    const statements = role.Properties.Policies.flatMap((policy: { PolicyDocument: { Statement: Record<string, unknown>[] } }) => policy.PolicyDocument.Statement);
    const pairs: [string, unknown][] = [];
    for (const statement of statements) {
      expect(statement.Effect).toBe('Allow');
      for (const action of ([] as string[]).concat(statement.Action as string)) {
        if (action.startsWith('logs:')) continue;
        for (const resource of ([] as unknown[]).concat(statement.Resource)) pairs.push([action, resource]);
      }
    }
    return { role, pairs };
  }
  const key = ([action, resource]: [string, unknown]) => `${action} ${JSON.stringify(resource)}`;

  it.each(ALL)('%s gets exactly its rights, and the secret only if it signs', (name) => {
    const { pairs } = rightsOf(name);
    const expected = [...RIGHTS[name]!, ...(SIGNERS.includes(name) ? [[SECRET, 'secret'] as [string, unknown]] : [])];

    expect(pairs.map((pair) => (pair[0] === SECRET ? `${SECRET} "secret"` : key(pair))).sort()).toEqual(expected.map(key).sort());
  });

  it('gives every function a role of its own, and the authorizer none that touches data', () => {
    const roles = ALL.map((name) => fn(name).Properties.Role['Fn::GetAtt'][0]);

    expect(new Set(roles).size).toBe(ALL.length);
    expect(JSON.stringify(rightsOf('authorizer').role.Properties.Policies)).not.toMatch(/dynamodb|secretsmanager/);
  });

  it('lets a signer read exactly the stage’s key-set secret (its ARN, with the six characters Secrets Manager adds)', () => {
    const statement = rightsOf('login').role.Properties.Policies[0].PolicyDocument.Statement.find((s: { Action: string[] }) => s.Action.includes(SECRET));

    expect(JSON.stringify(statement.Resource)).toContain('":secret:","jwt-auth/dev/signing-keys","-??????"');
  });
});

describe('tables', () => {
  it.each(['dev', 'prod'] as Stage[])('%s: every table on demand, with point-in-time recovery', (name) => {
    for (const [, table] of resourcesOfType(stage(name).resources, 'AWS::DynamoDB::Table')) {
      expect(table.Properties).toMatchObject({ BillingMode: 'PAY_PER_REQUEST', PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } });
    }
  });

  it('expires sessions, password attempts, codes and browser sessions by TTL', () => {
    const { SessionsTable, LoginAttemptsTable, CodesTable, BrowserSessionsTable } = dev().resources;

    for (const table of [SessionsTable!, LoginAttemptsTable!, CodesTable!, BrowserSessionsTable!]) expect(table.Properties.TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
  });

  it('keeps prod’s tables on a stack deletion or replacement, with deletion protection; dev’s may go', () => {
    for (const [, table] of resourcesOfType(stage('prod').resources, 'AWS::DynamoDB::Table')) {
      expect(table).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain', Properties: { DeletionProtectionEnabled: true } });
    }
    for (const [, table] of resourcesOfType(dev().resources, 'AWS::DynamoDB::Table')) {
      expect(table).toMatchObject({ DeletionPolicy: 'Delete', Properties: { DeletionProtectionEnabled: false } });
    }
  });
});

describe('API Gateway', () => {
  it('has one TOKEN authorizer on the Authorization header, whose verdicts are cached for five minutes', () => {
    const authorizers = resourcesOfType(dev().resources, 'AWS::ApiGateway::Authorizer');

    expect(authorizers).toHaveLength(1);
    expect(authorizers[0]![1].Properties).toMatchObject({ Type: 'TOKEN', IdentitySource: 'method.request.header.Authorization', AuthorizerResultTtlInSeconds: 300 });
  });

  it('throttles the stage: rate and burst on the deployment’s stage and every method', () => {
    const [[, deployment]] = resourcesOfType(dev().resources, 'AWS::ApiGateway::Deployment') as [[string, CfnResource]];

    expect(deployment.Properties.StageDescription).toMatchObject({
      ThrottlingRateLimit: 100,
      ThrottlingBurstLimit: 200,
      MethodSettings: [{ HttpMethod: '*', ResourcePath: '/*', ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 }],
    });
  });

  it('exports the authorizer’s ARN and the API’s ids for other services (README, "Protect your own API")', () => {
    expect(dev().outputs).toMatchObject({
      AuthorizerArn: { Value: { 'Fn::GetAtt': ['AuthorizerLambdaFunction', 'Arn'] }, Export: { Name: 'jwt-auth-dev-AuthorizerArn' } },
      RestApiId: { Value: { Ref: 'ApiGatewayRestApi' }, Export: { Name: 'jwt-auth-dev-RestApiId' } },
      RestApiRootResourceId: { Export: { Name: 'jwt-auth-dev-RestApiRootResourceId' } },
    });
  });

  it('maps a custom domain only when one is configured', () => {
    expect(dev().resources.CustomDomain).toMatchObject({ Condition: 'HasCustomDomain', Properties: { EndpointConfiguration: { Types: ['REGIONAL'] }, SecurityPolicy: 'TLS_1_2' } });
    expect(dev().resources.CustomDomainMapping).toMatchObject({ Condition: 'HasCustomDomain' });
  });
});

describe('bundles', () => {
  /** The unpacked size of a function's JavaScript, and the names of its zip's entries. */
  async function contentsOf(name: string) {
    const zip = zipOf(dev(), fn(name));
    const entries = await zipEntries(zip);
    return { entries, bundle: await bundleOf(name) };
  }

  it('keeps the authorizer under 30 KB unpacked, with no AWS SDK and no native addon', async () => {
    const { entries, bundle } = await contentsOf('authorizer');

    expect(Buffer.byteLength(bundle)).toBeLessThan(30 * 1024);
    expect(bundle).toContain('execute-api:Invoke');
    expect(bundle).not.toMatch(/DynamoDB_20120810|secretsmanager/);
    expect(entries.filter((entry) => entry.startsWith('node_modules/'))).toEqual([]);
  });

  it.each(ALL)('%s carries the argon2 addon (for Lambda’s arm64) only if it hashes, and the AWS SDK only if it calls it', async (name) => {
    const { entries, bundle } = await contentsOf(name);
    const addons = entries.filter((entry) => entry.endsWith('.node'));

    expect(addons).toEqual(HASHERS.includes(name) ? ['node_modules/@node-rs/argon2-linux-arm64-gnu/argon2.linux-arm64-gnu.node'] : []);
    expect(bundle.includes('DynamoDB_20120810')).toBe(!NO_TABLES.includes(name));
    expect(bundle.includes('AWSGirApiService')).toBe(QUEUERS.includes(name) || name === 'mailer'); // the Lambda client
    expect(bundle.includes('secretsmanager')).toBe(SIGNERS.includes(name));
    expect(bundle.includes('qwerty')).toBe(SETTERS.includes(name)); // the common-password list
  });

  it.each(ALL)('%s is minified, for Lambda’s Node 22, with a source map that --enable-source-maps finds when turned on', async (name) => {
    const { entries, bundle } = await contentsOf(name);
    const handler = (fn(name).Properties.Handler as string).replace(/\.handler$/, '');

    // Off by default (the `nodeOptions` param): parsing the maps costs every cold start.
    expect(fn(name).Properties).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'], Environment: { Variables: { NODE_OPTIONS: '' } } });
    expect(bundle.length / bundle.split('\n').length).toBeGreaterThan(1000); // minified: long lines
    expect(bundle.trimEnd().endsWith(`//# sourceMappingURL=${path.basename(handler)}.js.map`)).toBe(true);
    expect(entries).toContain(`${handler}.js.map`);
  });
});
