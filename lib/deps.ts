import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createAuthService, type AuthService } from './auth';
import { settings } from './config';
import { createDocumentClient } from './dynamo';
import { loadKeyRing } from './keys';
import { createSessionStore, type SessionStore } from './sessions';
import { createLoginGuard, type LoginGuard } from './throttle';
import { createUserStore, type UserStore } from './users';
import { createVerifierDeps, once, type VerifierDeps, type VerifierDepsOptions } from './verifier-deps';

/** Everything the HTTP handlers use. The authorizer imports only lib/verifier-deps.ts: no AWS SDK there. */
export interface AppDeps extends VerifierDeps {
  users: UserStore;
  sessions: SessionStore;
  guard: LoginGuard;
  auth: AuthService;
}

export interface AppDepsOptions extends VerifierDepsOptions {
  doc: DynamoDBDocumentClient;
}

/**
 * The composition root: the one place that wires stores, tokens and use cases together. Pure: production
 * (below), the tests and the benchmarks all call it with their own configuration, client and clock.
 */
export function createAppDeps(options: AppDepsOptions): AppDeps {
  const verifier = createVerifierDeps(options);
  const { config, tokens, now } = verifier;
  const { doc } = options;
  const users = createUserStore(doc, config.usersTable);
  const sessions = createSessionStore(doc, config.sessionsTable, {
    idleTtl: config.refreshTokenIdleTtl,
    absoluteTtl: config.refreshTokenAbsoluteTtl,
    reuseGrace: config.refreshTokenReuseGrace,
  });
  const guard = createLoginGuard(doc, config.attemptsTable);
  const auth = createAuthService({ config, users, sessions, tokens, guard, now });
  return { ...verifier, users, sessions, guard, auth };
}

/** The production deps of the HTTP handlers, from the environment, built once per container. */
export const appDeps = once(async () => {
  const config = settings();
  const keys = await loadKeyRing(config.signingKeys, config.signingAlg);
  return createAppDeps({ config, keys, doc: createDocumentClient(config) });
});
