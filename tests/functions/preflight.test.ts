/**
 * The deployed entry points as Lambda loads them: functions/preflight.ts and the `handler` exports wrapped
 * in corsHandler read CORS_ORIGINS through settings(), which loads once per container. Each configuration
 * is therefore a fresh module registry (jest.isolateModules), a cold start with its own environment.
 */
import { bodyOf, proxyEvent, uniqueUsername } from '../support/app';
import { startDynalite, type LocalDynamo } from '../support/dynalite';
import { signingJwks, signingKeysJson } from '../support/keys';

type PreflightModule = typeof import('../../functions/preflight');
type RegisterModule = typeof import('../../functions/register');

const APP = 'https://app.example.com';
const ADMIN = 'http://localhost:5173';
const ENV_NAMES = [
  'ISSUER', 'SIGNING_KEYS', 'USERS_TABLE', 'USERNAMES_TABLE', 'EMAILS_TABLE', 'SESSIONS_TABLE', 'ATTEMPTS_TABLE', 'CORS_ORIGINS', 'DYNAMODB_ENDPOINT', 'AWS_REGION', 'AWS_LAMBDA_FUNCTION_NAME',
  'PASSWORD_RESET_URL', 'EMAIL_VERIFICATION_URL', 'MAILER_FUNCTION',
];

let dynamo: LocalDynamo;
let signingKeys: string;
const savedEnv: Record<string, string | undefined> = {};

beforeAll(async () => {
  dynamo = await startDynalite();
  signingKeys = signingKeysJson(await signingJwks('ES256'));
  for (const name of ENV_NAMES) savedEnv[name] = process.env[name];
});
afterEach(() => {
  for (const name of ENV_NAMES) {
    if (savedEnv[name] === undefined) delete process.env[name];
    else process.env[name] = savedEnv[name];
  }
});
afterAll(() => dynamo.stop());

/** Sets the environment a deployment would have, with `overrides` (undefined: unset). */
function deployWith(overrides: Record<string, string | undefined>): void {
  const env: Record<string, string | undefined> = {
    ISSUER: 'https://auth.example.test',
    SIGNING_KEYS: signingKeys,
    USERS_TABLE: dynamo.tables.UsersTable,
    USERNAMES_TABLE: dynamo.tables.UsernamesTable,
    EMAILS_TABLE: dynamo.tables.EmailsTable,
    SESSIONS_TABLE: dynamo.tables.SessionsTable,
    ATTEMPTS_TABLE: dynamo.tables.LoginAttemptsTable,
    DYNAMODB_ENDPOINT: dynamo.endpoint,
    AWS_REGION: 'us-east-1',
    AWS_LAMBDA_FUNCTION_NAME: undefined,
    PASSWORD_RESET_URL: 'https://app.example.test/reset-password',
    EMAIL_VERIFICATION_URL: 'https://app.example.test/verify-email',
    MAILER_FUNCTION: 'jwt-auth-test-mailer', // named, never called: these registrations give no address
    ...overrides,
  };
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
}

/** Loads a function module as a cold start does: fresh modules, fresh settings(). */
function coldStart<T>(path: string): T {
  let loaded: T | undefined;
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    loaded = require(path) as T;
  });
  return loaded as T;
}

const optionsFrom = (origin?: string) =>
  proxyEvent({
    httpMethod: 'OPTIONS',
    path: '/auth/login',
    rawBody: null,
    headers: {
      ...(origin === undefined ? {} : { Origin: origin }),
      'Access-Control-Request-Method': 'POST',
      'Access-Control-Request-Headers': 'authorization, content-type',
    },
  });

const ALLOWANCES = ['Access-Control-Allow-Origin', 'Access-Control-Allow-Methods', 'Access-Control-Allow-Headers', 'Access-Control-Max-Age', 'Access-Control-Expose-Headers'];

describe('OPTIONS preflight (functions/preflight.ts)', () => {
  it('answers a configured origin 204 with the origin echoed, Vary: Origin, methods, headers and max-age', async () => {
    deployWith({ CORS_ORIGINS: `${APP} ${ADMIN}` });
    const { handler } = coldStart<PreflightModule>('../../functions/preflight');

    const response = await handler(optionsFrom(APP));

    expect(response.statusCode).toBe(204);
    expect(response.headers).toMatchObject({ 'Access-Control-Allow-Origin': APP, Vary: 'Origin', 'X-Content-Type-Options': 'nosniff' });
    expect(response.headers['Access-Control-Allow-Methods']?.split(/, */)).toEqual(expect.arrayContaining(['POST', 'GET', 'DELETE']));
    expect(response.headers['Access-Control-Allow-Headers']?.toLowerCase().split(/, */)).toEqual(expect.arrayContaining(['authorization', 'content-type']));
    expect(Number(response.headers['Access-Control-Max-Age'])).toBeGreaterThan(0);
  });

  it('allows each origin of a space-separated CORS_ORIGINS on its own', async () => {
    deployWith({ CORS_ORIGINS: `${APP} ${ADMIN}` });
    const { handler } = coldStart<PreflightModule>('../../functions/preflight');

    const [app, admin] = [await handler(optionsFrom(APP)), await handler(optionsFrom(ADMIN))];

    expect(app.headers['Access-Control-Allow-Origin']).toBe(APP);
    expect(admin.headers['Access-Control-Allow-Origin']).toBe(ADMIN);
  });

  it.each([
    ['another origin', 'https://evil.example'],
    ['no origin', undefined],
  ])('gives %s a 204 without any allowance', async (_case, origin) => {
    deployWith({ CORS_ORIGINS: APP });
    const { handler } = coldStart<PreflightModule>('../../functions/preflight');

    const response = await handler(optionsFrom(origin));

    expect(response.statusCode).toBe(204);
    expect(ALLOWANCES.filter((name) => response.headers[name] !== undefined)).toEqual([]);
    expect(response.headers['X-Content-Type-Options']).toBe('nosniff');
  });

  it.each([['unset', undefined], ['empty', '']])('allows no origin when CORS_ORIGINS is %s (the default)', async (_case, value) => {
    deployWith({ CORS_ORIGINS: value });
    const { handler } = coldStart<PreflightModule>('../../functions/preflight');

    const response = await handler(optionsFrom(APP));

    expect(ALLOWANCES.filter((name) => response.headers[name] !== undefined)).toEqual([]);
  });

});

describe('a malformed CORS_ORIGINS', () => {
  it.each(['../../functions/preflight', '../../functions/register'])('fails the Lambda cold start of %s, naming the variable', (path) => {
    deployWith({ CORS_ORIGINS: '*', AWS_LAMBDA_FUNCTION_NAME: 'jwt-auth-dev-fn' });

    const load = () => coldStart<unknown>(path);

    expect(load).toThrow(/CORS_ORIGINS/);
  });
});

describe('the deployed HTTP handlers (corsHandler around each route)', () => {
  it('give a configured origin CORS headers on a token response, which stays no-store and nosniff', async () => {
    deployWith({ CORS_ORIGINS: APP });
    const { handler } = coldStart<RegisterModule>('../../functions/register');
    const event = proxyEvent({ headers: { Origin: APP, 'Content-Type': 'application/json' }, body: { username: uniqueUsername('cors'), password: 'correct horse battery staple' } });

    const response = await handler(event);

    expect(response.statusCode).toBe(201);
    expect(response.headers).toMatchObject({
      'Access-Control-Allow-Origin': APP,
      Vary: 'Origin',
      'Cache-Control': 'no-store',
      Pragma: 'no-cache',
      'X-Content-Type-Options': 'nosniff',
    });
    expect(response.headers['Access-Control-Expose-Headers']?.split(/, */)).toEqual(expect.arrayContaining(['WWW-Authenticate', 'Retry-After']));
  });

  it('give another origin no CORS header, on an error answer as on any other, which keeps nosniff and the contract body', async () => {
    deployWith({ CORS_ORIGINS: APP });
    const { handler } = coldStart<RegisterModule>('../../functions/register');
    const event = proxyEvent({ headers: { Origin: 'https://evil.example', 'Content-Type': 'application/json' }, rawBody: '{not json' });

    const response = await handler(event);

    expect(response.statusCode).toBe(400);
    expect(bodyOf(response)).toEqual({ code: 400, error: 'invalid_request', error_description: expect.any(String) });
    expect(ALLOWANCES.filter((name) => response.headers[name] !== undefined)).toEqual([]);
    expect(response.headers).toMatchObject({ Vary: 'Origin', 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-store' });
  });
});
