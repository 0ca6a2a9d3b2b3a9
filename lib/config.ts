import { ConfigError } from './errors';
import { SCOPE_TOKEN } from './scopes';

/** The JWS algorithms this service can sign with; the facts about each live in lib/keys.ts. */
export const SIGNING_ALGORITHMS = ['ES256', 'RS256', 'EdDSA', 'HS256'] as const;
export type SigningAlg = (typeof SIGNING_ALGORITHMS)[number];

export interface Config {
  issuer: string;
  audience: string;
  /** Seconds. */
  accessTokenTtl: number;
  refreshTokenIdleTtl: number;
  refreshTokenAbsoluteTtl: number;
  refreshTokenReuseGrace: number;
  clockSkew: number;
  /** Granted when a client asks for no scope; also the full set of scopes this service knows. */
  defaultScopes: string[];
  signingAlg: SigningAlg;
  /** A JSON JWK Set of private keys, newest first. */
  signingKeys: string;
  realm: string;
  /** Live sessions a user may hold; a login beyond it ends the oldest. */
  maxSessionsPerUser: number;
  usersTable: string;
  usernamesTable: string;
  sessionsTable: string;
  attemptsTable: string;
  /** Browser origins allowed by CORS; empty: none. */
  corsOrigins: string[];
  region: string;
  /** Set only locally, to reach the embedded DynamoDB. */
  dynamodbEndpoint: string | undefined;
}

type Env = Record<string, string | undefined>;

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

/** Reads and validates every setting once; throws a ConfigError naming the first bad variable. */
export function loadConfig(env: Env = process.env): Config {
  const accessTokenTtl = seconds(env, 'ACCESS_TOKEN_TTL', 900, { max: 24 * 3600 });
  const refreshTokenAbsoluteTtl = seconds(env, 'REFRESH_TOKEN_ABSOLUTE_TTL', 7_776_000);
  const refreshTokenIdleTtl = seconds(env, 'REFRESH_TOKEN_IDLE_TTL', 1_209_600);
  if (refreshTokenIdleTtl > refreshTokenAbsoluteTtl) {
    throw new ConfigError('REFRESH_TOKEN_IDLE_TTL', 'must not exceed REFRESH_TOKEN_ABSOLUTE_TTL');
  }
  const defaultScopes = text(env, 'DEFAULT_SCOPES', 'profile sessions').split(/ +/);
  const badScope = defaultScopes.find((scope) => !SCOPE_TOKEN.test(scope));
  if (badScope !== undefined) throw new ConfigError('DEFAULT_SCOPES', `holds an invalid scope "${badScope}"`);
  const signingAlg = text(env, 'SIGNING_ALG', 'ES256');
  if (!(SIGNING_ALGORITHMS as readonly string[]).includes(signingAlg)) {
    throw new ConfigError('SIGNING_ALG', `must be one of ${SIGNING_ALGORITHMS.join(', ')}, got "${signingAlg}"`);
  }
  const issuer = url(env, 'ISSUER');
  return {
    issuer,
    audience: text(env, 'AUDIENCE', issuer),
    accessTokenTtl,
    refreshTokenIdleTtl,
    refreshTokenAbsoluteTtl,
    refreshTokenReuseGrace: seconds(env, 'REFRESH_TOKEN_REUSE_GRACE', 30, { min: 0, max: 300 }),
    clockSkew: seconds(env, 'CLOCK_SKEW', 0, { min: 0, max: 300 }),
    defaultScopes,
    signingAlg: signingAlg as SigningAlg,
    signingKeys: text(env, 'SIGNING_KEYS'),
    realm: text(env, 'REALM', 'jwt-auth'),
    maxSessionsPerUser: whole(env, 'MAX_SESSIONS_PER_USER', 100, { max: 10_000, unit: 'sessions' }),
    usersTable: text(env, 'USERS_TABLE'),
    usernamesTable: text(env, 'USERNAMES_TABLE'),
    sessionsTable: text(env, 'SESSIONS_TABLE'),
    attemptsTable: text(env, 'ATTEMPTS_TABLE'),
    corsOrigins: origins(env, 'CORS_ORIGINS'),
    region: text(env, 'AWS_REGION', 'us-east-1'),
    dynamodbEndpoint: env.DYNAMODB_ENDPOINT?.trim() ? url(env, 'DYNAMODB_ENDPOINT') : undefined,
  };
}

/** True inside Lambda (and serverless-offline), where module scope runs at cold start. */
export function runningInLambda(env: Env = process.env): boolean {
  return Boolean(env.AWS_LAMBDA_FUNCTION_NAME);
}

let loaded: Config | undefined;

/** The process's configuration, loaded once (module-scoped, like the rest of a container's state). */
export function settings(): Config {
  return (loaded ??= loadConfig());
}
