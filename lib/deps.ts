import { createAuthService, type AuthService } from './auth';
import { createDocumentClient } from './dynamo';
import { lazy } from './lazy';
import { createSessionStore } from './sessions';
import { createLoginGuard } from './throttle';
import { createUserStore } from './users';
import { verifierDeps, type VerifierDeps } from './verifier-deps';

/**
 * The module-scoped dependencies of the HTTP handlers, built once per container on first use and reused
 * by warm invocations. The authorizer imports only verifier-deps: it must not load the AWS SDK.
 */
export interface AppDeps extends VerifierDeps {
  auth: AuthService;
}

export const appDeps = lazy(async (): Promise<AppDeps> => {
  const verifier = await verifierDeps();
  const { config } = verifier;
  const doc = createDocumentClient(config);
  const auth = createAuthService({
    config,
    users: createUserStore(doc, config.usersTable),
    sessions: createSessionStore(doc, config.sessionsTable, {
      idleTtl: config.refreshTokenIdleTtl,
      absoluteTtl: config.refreshTokenAbsoluteTtl,
      reuseGrace: config.refreshTokenReuseGrace,
    }),
    tokens: verifier.tokens,
    guard: createLoginGuard(doc, { users: config.usersTable, attempts: config.attemptsTable }),
  });
  return { ...verifier, auth };
});
