import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { loadConfig , signerKeys } from '../../lib/config';
import { discoveryDocument, ENDPOINTS, GRANT_TYPES } from '../../lib/discovery';
import { signingJwks, signingKeysJson, testEnv, TEST_ISSUER } from '../support/keys';

interface HttpEvent {
  http?: { path: string; method: string };
}
interface Manifest {
  functions: Record<string, { handler: string; events?: HttpEvent[] }>;
}

/** Every HTTP route of serverless.yml as "METHOD /path" → the handler that serves it. */
function routes(): Map<string, string> {
  const manifest = parse(readFileSync(join(__dirname, '..', '..', 'serverless.yml'), 'utf8')) as Manifest;
  const table = new Map<string, string>();
  for (const fn of Object.values(manifest.functions)) {
    for (const event of fn.events ?? []) {
      if (event.http) table.set(`${event.http.method.toUpperCase()} /${event.http.path}`, fn.handler);
    }
  }
  return table;
}

const CONFIG = { issuer: 'https://auth.example.test/dev', scopes: ['profile', 'sessions'], signingAlg: 'ES256' } as const;

describe('discoveryDocument (RFC 8414)', () => {
  it('names the issuer and puts every endpoint at the issuer plus its path', () => {
    const config = { ...CONFIG, scopes: [...CONFIG.scopes] };

    const document = discoveryDocument(config);

    expect(document.issuer).toBe('https://auth.example.test/dev');
    expect(document.token_endpoint).toBe('https://auth.example.test/dev/oauth/token');
    expect(document.revocation_endpoint).toBe('https://auth.example.test/dev/oauth/revoke');
    expect(document.jwks_uri).toBe('https://auth.example.test/dev/.well-known/jwks.json');
  });

  it('describes the authorization code flow with PKCE S256 only, with iss in every response (RFC 9207), and the ID tokens', () => {
    const document = discoveryDocument({ ...CONFIG, scopes: [...CONFIG.scopes] });

    expect(document.authorization_endpoint).toBe('https://auth.example.test/dev/oauth/authorize');
    expect(document.userinfo_endpoint).toBe('https://auth.example.test/dev/oauth/userinfo');
    expect(document.end_session_endpoint).toBe('https://auth.example.test/dev/oauth/end-session');
    expect(document.response_types_supported).toEqual(['code']);
    expect(document.code_challenge_methods_supported).toEqual(['S256']);
    expect(document.authorization_response_iss_parameter_supported).toBe(true);
    expect(document.subject_types_supported).toEqual(['public']);
    expect(document.id_token_signing_alg_values_supported).toEqual(['ES256']);
    expect(document.token_endpoint_auth_methods_supported).toEqual(['none', 'client_secret_basic', 'client_secret_post']);
    expect(document.revocation_endpoint_auth_methods_supported).toEqual(['none']);
  });

  it('lists the password grant only while PASSWORD_GRANT is on', () => {
    const on = discoveryDocument({ ...CONFIG, scopes: [...CONFIG.scopes], passwordGrant: true });
    const off = discoveryDocument({ ...CONFIG, scopes: [...CONFIG.scopes], passwordGrant: false });

    expect(on.grant_types_supported).toEqual(['authorization_code', 'refresh_token', 'password']);
    expect(off.grant_types_supported).toEqual(['authorization_code', 'refresh_token']);
  });

  it('lists exactly the configured SCOPES (every scope, granted to all or to some) and the signing algorithm', () => {
    const config = { issuer: TEST_ISSUER, scopes: ['profile', 'sessions', 'orders:read'], signingAlg: 'EdDSA' as const };

    const document = discoveryDocument(config);

    expect(document.scopes_supported).toEqual(['profile', 'sessions', 'orders:read']);
    expect(document.access_token_signing_alg_values_supported).toEqual(['EdDSA']);
  });

  it('never hands out a grant list a caller could change for the next document', () => {
    const config = { ...CONFIG, scopes: [...CONFIG.scopes] };
    const first = discoveryDocument(config);

    first.grant_types_supported.push('client_credentials' as never);
    const second = discoveryDocument(config);

    expect(second.grant_types_supported).toEqual([...GRANT_TYPES]);
  });

  it('builds endpoint URLs without a double slash from an ISSUER configured with a trailing slash', async () => {
    const config = loadConfig(testEnv(signingKeysJson(await signingJwks('ES256')), { ISSUER: 'https://auth.example.test/prod/' }), signerKeys);

    const document = discoveryDocument(config);

    expect(document.issuer).toBe('https://auth.example.test/prod');
    for (const url of [document.token_endpoint, document.revocation_endpoint, document.jwks_uri]) {
      expect(new URL(url).pathname).not.toContain('//');
      expect(url.startsWith(`${document.issuer}/`)).toBe(true);
    }
  });
});

describe('ENDPOINTS and serverless.yml', () => {
  it.each([
    ['token', 'POST', 'functions/token.handler'],
    ['revocation', 'POST', 'functions/revoke.handler'],
    ['jwks', 'GET', 'functions/jwks.handler'],
  ] as const)('the %s endpoint the document publishes is routed to its handler', (endpoint, method, handler) => {
    const table = routes();

    const served = table.get(`${method} ${ENDPOINTS[endpoint]}`);

    expect(served).toBe(handler);
  });
});
