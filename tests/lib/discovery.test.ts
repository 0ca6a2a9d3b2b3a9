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

  it('offers the password and refresh_token grants only, for public clients (auth method none)', () => {
    const config = { ...CONFIG, scopes: [...CONFIG.scopes] };

    const document = discoveryDocument(config);

    expect(document.grant_types_supported).toEqual(['password', 'refresh_token']);
    expect(document.token_endpoint_auth_methods_supported).toEqual(['none']);
    expect(document.revocation_endpoint_auth_methods_supported).toEqual(['none']);
    expect(document.response_types_supported).toEqual([]);
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
