import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { parse } from 'yaml';
import { handler, makeDiscoveryHandler } from '../../functions/discovery';
import { discoveryDocument } from '../../lib/discovery';
import type { MetadataConfig } from '../../lib/config';
import type { VerifierDeps } from '../../lib/verifier-deps';
import { bodyOf, proxyEvent } from '../support/app';
import { signingJwks, signingKeysJson, TEST_GRANT, testEnv, testSetup, type TestSetup } from '../support/keys';

const WELL_KNOWN = ['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server'];

const depsOf = (setup: TestSetup) => async (): Promise<VerifierDeps<MetadataConfig>> => setup;

interface Manifest {
  functions: Record<string, { handler: string; events?: { http?: { path: string; method: string } }[] }>;
}

/** The handler serverless.yml routes each GET path to. */
function getRoutes(): Map<string, string[]> {
  const manifest = parse(readFileSync(join(__dirname, '..', '..', 'serverless.yml'), 'utf8')) as Manifest;
  const table = new Map<string, string[]>();
  for (const fn of Object.values(manifest.functions)) {
    for (const event of fn.events ?? []) {
      if (event.http?.method.toLowerCase() !== 'get') continue;
      const path = `/${event.http.path}`;
      table.set(path, [...(table.get(path) ?? []), fn.handler]);
    }
  }
  return table;
}

describe('GET /.well-known/openid-configuration (makeDiscoveryHandler)', () => {
  let setup: TestSetup;
  beforeAll(async () => {
    setup = await testSetup('ES256', { DEFAULT_SCOPES: 'profile sessions', SCOPES: 'profile sessions orders:read' });
  });

  it('answers 200 with the RFC 8414 metadata of this configuration', async () => {
    const discovery = makeDiscoveryHandler(depsOf(setup));

    const response = await discovery(proxyEvent());

    expect(response.statusCode).toBe(200);
    expect(response.headers['Content-Type']).toBe('application/json');
    expect(bodyOf(response)).toEqual(discoveryDocument(setup.config));
    expect(bodyOf(response)).toMatchObject({
      issuer: setup.config.issuer,
      token_endpoint: `${setup.config.issuer}/oauth/token`,
      revocation_endpoint: `${setup.config.issuer}/oauth/revoke`,
      jwks_uri: `${setup.config.issuer}/.well-known/jwks.json`,
      authorization_endpoint: `${setup.config.issuer}/oauth/authorize`,
      grant_types_supported: ['authorization_code', 'refresh_token', 'password'],
      scopes_supported: ['profile', 'sessions', 'orders:read', 'openid', 'email'],
      token_endpoint_auth_methods_supported: ['none', 'client_secret_basic', 'client_secret_post'],
      access_token_signing_alg_values_supported: ['ES256'],
    });
  });

  it('lets shared caches keep it: Cache-Control public with a max-age, and no Pragma', async () => {
    const discovery = makeDiscoveryHandler(depsOf(setup));

    const response = await discovery(proxyEvent());

    expect(response.headers['Cache-Control']).toMatch(/^public, max-age=[1-9]\d*$/);
    expect(response.headers).not.toHaveProperty('Pragma');
  });

  it('publishes the very issuer that access tokens carry in iss (RFC 8414 §3.3)', async () => {
    const discovery = makeDiscoveryHandler(depsOf(setup));
    const { accessToken } = await setup.tokens.issue(TEST_GRANT);

    const response = await discovery(proxyEvent());

    expect(bodyOf(response).issuer).toBe(decodeJwt(accessToken).iss);
  });

  it('names the configured algorithm, HS256 included', async () => {
    const hs = await testSetup('HS256');
    const discovery = makeDiscoveryHandler(depsOf(hs));

    const response = await discovery(proxyEvent());

    expect(bodyOf(response).access_token_signing_alg_values_supported).toEqual(['HS256']);
  });

  it('answers a broken configuration with a bare 500 that says nothing about the server', async () => {
    const discovery = makeDiscoveryHandler(() => Promise.reject(new Error('SIGNING_KEYS must be set')));

    const response = await discovery(proxyEvent());

    expect(response.statusCode).toBe(500);
    expect(bodyOf(response)).toEqual({ code: 500, error: 'server_error', error_description: 'The server could not complete the request.' });
  });
});

describe('both well-known metadata routes', () => {
  const saved = { ...process.env };
  beforeAll(async () => {
    Object.assign(process.env, testEnv(signingKeysJson(await signingJwks('ES256'))));
  });
  afterAll(() => {
    process.env = saved;
  });

  it('are routed by serverless.yml to functions/discovery.handler, and nothing else', () => {
    const table = getRoutes();

    const served = WELL_KNOWN.map((path) => table.get(path));

    expect(served).toEqual([['functions/discovery.handler'], ['functions/discovery.handler']]);
  });

  it('get the same document from the deployed handler', async () => {
    const [openid, oauth] = WELL_KNOWN.map((path) => proxyEvent({ httpMethod: 'GET', path, rawBody: null, contentType: null }));

    const first = await handler(openid!);
    const second = await handler(oauth!);

    expect(first.statusCode).toBe(200);
    expect(second.statusCode).toBe(200);
    expect(second.body).toBe(first.body);
    expect(bodyOf(first).token_endpoint).toBe(`${process.env.ISSUER}/oauth/token`);
  });
});
