import { EXPIRED_DESCRIPTION } from '../../lib/tokens';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeAuthorizerHandler } from '../../functions/authorizer';
import { ConfigError } from '../../lib/errors';
import { generateSigningJwk, loadKeyRing } from '../../lib/keys';
import type { AuthorizerEvent, HttpApiAuthorizerEvent, PolicyResult, RequestAuthorizerEvent, SimpleResult, TokenAuthorizerEvent } from '../../lib/authorizer';
import { mintRefreshToken } from '../../lib/refresh-tokens';
import { createTokenService } from '../../lib/tokens';
import { signingKeysJson, TEST_GRANT, testSetup, type TestSetup } from '../support/keys';

const fixture = <T>(name: string): T => JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', name), 'utf8')) as T;
const TOKEN_EVENT = fixture<TokenAuthorizerEvent>('authorizer-token-event.json');
const REQUEST_EVENT = fixture<RequestAuthorizerEvent>('authorizer-request-event.json');
const HTTP_API_EVENT = fixture<HttpApiAuthorizerEvent>('authorizer-http-api-v2-event.json');

/** Every method and path of the fixtures' stage: what a cached policy must cover. */
const STAGE_WILDCARD = 'arn:aws:execute-api:us-east-1:123456789012:abcdef123/test/*';
const EXPIRED = EXPIRED_DESCRIPTION;
const MISSING = 'The access token is missing.';

type Kind = 'TOKEN' | 'REQUEST' | 'HTTP API v2';

/** A fresh clone of the kind's documented event, carrying `authorization` (or nothing) where API Gateway puts it. */
function eventFor(kind: Kind, authorization: string | undefined): AuthorizerEvent {
  switch (kind) {
    case 'TOKEN': {
      const event = structuredClone(TOKEN_EVENT);
      event.authorizationToken = authorization ?? '';
      return event;
    }
    case 'REQUEST': {
      const event = structuredClone(REQUEST_EVENT);
      if (authorization !== undefined) event.headers = { ...event.headers, Authorization: authorization };
      return event;
    }
    case 'HTTP API v2': {
      const event = structuredClone(HTTP_API_EVENT);
      if (authorization !== undefined) {
        // HTTP APIs lower-case header names and list the identity source values.
        event.headers = { ...event.headers, authorization };
        (event as HttpApiAuthorizerEvent & { identitySource: string[] }).identitySource = [authorization];
      }
      return event;
    }
  }
}

/** Whether the answer lets the request through, read the way API Gateway reads it. */
function allowed(kind: Kind, result: PolicyResult | SimpleResult): boolean {
  if (kind === 'HTTP API v2') return (result as SimpleResult).isAuthorized;
  const statements = (result as PolicyResult).policyDocument.Statement;
  return statements.length > 0 && statements.every((statement) => statement.Effect === 'Allow');
}

const KINDS: Kind[] = ['TOKEN', 'REQUEST', 'HTTP API v2'];

describe.each(KINDS)('authorizer handler, %s event', (kind) => {
  let setup: TestSetup;
  let handler: ReturnType<typeof makeAuthorizerHandler>;
  let accessToken: string;
  const start = Date.UTC(2030, 0, 1, 12, 0, 0);

  beforeAll(async () => {
    setup = await testSetup('ES256');
    handler = makeAuthorizerHandler(async () => setup);
  });
  beforeEach(async () => {
    setup.clock.now = start;
    accessToken = (await setup.tokens.issue(TEST_GRANT)).accessToken;
  });

  const CLAIMS_CONTEXT = { sub: 'user-7f3a', scope: 'profile sessions', sid: 'sid-0123456789abcdefghij', client_id: 'jwt-auth-cli', exp: String(start / 1000 + 900) };

  it('allows a valid token, with exactly sub, scope, sid, client_id and exp as string context', async () => {
    const event = eventFor(kind, `Bearer ${accessToken}`);

    const result = await handler(event);

    if (kind === 'HTTP API v2') {
      expect(result).toEqual({ isAuthorized: true, context: CLAIMS_CONTEXT });
    } else {
      expect(result).toEqual({
        principalId: 'user-7f3a',
        policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: STAGE_WILDCARD }] },
        context: CLAIMS_CONTEXT,
      });
    }
    for (const value of Object.values(result.context)) expect(typeof value).toBe('string');
  });

  it('accepts the scheme in lower case ("bearer")', async () => {
    const event = eventFor(kind, `bearer ${accessToken}`);

    const result = await handler(event);

    expect(allowed(kind, result)).toBe(true);
    expect(result.context.sub).toBe('user-7f3a');
  });

  it('denies an expired token with invalid_token and the contract\'s exact description', async () => {
    const event = eventFor(kind, `Bearer ${accessToken}`);
    setup.clock.now = start + setup.config.accessTokenTtl * 1000;

    const result = await handler(event);

    expect(allowed(kind, result)).toBe(false);
    expect(result.context).toEqual({ error: 'invalid_token', error_description: EXPIRED });
  });

  it.each([
    ['without a token', undefined],
    ['with another scheme than Bearer', 'Basic dXNlcjpwYXNzd29yZA=='],
  ])('refuses a request %s as carrying no token (challenge without error=)', async (_what, authorization) => {
    const event = eventFor(kind, authorization);

    if (kind !== 'HTTP API v2') {
      // REST: "Unauthorized" makes API Gateway answer with the UNAUTHORIZED gateway response (realm only).
      await expect(handler(event)).rejects.toThrow(/^Unauthorized$/);
      return;
    }
    const result = await handler(event);
    expect(allowed(kind, result)).toBe(false);
    expect(result.context).toEqual({ error: 'invalid_token', error_description: MISSING });
  });

  it.each<[string, (genuine: string) => string]>([
    ['garbage', () => 'Bearer garbage'],
    ['three garbage parts', () => 'Bearer a.b.c'],
    ['a truncated JWT', (genuine) => `Bearer ${genuine.slice(0, -5)}`],
    ['a refresh token', () => `Bearer ${mintRefreshToken('2bbc8285-d916-4560-ad05-a9c2cf62296a').token}`],
  ])('denies %s', async (_what, authorization) => {
    const value = authorization(accessToken);
    const event = eventFor(kind, value);

    const result = await handler(event);

    expect(allowed(kind, result)).toBe(false);
    expect(result.context.error).toBe('invalid_token');
    expect(result.context.error_description).not.toBe(MISSING);
    expect(result.context).not.toHaveProperty('sub');
  });

  it('denies a token from another issuer\'s key ring that reuses our kid', async () => {
    const foreignRing = await loadKeyRing(signingKeysJson([await generateSigningJwk('ES256')]), 'ES256');
    const foreign = createTokenService(setup.config, { ...foreignRing, signing: { ...foreignRing.signing, kid: setup.keys.signing.kid } }, () => setup.clock.now);
    const { accessToken: forged } = await foreign.issue({ ...TEST_GRANT, sub: 'admin' });
    const event = eventFor(kind, `Bearer ${forged}`);

    const result = await handler(event);

    expect(allowed(kind, result)).toBe(false);
    expect(result.context).not.toHaveProperty('sub');
  });

  it.each([
    ['expired', 'EXPIRED'],
    ['garbage', 'GARBAGE'],
  ])('puts no quote or backslash into the values the gateway response template substitutes (%s)', async (_what, scenario) => {
    const event = eventFor(kind, scenario === 'GARBAGE' ? 'Bearer x"y\\z' : `Bearer ${accessToken}`);
    if (scenario === 'EXPIRED') setup.clock.now = start + 3600 * 1000;

    const result = await handler(event);

    expect(allowed(kind, result)).toBe(false);
    const rendered = `{"code":401,"error":"${result.context.error}","error_description":"${result.context.error_description}"}`;
    expect(result.context.error).not.toMatch(/["\\]/);
    expect(result.context.error_description).not.toMatch(/["\\]/);
    expect(JSON.parse(rendered)).toMatchObject({ code: 401, error: 'invalid_token' });
  });
});

describe('authorizer handler, misconfigured', () => {
  it('fails the invocation (AUTHORIZER_FAILURE) instead of denying, when the deps cannot be built', async () => {
    const handler = makeAuthorizerHandler(async () => {
      throw new ConfigError('SIGNING_KEYS', 'must be set');
    });
    const event = eventFor('REQUEST', 'Bearer anything');

    await expect(handler(event)).rejects.toMatchObject({ name: 'ConfigError', variable: 'SIGNING_KEYS' });
  });
});
