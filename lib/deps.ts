import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createAccountService, type AccountMail, type AccountService } from './accounts';
import { createAuthService, type AuthService } from './auth';
import { createTokenService, type TokenService } from './tokens';
import { createClientStore, type ClientStore } from './clients';
import { loadConfig, type ClientsConfig, type Config, type Env, type KeySourceReader, type MailConfig, type ProviderConfig } from './config';
import { createProvider, type Provider } from './provider';
import { createBrowserSessionStore, createCodeStore } from './provider-store';
import { createDocumentClient } from './dynamo';
import type { VerificationKeys } from './keys';
import { createSessionStore, type SessionStore } from './sessions';
import type { CommonPasswordCheck, PasswordHasher } from './passwords';
import { createPasswordGuard, THROTTLE, type PasswordGuard } from './throttle';
import { createUserStore, type UserStore } from './users';
import { createVerifierDeps, productionDeps, type VerifierDeps, type VerifierDepsOptions } from './verifier-deps';

/** Everything the HTTP handlers use. The authorizer imports only lib/verifier-deps.ts: no AWS SDK there. */
export interface AppDeps extends VerifierDeps<Config> {
  tokens: TokenService;
  users: UserStore;
  sessions: SessionStore;
  guard: PasswordGuard;
  auth: AuthService;
  accounts: AccountService;
  /** The registered OAuth clients, for the functions that take a password for a client or run the provider. */
  clients?: ClientStore;
  /** PASSWORD_GRANT: whether POST /auth/login and grant_type=password work (true where it is not read). */
  passwordGrant: boolean;
  /** The OpenID provider, for the authorization and token endpoints. */
  provider?: Provider;
}

export interface AppDepsOptions extends VerifierDepsOptions<Config> {
  doc: DynamoDBDocumentClient;
  /** The password hasher, for the functions that check or set passwords (lib/password-deps.ts); the others go without. */
  passwords?: PasswordHasher;
  /** The common-password list, for the functions that set passwords. */
  isCommonPassword?: CommonPasswordCheck;
  /** The messages, for the functions that send them. */
  mail?: AccountMail;
  /** The clients (login, token) and the provider's tables too (authorize, token). */
  oauth?: ClientsConfig | ProviderConfig;
}

/**
 * The composition root: the one place that wires stores, tokens and use cases together. Pure: production
 * (below), the tests and the benchmarks all call it with their own configuration, client and clock.
 */
export function createAppDeps(options: AppDepsOptions): AppDeps {
  const verifier = createVerifierDeps(options);
  const { config, now } = verifier;
  const tokens = createTokenService(config, options.keys, now);
  const { doc } = options;
  const users = createUserStore(doc, { users: config.usersTable, usernames: config.usernamesTable, emails: config.emailsTable });
  const sessions = createSessionStore(doc, config.sessionsTable, {
    idleTtl: config.refreshTokenIdleTtl,
    absoluteTtl: config.refreshTokenAbsoluteTtl,
    reuseGrace: config.refreshTokenReuseGrace,
  });
  const guard = createPasswordGuard(doc, config.attemptsTable);
  const resetGuard = createPasswordGuard(doc, config.attemptsTable, THROTTLE, 'reset#');
  const { passwords, isCommonPassword, mail } = options;
  const auth = createAuthService({ config, users, sessions, tokens, guard, now, passwords, isCommonPassword, mail });
  const accounts = createAccountService({ users, sessions, guard, resetGuard, now, passwords, isCommonPassword, mail });
  const { oauth } = options;
  const clients = oauth ? createClientStore(doc, oauth.clientsTable, oauth.oauthClients) : undefined;
  const provider =
    oauth && clients && 'codesTable' in oauth
      ? createProvider({
          config: { ...config, browserSessionTtl: oauth.browserSessionTtl },
          clients,
          codes: createCodeStore(doc, oauth.codesTable),
          browsers: createBrowserSessionStore(doc, oauth.browserSessionsTable),
          users,
          sessions,
          tokens,
          auth,
          now,
        })
      : undefined;
  return { ...verifier, tokens, users, sessions, guard, auth, accounts, clients, passwordGrant: oauth?.passwordGrant ?? true, provider };
}

/**
 * Where a function's keys come from, and how they load: the function names one (lib/verifier-deps.ts
 * `publicKeys`, lib/secrets.ts `signingKeysFromSecret`), so its bundle carries no other.
 */
export interface KeyLoader {
  source: KeySourceReader;
  load(config: Config): Promise<VerificationKeys>;
  /** Build the deps again after this long, to pick up a changed key set. */
  maxAgeMs?: number;
}

/** What a function's handlers do beyond reading and writing users and sessions, and so what it is given. */
export interface AppDepsFeatures extends Pick<AppDepsOptions, 'passwords' | 'isCommonPassword'> {
  keys: KeyLoader;
  /** For the functions that send messages: lib/mail-deps.ts `mailFromEnvironment`. */
  mail?: { load(env?: Record<string, string | undefined>): MailConfig; queue(config: MailConfig): AccountMail };
  /** For the functions that know the OAuth clients: lib/config.ts `loadClientsConfig` or `loadProviderConfig`. */
  oauth?: (env: Env) => ClientsConfig | ProviderConfig;
}

/**
 * The production deps of a function that uses the tables, from the environment, built once per container
 * (a signer's again every KEY_SET_MAX_AGE_MS, for the key set): only what its handler uses (the signing
 * key, the argon2 hasher, the common-password list) is given to it.
 */
export const appDeps = ({ keys, mail, oauth, ...extra }: AppDepsFeatures) => {
  let doc: DynamoDBDocumentClient | undefined;
  let messages: AccountMail | undefined;
  return productionDeps(
    // A bad OAUTH_CLIENTS fails the cold start, naming it, as every setting does.
    () => ({ config: loadConfig(process.env, keys.source), mail: mail?.load(process.env), oauth: oauth?.(process.env) }),
    async ({ config, mail: mailConfig, oauth: clients }) => {
      messages ??= mail && mailConfig ? mail.queue(mailConfig) : undefined;
      return createAppDeps({ config, keys: await keys.load(config), doc: (doc ??= createDocumentClient(config)), mail: messages, oauth: clients, ...extra });
    },
    { maxAgeMs: keys.maxAgeMs },
  );
};
