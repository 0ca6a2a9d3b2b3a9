import { parseClients, type OAuthClient } from './client-registry';
import { ConfigError } from './errors';
import { OPENID_SCOPES, SCOPE_TOKEN } from './scopes';

/** The JWS algorithms this service can sign with; the facts about each live in lib/keys.ts. */
export const SIGNING_ALGORITHMS = ['ES256', 'RS256', 'EdDSA', 'HS256'] as const;
export type SigningAlg = (typeof SIGNING_ALGORITHMS)[number];

/**
 * Where a function's keys come from: SIGNING_KEYS, the private set itself (local runs and tests);
 * SIGNING_KEYS_SECRET, the name of the AWS Secrets Manager secret that holds it (deployed functions that
 * sign); PUBLIC_JWKS, the public set only (deployed functions that only verify).
 */
export type KeySource =
  | { kind: 'private'; json: string }
  | { kind: 'secret'; secretId: string }
  | { kind: 'public'; json: string };

/** What every HTTP route needs at its edge (lib/route.ts). */
export interface EdgeConfig {
  realm: string;
  /** Browser origins allowed by CORS; empty: none. */
  corsOrigins: string[];
}

/** What verifying an access token needs. */
export interface VerifierConfig {
  issuer: string;
  audience: string;
  signingAlg: SigningAlg;
  clockSkew: number;
  keys: KeySource;
}

/** The metadata routes (JWKS, discovery) verify nothing but publish what verifiers need. */
export interface MetadataConfig extends EdgeConfig, VerifierConfig {
  /** Every user may have these, and gets them when a client asks for no scope. */
  defaultScopes: string[];
  /** Every scope this service knows (SCOPES): the default ones, and those granted to some users only. */
  scopes: string[];
}

/** What the functions that send messages read besides (register, a change of address, a forgotten password). */
export interface MailConfig {
  /** The app's pages that take the token: `?token=…` is added. */
  passwordResetUrl: string;
  emailVerificationUrl: string;
  /** Seconds a token lives. */
  passwordResetTtl: number;
  emailVerificationTtl: number;
  /** Locally, the folder every message is written to; deployed, the mailer function to hand it to. */
  queue: { outboxDir: string } | { mailerFunction: string };
}

/** Everything the functions that read and write users and sessions need. */
export interface Config extends MetadataConfig {
  /** Seconds. */
  accessTokenTtl: number;
  refreshTokenIdleTtl: number;
  refreshTokenAbsoluteTtl: number;
  refreshTokenReuseGrace: number;
  /** Live sessions a user may hold; a login beyond it ends the oldest. */
  maxSessionsPerUser: number;
  usersTable: string;
  usernamesTable: string;
  emailsTable: string;
  sessionsTable: string;
  attemptsTable: string;
  region: string;
  /** Set only locally, to reach the embedded DynamoDB. */
  dynamodbEndpoint: string | undefined;
}

export type Env = Record<string, string | undefined>;

function text(env: Env, name: string, fallback?: string): string {
  const value = env[name]?.trim() || fallback;
  if (value === undefined || value === '') throw new ConfigError(name, 'must be set');
  return value;
}

function whole(env: Env, name: string, fallback: number, { min = 1, max = 400 * 24 * 3600, unit = 'seconds' } = {}): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be a whole number of ${unit}, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max} ${unit}, got ${value}`);
  return value;
}
const seconds = whole;

function url(env: Env, name: string, fallback?: string): string {
  const value = text(env, name, fallback);
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new ConfigError(name, `must be an absolute URL, got "${value}"`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new ConfigError(name, 'must be an http(s) URL');
  return value.replace(/\/+$/, '');
}

/** The readers of single variables, for configurations kept next to their function (lib/mailer-config.ts). */
export const readEnv = { text, whole, url };

/** A space-separated list of exact origins (scheme://host[:port]), e.g. "https://app.example.com". */
function origins(env: Env, name: string): string[] {
  const list = env[name]?.trim().split(/\s+/).filter(Boolean) ?? [];
  for (const origin of list) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(origin);
    } catch {
      parsed = undefined;
    }
    if (!parsed || parsed.origin !== origin) throw new ConfigError(name, `holds "${origin}", which is not an origin like https://app.example.com`);
  }
  return list;
}

/** REALM and CORS_ORIGINS. */
export function loadEdgeConfig(env: Env = process.env): EdgeConfig {
  return { realm: text(env, 'REALM', 'jwt-auth'), corsOrigins: origins(env, 'CORS_ORIGINS') };
}

/** What a route behind the authorizer that uses no key and no table reads (functions/example-orders.ts). */
export function loadProtectedRouteConfig(env: Env = process.env): EdgeConfig & { clockSkew: number } {
  return { ...loadEdgeConfig(env), clockSkew: seconds(env, 'CLOCK_SKEW', 0, { min: 0, max: 300 }) };
}

/**
 * The keys of a function that only verifies: PUBLIC_JWKS (locally too: `npm start` derives it), or, with
 * none, SIGNING_KEYS (an HS256 secret has no public half). Their content is checked when they load.
 */
export function verifierKeys(env: Env): KeySource {
  const publicSet = env.PUBLIC_JWKS?.trim();
  if (publicSet) return { kind: 'public', json: publicSet };
  const privateSet = env.SIGNING_KEYS?.trim();
  if (privateSet) return { kind: 'private', json: privateSet };
  throw new ConfigError('PUBLIC_JWKS', 'must be set (the public JWK Set of the signing keys)');
}

/** The keys of a function that signs: SIGNING_KEYS where it is set (locally), else SIGNING_KEYS_SECRET. */
export function signerKeys(env: Env): KeySource {
  const privateSet = env.SIGNING_KEYS?.trim();
  if (privateSet) return { kind: 'private', json: privateSet };
  const secretId = env.SIGNING_KEYS_SECRET?.trim();
  if (!secretId) throw new ConfigError('SIGNING_KEYS_SECRET', 'must be set (the Secrets Manager secret of the key set; SIGNING_KEYS locally)');
  return { kind: 'secret', secretId };
}

/** ISSUER, AUDIENCE, SIGNING_ALG and CLOCK_SKEW. */
function tokenSettings(env: Env): Omit<VerifierConfig, 'keys'> {
  const signingAlg = text(env, 'SIGNING_ALG', 'ES256');
  if (!(SIGNING_ALGORITHMS as readonly string[]).includes(signingAlg)) {
    throw new ConfigError('SIGNING_ALG', `must be one of ${SIGNING_ALGORITHMS.join(', ')}, got "${signingAlg}"`);
  }
  const issuer = url(env, 'ISSUER');
  return {
    issuer,
    audience: text(env, 'AUDIENCE', issuer),
    signingAlg: signingAlg as SigningAlg,
    clockSkew: seconds(env, 'CLOCK_SKEW', 0, { min: 0, max: 300 }),
  };
}

/** ISSUER, AUDIENCE, SIGNING_ALG, CLOCK_SKEW and the public keys: all the authorizer reads. */
export function loadVerifierConfig(env: Env = process.env): VerifierConfig {
  return { ...tokenSettings(env), keys: verifierKeys(env) };
}

function scopeList(env: Env, name: string, fallback: string): string[] {
  const scopes = [...new Set(text(env, name, fallback).split(/ +/))];
  const badScope = scopes.find((scope) => !SCOPE_TOKEN.test(scope));
  if (badScope !== undefined) throw new ConfigError(name, `holds an invalid scope "${badScope}"`);
  return scopes;
}

/** DEFAULT_SCOPES, and SCOPES (by default the same), which must hold every default scope. */
function scopeSettings(env: Env): Pick<MetadataConfig, 'defaultScopes' | 'scopes'> {
  const defaultScopes = scopeList(env, 'DEFAULT_SCOPES', 'profile sessions');
  const scopes = scopeList(env, 'SCOPES', defaultScopes.join(' '));
  const missing = defaultScopes.find((scope) => !scopes.includes(scope));
  if (missing !== undefined) throw new ConfigError('SCOPES', `must hold every scope of DEFAULT_SCOPES, and lacks "${missing}"`);
  // The OpenID scopes are always known (lib/scopes.ts), after those configured.
  const known = [...defaultScopes, ...scopes.filter((scope) => !defaultScopes.includes(scope))];
  return { defaultScopes, scopes: [...known, ...OPENID_SCOPES.filter((scope) => !known.includes(scope))] };
}

/** What the JWKS and discovery routes read: the edge, the verifier's settings and the scopes. */
export function loadMetadataConfig(env: Env = process.env): MetadataConfig {
  return { ...loadEdgeConfig(env), ...loadVerifierConfig(env), ...scopeSettings(env) };
}

/** The settings of the functions that send messages (lib/mail.ts). */
export function loadMailConfig(env: Env = process.env): MailConfig {
  const outboxDir = env.OUTBOX_DIR?.trim();
  return {
    passwordResetUrl: url(env, 'PASSWORD_RESET_URL'),
    emailVerificationUrl: url(env, 'EMAIL_VERIFICATION_URL'),
    passwordResetTtl: seconds(env, 'PASSWORD_RESET_TTL', 900, { min: 60, max: 24 * 3600 }),
    emailVerificationTtl: seconds(env, 'EMAIL_VERIFICATION_TTL', 86_400, { min: 60, max: 30 * 24 * 3600 }),
    queue: outboxDir ? { outboxDir } : { mailerFunction: text(env, 'MAILER_FUNCTION') },
  };
}

/** Whether the password grant is on (PASSWORD_GRANT, default true): `grant_type=password` and POST /auth/login. */
function passwordGrant(env: Env): boolean {
  const raw = env.PASSWORD_GRANT?.trim().toLowerCase();
  if (raw === undefined || raw === '' || raw === 'true') return true;
  if (raw === 'false') return false;
  throw new ConfigError('PASSWORD_GRANT', `must be true or false, got "${raw}"`);
}

/** What discovery reads besides the metadata: whether to list the password grant. */
export function loadDiscoveryConfig(env: Env = process.env): MetadataConfig & { passwordGrant: boolean } {
  return { ...loadMetadataConfig(env), passwordGrant: passwordGrant(env) };
}

/** What the functions that take a password for a client read: the registered clients and the grant's switch. */
export interface ClientsConfig {
  clientsTable: string;
  /** OAUTH_CLIENTS: the clients configured by a JSON list (lib/client-registry.ts); none when unset. */
  oauthClients: OAuthClient[];
  passwordGrant: boolean;
}

export function loadClientsConfig(env: Env = process.env): ClientsConfig {
  return { clientsTable: text(env, 'CLIENTS_TABLE'), oauthClients: parseClients(env.OAUTH_CLIENTS, 'OAUTH_CLIENTS'), passwordGrant: passwordGrant(env) };
}

/** What the OpenID provider's functions (authorization and token endpoints) read besides. */
export interface ProviderConfig extends ClientsConfig {
  codesTable: string;
  browserSessionsTable: string;
  /** Seconds a sign-in at the hosted page lasts for single sign-on (BROWSER_SESSION_TTL, default 12 hours). */
  browserSessionTtl: number;
}

export function loadProviderConfig(env: Env = process.env): ProviderConfig {
  return {
    ...loadClientsConfig(env),
    codesTable: text(env, 'CODES_TABLE'),
    browserSessionsTable: text(env, 'BROWSER_SESSIONS_TABLE'),
    browserSessionTtl: seconds(env, 'BROWSER_SESSION_TTL', 43_200, { min: 60, max: 30 * 24 * 3600 }),
  };
}

/** Where a function's keys come from: `verifierKeys` or `signerKeys`, chosen by the function itself. */
export type KeySourceReader = (env: Env) => KeySource;

/**
 * Reads and validates every setting of the functions that use the tables; throws a ConfigError naming the
 * first bad variable. A function that signs reads its keys with `signerKeys` (SIGNING_KEYS_SECRET), the
 * others with `verifierKeys` (PUBLIC_JWKS): each bundle holds only the reader it uses.
 */
export function loadConfig(env: Env, keys: KeySourceReader): Config {
  const accessTokenTtl = seconds(env, 'ACCESS_TOKEN_TTL', 900, { max: 24 * 3600 });
  const refreshTokenAbsoluteTtl = seconds(env, 'REFRESH_TOKEN_ABSOLUTE_TTL', 7_776_000);
  const refreshTokenIdleTtl = seconds(env, 'REFRESH_TOKEN_IDLE_TTL', 1_209_600);
  if (refreshTokenIdleTtl > refreshTokenAbsoluteTtl) {
    throw new ConfigError('REFRESH_TOKEN_IDLE_TTL', 'must not exceed REFRESH_TOKEN_ABSOLUTE_TTL');
  }
  return {
    ...loadEdgeConfig(env),
    ...tokenSettings(env),
    keys: keys(env),
    ...scopeSettings(env),
    accessTokenTtl,
    refreshTokenIdleTtl,
    refreshTokenAbsoluteTtl,
    refreshTokenReuseGrace: seconds(env, 'REFRESH_TOKEN_REUSE_GRACE', 30, { min: 0, max: 300 }),
    maxSessionsPerUser: whole(env, 'MAX_SESSIONS_PER_USER', 100, { max: 10_000, unit: 'sessions' }),
    usersTable: text(env, 'USERS_TABLE'),
    usernamesTable: text(env, 'USERNAMES_TABLE'),
    emailsTable: text(env, 'EMAILS_TABLE'),
    sessionsTable: text(env, 'SESSIONS_TABLE'),
    attemptsTable: text(env, 'ATTEMPTS_TABLE'),
    region: text(env, 'AWS_REGION', 'us-east-1'),
    dynamodbEndpoint: env.DYNAMODB_ENDPOINT?.trim() ? url(env, 'DYNAMODB_ENDPOINT') : undefined,
  };
}

/** True inside Lambda (and serverless-offline), where module scope runs at cold start. */
export function runningInLambda(env: Env = process.env): boolean {
  return Boolean(env.AWS_LAMBDA_FUNCTION_NAME);
}

/**
 * A loader run once per process (module-scoped, like the rest of a container's state): the configuration
 * a function reads at cold start.
 */
export function onceLoaded<T>(load: () => T): () => T {
  let loaded: { value: T } | undefined;
  return () => (loaded ??= { value: load() }).value;
}
