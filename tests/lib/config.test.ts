import { loadConfig, loadVerifierConfig, signerKeys } from '../../lib/config';
import { ConfigError } from '../../lib/errors';

/** The variables without a default; everything else must fall back to the CONTRACT's values. */
const REQUIRED = {
  ISSUER: 'https://auth.example.test',
  SIGNING_KEYS: '{"keys":[{"kty":"EC"}]}',
  USERS_TABLE: 'users',
  USERNAMES_TABLE: 'usernames',
  EMAILS_TABLE: 'emails',
  SESSIONS_TABLE: 'sessions',
  ATTEMPTS_TABLE: 'attempts',
};

async function expectConfigError(env: Record<string, string | undefined>, variable: string): Promise<void> {
  const load = async () => loadConfig(env, signerKeys);
  await expect(load).rejects.toBeInstanceOf(ConfigError);
  await expect(load).rejects.toMatchObject({ name: 'ConfigError', variable, message: expect.stringContaining(variable) });
}

describe('loadConfig defaults', () => {
  it('applies the CONTRACT defaults when only the required variables are set', () => {
    const env = { ...REQUIRED };

    const config = loadConfig(env, signerKeys);

    expect(config).toMatchObject({
      issuer: 'https://auth.example.test',
      accessTokenTtl: 900,
      refreshTokenIdleTtl: 1_209_600,
      refreshTokenAbsoluteTtl: 7_776_000,
      refreshTokenReuseGrace: 30,
      defaultScopes: ['profile', 'sessions'],
      signingAlg: 'ES256',
      clockSkew: 0,
      usersTable: 'users',
      sessionsTable: 'sessions',
    });
  });

  it('treats the empty strings serverless.yml passes for unset variables as "use the default"', () => {
    const env = { ...REQUIRED, ACCESS_TOKEN_TTL: '', CLOCK_SKEW: '', SIGNING_ALG: '', DEFAULT_SCOPES: '', AUDIENCE: '' };

    const config = loadConfig(env, signerKeys);

    expect(config).toMatchObject({ accessTokenTtl: 900, clockSkew: 0, signingAlg: 'ES256', defaultScopes: ['profile', 'sessions'] });
  });

  it('uses the issuer as audience when AUDIENCE is empty, never an empty audience', () => {
    const env = { ...REQUIRED, AUDIENCE: '' };

    const config = loadConfig(env, signerKeys);

    expect(config.audience).toBe('https://auth.example.test');
  });

  it('reads explicit values, e.g. ACCESS_TOKEN_TTL=2 for two-second tokens', () => {
    const env = {
      ...REQUIRED,
      AUDIENCE: 'https://api.example.test',
      ACCESS_TOKEN_TTL: '2',
      REFRESH_TOKEN_IDLE_TTL: '60',
      REFRESH_TOKEN_ABSOLUTE_TTL: '120',
      REFRESH_TOKEN_REUSE_GRACE: '0',
      CLOCK_SKEW: '5',
      SIGNING_ALG: 'EdDSA',
      DEFAULT_SCOPES: 'profile',
    };

    const config = loadConfig(env, signerKeys);

    expect(config).toMatchObject({
      audience: 'https://api.example.test',
      accessTokenTtl: 2,
      refreshTokenIdleTtl: 60,
      refreshTokenAbsoluteTtl: 120,
      refreshTokenReuseGrace: 0,
      clockSkew: 5,
      signingAlg: 'EdDSA',
      defaultScopes: ['profile'],
    });
  });

  it.each(['ES256', 'RS256', 'EdDSA', 'HS256'])('accepts SIGNING_ALG=%s', (alg) => {
    const env = { ...REQUIRED, SIGNING_ALG: alg };

    const config = loadConfig(env, signerKeys);

    expect(config.signingAlg).toBe(alg);
  });
});

describe('loadConfig rejects bad values with a ConfigError naming the variable', () => {
  it.each([
    ['ACCESS_TOKEN_TTL', 'fifteen'],
    ['ACCESS_TOKEN_TTL', '15m'],
    ['ACCESS_TOKEN_TTL', '1.5'],
    ['ACCESS_TOKEN_TTL', '0x10'],
    ['REFRESH_TOKEN_IDLE_TTL', 'two weeks'],
    ['REFRESH_TOKEN_ABSOLUTE_TTL', 'NaN'],
    ['REFRESH_TOKEN_REUSE_GRACE', 'soon'],
    ['CLOCK_SKEW', 'a bit'],
  ])('%s=%s (not a number)', async (variable, value) => {
    const env = { ...REQUIRED, [variable]: value };

    await expectConfigError(env, variable);
  });

  it.each(['ACCESS_TOKEN_TTL', 'REFRESH_TOKEN_IDLE_TTL', 'REFRESH_TOKEN_ABSOLUTE_TTL', 'REFRESH_TOKEN_REUSE_GRACE', 'CLOCK_SKEW'])(
    '%s=-1 (negative)',
    async (variable) => {
      const env = { ...REQUIRED, [variable]: '-1' };

      await expectConfigError(env, variable);
    },
  );

  it('ACCESS_TOKEN_TTL=0 (tokens that are born expired)', async () => {
    const env = { ...REQUIRED, ACCESS_TOKEN_TTL: '0' };

    await expectConfigError(env, 'ACCESS_TOKEN_TTL');
  });

  it.each(['none', 'None', 'HS512', 'RS512', 'PS256'])('SIGNING_ALG=%s (not on the allow-list)', async (alg) => {
    const env = { ...REQUIRED, SIGNING_ALG: alg };

    await expectConfigError(env, 'SIGNING_ALG');
  });

  it('REFRESH_TOKEN_IDLE_TTL above REFRESH_TOKEN_ABSOLUTE_TTL', async () => {
    const env = { ...REQUIRED, REFRESH_TOKEN_IDLE_TTL: '7200', REFRESH_TOKEN_ABSOLUTE_TTL: '3600' };

    await expectConfigError(env, 'REFRESH_TOKEN_IDLE_TTL');
  });

  it.each(['not a url', 'auth.example.test', '/relative/path', 'ftp://auth.example.test', 'javascript:alert(1)'])(
    'ISSUER=%s (not an http(s) URL)',
    async (issuer) => {
      const env = { ...REQUIRED, ISSUER: issuer };

      await expectConfigError(env, 'ISSUER');
    },
  );

  it.each(['ISSUER', 'USERS_TABLE', 'USERNAMES_TABLE', 'EMAILS_TABLE', 'SESSIONS_TABLE', 'ATTEMPTS_TABLE'])('%s missing', async (variable) => {
    const env: Record<string, string | undefined> = { ...REQUIRED, [variable]: undefined };

    await expectConfigError(env, variable);
  });

  it.each([undefined, '   '])('no key set (SIGNING_KEYS %j) and no SIGNING_KEYS_SECRET, naming the secret a deployed function reads', async (value) => {
    const env: Record<string, string | undefined> = { ...REQUIRED, SIGNING_KEYS: value };

    await expectConfigError(env, 'SIGNING_KEYS_SECRET');
  });

  it('USERS_TABLE blank (only spaces)', async () => {
    const env = { ...REQUIRED, USERS_TABLE: '   ' };

    await expectConfigError(env, 'USERS_TABLE');
  });

  it.each(['app.example.test', 'https://app.example.test/', 'https://app.example.test/path', '*'])('CORS_ORIGINS=%s (not an exact origin)', async (origin) => {
    const env = { ...REQUIRED, CORS_ORIGINS: `https://ok.example.test ${origin}` };

    await expectConfigError(env, 'CORS_ORIGINS');
  });

  it('DEFAULT_SCOPES holding a character RFC 6749 forbids in a scope', async () => {
    const env = { ...REQUIRED, DEFAULT_SCOPES: 'profile "admin"' };

    await expectConfigError(env, 'DEFAULT_SCOPES');
  });
});

describe('where the keys come from', () => {
  it('signs with SIGNING_KEYS wherever it is set, and reads SIGNING_KEYS_SECRET otherwise', () => {
    const local = loadConfig(REQUIRED, signerKeys);
    const deployed = loadConfig({ ...REQUIRED, SIGNING_KEYS: undefined, SIGNING_KEYS_SECRET: 'jwt-auth/prod/signing-keys' }, signerKeys);

    expect(local.keys).toEqual({ kind: 'private', json: REQUIRED.SIGNING_KEYS });
    expect(deployed.keys).toEqual({ kind: 'secret', secretId: 'jwt-auth/prod/signing-keys' });
  });

  it('gives a function that only verifies the public set, and names PUBLIC_JWKS when it is missing', () => {
    const verifier = loadVerifierConfig({ ISSUER: REQUIRED.ISSUER, PUBLIC_JWKS: '{"keys":[]}' });
    const missing = () => loadVerifierConfig({ ISSUER: REQUIRED.ISSUER });

    expect(verifier.keys).toEqual({ kind: 'public', json: '{"keys":[]}' });
    expect(missing).toThrow(expect.objectContaining({ variable: 'PUBLIC_JWKS' }));
  });

  it('reads for the authorizer only what it uses: no table, no CORS, no session setting', () => {
    const authorizer = loadVerifierConfig({ ISSUER: REQUIRED.ISSUER, PUBLIC_JWKS: '{"keys":[]}', CORS_ORIGINS: 'not an origin' });

    expect(Object.keys(authorizer).sort()).toEqual(['audience', 'clockSkew', 'issuer', 'keys', 'signingAlg']);
  });
});
