import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createAuthService, type AuthService } from './auth';
import { settings } from './config';
import { createDocumentClient } from './dynamo';
import { loadKeyRing } from './keys';
import { createSessionStore, type SessionStore } from './sessions';
import type { CommonPasswordCheck } from './passwords';
import { createPasswordGuard, type PasswordGuard } from './throttle';
import { createUserStore, type UserStore } from './users';
import { createVerifierDeps, once, type VerifierDeps, type VerifierDepsOptions } from './verifier-deps';

/** Everything the HTTP handlers use. The authorizer imports only lib/verifier-deps.ts: no AWS SDK there. */
export interface AppDeps extends VerifierDeps {
  users: UserStore;
  sessions: SessionStore;
  guard: PasswordGuard;
  auth: AuthService;
}

export interface AppDepsOptions extends VerifierDepsOptions {
  doc: DynamoDBDocumentClient;
  /** The common-password list, for the functions that set passwords (lib/password-deps.ts); the others go without. */
  isCommonPassword?: CommonPasswordCheck;
}

/**
 * The composition root: the one place that wires stores, tokens and use cases together. Pure: production
 * (below), the tests and the benchmarks all call it with their own configuration, client and clock.
 */
export function createAppDeps(options: AppDepsOptions): AppDeps {
  const verifier = createVerifierDeps(options);
  const { config, tokens, now } = verifier;
  const { doc } = options;
  const users = createUserStore(doc, { users: config.usersTable, usernames: config.usernamesTable });
  const sessions = createSessionStore(doc, config.sessionsTable, {
    idleTtl: config.refreshTokenIdleTtl,
    absoluteTtl: config.refreshTokenAbsoluteTtl,
    reuseGrace: config.refreshTokenReuseGrace,
  });
  const guard = createPasswordGuard(doc, config.attemptsTable);
  const auth = createAuthService({ config, users, sessions, tokens, guard, now, isCommonPassword: options.isCommonPassword });
  return { ...verifier, users, sessions, guard, auth };
}

/** The production deps of the HTTP handlers, from the environment: `extra` as createAppDeps takes it. */
export async function productionAppDeps(extra: Pick<AppDepsOptions, 'isCommonPassword'> = {}): Promise<AppDeps> {
  const config = settings();
  const keys = await loadKeyRing(config.signingKeys, config.signingAlg);
  return createAppDeps({ config, keys, doc: createDocumentClient(config), ...extra });
}

/** The deps of the handlers that set no password, built once per container. */
export const appDeps = once(() => productionAppDeps());
