import { makeLoginHandler } from '../../functions/login';
import { makeLogoutHandler } from '../../functions/logout';
import { makeMeHandler } from '../../functions/me';
import { makePasswordHandler } from '../../functions/password';
import { makeRefreshHandler } from '../../functions/refresh';
import { makeRegisterHandler } from '../../functions/register';
import { makeRevokeHandler } from '../../functions/revoke';
import { makeDeleteSessionHandler } from '../../functions/sessions-delete';
import { makeListSessionsHandler } from '../../functions/sessions-list';
import { makeTokenHandler } from '../../functions/token';
import { makeDeleteMeHandler } from '../../functions/delete-me';
import { makeEmailHandler } from '../../functions/email';
import { makeForgotPasswordHandler } from '../../functions/forgot-password';
import { makeResetPasswordHandler } from '../../functions/reset-password';
import { makeVerifyEmailHandler } from '../../functions/verify-email';
import { loadMailConfig } from '../../lib/config';
import { outboxQueue } from '../../lib/outbox';
import { createOutbox, type Outbox } from './outbox';
import { createHash, randomUUID } from 'node:crypto';
import { decodeJwt } from 'jose';
import { loadConfig, loadProviderConfig, signerKeys } from '../../lib/config';
import { OIDC_CLIENTS } from './oidc';
import { mintRefreshToken } from '../../lib/refresh-tokens';
import { argon2Hasher } from '../../lib/argon2';
import { isCommonPassword } from '../../lib/common-passwords';
import { createAppDeps, type AppDeps } from '../../lib/deps';
import type { HttpEvent, HttpResponse } from '../../lib/http';
import { generateSigningJwk, loadKeyRing, type KeyRing } from '../../lib/keys';
import type { AuthorizerContext } from '../../lib/caller';
import fixture from '../fixtures/api-gateway-proxy-event.json';
import { clearFaults, startDynalite, type LocalDynamo } from './dynalite';

/** A clock the tests move by hand, shared by the auth service and the token service. */
export interface TestClock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Epoch seconds, as the session items store them. */
  seconds(): number;
  advance(seconds: number): void;
}

/** 2030-01-01T00:00:00Z: far from the real clock, so nothing passes by accident of wall time. */
export const START = Date.UTC(2030, 0, 1);

export function createClock(start = START): TestClock {
  let current = start;
  return {
    now: () => current,
    seconds: () => Math.floor(current / 1000),
    advance: (seconds) => {
      current += seconds * 1000;
    },
  };
}

export interface TestApp extends AppDeps {
  /** Tests sign with it too. */
  keys: KeyRing;
  clock: TestClock;
  /** The handler factories' argument. */
  deps: () => Promise<AppDeps>;
  /** Where its messages go (a temporary folder, removed with the dynalite). */
  outbox: Outbox;
}

/**
 * A real AuthService on the given dynalite: real stores, real ES256 keys, real argon2id, and the injectable
 * clock. `env` overrides the configuration the way the environment would (e.g. REFRESH_TOKEN_REUSE_GRACE).
 */
export async function createTestApp(dynamo: LocalDynamo, env: Record<string, string> = {}, clock = createClock()): Promise<TestApp> {
  const signingKeys = JSON.stringify({ keys: [await generateSigningJwk('ES256')] });
  const config = loadConfig({
    ISSUER: 'https://auth.example.test',
    SIGNING_KEYS: signingKeys,
    USERS_TABLE: dynamo.tables.UsersTable,
    USERNAMES_TABLE: dynamo.tables.UsernamesTable,
    SESSIONS_TABLE: dynamo.tables.SessionsTable,
    ATTEMPTS_TABLE: dynamo.tables.LoginAttemptsTable,
    EMAILS_TABLE: dynamo.tables.EmailsTable,
    DYNAMODB_ENDPOINT: dynamo.endpoint,
    ...env,
  }, signerKeys);
  const keys = await loadKeyRing(signingKeys, config.signingAlg);
  const outbox = createOutbox();
  const mailConfig = loadMailConfig({
    PASSWORD_RESET_URL: 'https://app.example.test/reset-password',
    EMAIL_VERIFICATION_URL: 'https://app.example.test/verify-email',
    OUTBOX_DIR: outbox.dir,
    ...env,
  });
  const mail = { config: mailConfig, queue: outboxQueue(outbox.dir, { now: clock.now }) };
  const oauth = loadProviderConfig({
    CLIENTS_TABLE: dynamo.tables.ClientsTable,
    CODES_TABLE: dynamo.tables.CodesTable,
    BROWSER_SESSIONS_TABLE: dynamo.tables.BrowserSessionsTable,
    OAUTH_CLIENTS: JSON.stringify(OIDC_CLIENTS),
    ...env,
  });
  const appDeps = createAppDeps({ config, keys, doc: dynamo.doc, now: clock.now, passwords: argon2Hasher, isCommonPassword, mail, oauth });
  return { ...appDeps, keys, clock, deps: async () => appDeps, outbox };
}

export interface EventOptions {
  /** A JSON body (serialized here), or the raw body text. */
  body?: unknown;
  rawBody?: string | null;
  /** Replaces the fixture's headers when given; `contentType` sets Content-Type on top. */
  headers?: Record<string, string>;
  contentType?: string | null;
  authorizer?: AuthorizerContext;
  pathParameters?: Record<string, string> | null;
  httpMethod?: string;
  path?: string;
  /** requestContext.identity.sourceIp; the fixture's own address when absent. */
  sourceIp?: string;
  isBase64Encoded?: boolean;
}

type ProxyEvent = Omit<typeof fixture, 'body' | 'requestContext' | 'pathParameters' | 'headers'> & {
  headers: Record<string, string>;
  body: string | null;
  pathParameters: Record<string, string> | null;
  requestContext: (typeof fixture)['requestContext'] & { authorizer?: Record<string, unknown> };
};

/** A fresh copy of AWS's documented REST API proxy event, with the request this test needs. */
export function proxyEvent(options: EventOptions = {}): ProxyEvent & HttpEvent {
  const event = structuredClone(fixture) as ProxyEvent;
  if (options.headers) event.headers = { ...options.headers };
  if (options.contentType === null) {
    delete event.headers['Content-Type'];
  } else if (options.contentType !== undefined) {
    event.headers['Content-Type'] = options.contentType;
  }
  event.body = options.rawBody !== undefined ? options.rawBody : JSON.stringify(options.body ?? {});
  if (options.authorizer) event.requestContext.authorizer = { ...options.authorizer };
  if (options.pathParameters !== undefined) event.pathParameters = options.pathParameters;
  if (options.httpMethod) event.httpMethod = event.requestContext.httpMethod = options.httpMethod;
  if (options.path) event.path = options.path;
  if (options.sourceIp) event.requestContext.identity.sourceIp = options.sourceIp;
  if (options.isBase64Encoded !== undefined) event.isBase64Encoded = options.isBase64Encoded;
  return event;
}

/** The parsed JSON body of a handler's answer. */
export function bodyOf(response: HttpResponse): Record<string, unknown> {
  return JSON.parse(response.body) as Record<string, unknown>;
}

/** The claims of a token this service issued (its signature is checked elsewhere). */
export function claimsOf(accessToken: string): { sub: string; sid: string; scope: string; client_id: string; exp: number } {
  return decodeJwt(accessToken) as unknown as { sub: string; sid: string; scope: string; client_id: string; exp: number };
}

/** The authorizer context a valid access token yields, as functions/authorizer.ts passes it on. */
export function authorizerFor(accessToken: string): AuthorizerContext {
  const { sub, scope, sid, client_id, exp } = claimsOf(accessToken);
  return { sub, scope, sid, client_id, exp: String(exp) };
}

/** SHA-256, base64url: what the sessions table must hold instead of a refresh token. */
export const sha256 = (value: string) => createHash('sha256').update(value).digest('base64url');

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** A username no other test in the file uses. */
export const uniqueUsername = (prefix = 'user') => `${prefix}-${randomUUID().slice(0, 8)}`;

/** A well-formed refresh token (lib/refresh-tokens.ts) that belongs to no session. */
export const strangerRefreshToken = () => mintRefreshToken(randomUUID()).token;

/** A documentation address (RFC 5737) no other test in the file uses, for tests that fail logins on purpose. */
let addresses = 0;
export const uniqueSourceIp = () => `198.51.100.${(addresses += 1)}`;

/** Every HTTP handler of the service, built by its factory on the test app's deps. */
export function httpHandlers(deps: () => Promise<AppDeps>) {
  return {
    register: makeRegisterHandler(deps),
    login: makeLoginHandler(deps),
    refresh: makeRefreshHandler(deps),
    logout: makeLogoutHandler(deps),
    me: makeMeHandler(deps),
    list: makeListSessionsHandler(deps),
    remove: makeDeleteSessionHandler(deps),
    password: makePasswordHandler(deps),
    token: makeTokenHandler(deps),
    revoke: makeRevokeHandler(deps),
    forgotPassword: makeForgotPasswordHandler(deps),
    resetPassword: makeResetPasswordHandler(deps),
    changeEmail: makeEmailHandler(deps),
    verifyEmail: makeVerifyEmailHandler(deps),
    deleteMe: makeDeleteMeHandler(deps),
  };
}

/** What `withTestApp` gives a test file: filled in before its first test runs. */
export interface TestContext {
  readonly dynamo: LocalDynamo;
  readonly app: TestApp;
  /** Every HTTP handler, built at once on deps that resolve to the app once it exists. */
  readonly handlers: ReturnType<typeof httpHandlers>;
}

/**
 * The setup most test files share: a dynalite with serverless.yml's tables and a real app on it (beforeAll),
 * faults cleared after each test, everything stopped after the last. `env` and `clock` as createTestApp.
 */
export function withTestApp(env: Record<string, string> = {}, clock?: TestClock): TestContext {
  let dynamo: LocalDynamo | undefined;
  let app: TestApp | undefined;
  beforeAll(async () => {
    dynamo = await startDynalite();
    app = await createTestApp(dynamo, env, clock);
  });
  afterEach(() => {
    if (dynamo) clearFaults(dynamo.doc);
  });
  afterAll(async () => {
    await dynamo?.stop();
    app?.outbox.remove();
  });
  const notYet = (what: string) => new Error(`${what} exists only once beforeAll has run`);
  return {
    get dynamo() {
      if (!dynamo) throw notYet('the test dynalite');
      return dynamo;
    },
    get app() {
      if (!app) throw notYet('the test app');
      return app;
    },
    handlers: httpHandlers(() => (app ? app.deps() : Promise.reject(notYet('the test app')))),
  };
}
