import { EXPIRED_DESCRIPTION } from '../../lib/tokens';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  authorize,
  wholeApi,
  type HttpApiAuthorizerEvent,
  type PolicyResult,
  type RequestAuthorizerEvent,
  type SimpleResult,
  type TokenAuthorizerEvent,
} from '../../lib/authorizer';
import { AuthError } from '../../lib/errors';
import type { AccessClaims } from '../../lib/tokens';
import { TEST_GRANT, testSetup, type TestSetup } from '../support/keys';

const fixture = <T>(name: string): T => JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', name), 'utf8')) as T;
const TOKEN_EVENT = fixture<TokenAuthorizerEvent>('authorizer-token-event.json');
const REQUEST_EVENT = fixture<RequestAuthorizerEvent>('authorizer-request-event.json');
const HTTP_API_EVENT = fixture<HttpApiAuthorizerEvent>('authorizer-http-api-v2-event.json');

const STAGE_WILDCARD = 'arn:aws:execute-api:us-east-1:123456789012:abcdef123/test/*';
const CLAIMS: AccessClaims = { sub: 'user-7f3a', scope: 'profile sessions', sid: 'sid-1', client_id: 'jwt-auth-cli', exp: 1_900_000_000, jti: 'j-1' };

const tokenEvent = (authorization: string | undefined): TokenAuthorizerEvent => ({ ...structuredClone(TOKEN_EVENT), authorizationToken: authorization });
function requestEvent(authorization: string | undefined): RequestAuthorizerEvent {
  const event = structuredClone(REQUEST_EVENT);
  if (authorization !== undefined) event.headers = { ...event.headers, Authorization: authorization };
  return event;
}

/** A verifier that accepts exactly one token, as the token service would. */
const acceptOnly = (good: string) => async (token: string): Promise<AccessClaims> => {
  if (token !== good) throw new AuthError('invalid_token', 'The access token signature is invalid.');
  return CLAIMS;
};

describe('wholeApi', () => {
  it.each([
    ['arn:aws:execute-api:us-east-1:123456789012:abcdef123/test/GET/request', 'arn:aws:execute-api:us-east-1:123456789012:abcdef123/test/*'],
    ['arn:aws:execute-api:eu-west-1:111122223333:a1b2c3d4e5/prod/DELETE/sessions/abc', 'arn:aws:execute-api:eu-west-1:111122223333:a1b2c3d4e5/prod/*'],
    ['arn:aws:execute-api:us-west-2:123456789012:ymy8tbxw7b/dev/GET/', 'arn:aws:execute-api:us-west-2:123456789012:ymy8tbxw7b/dev/*'],
  ])('widens %s to every method and path of its stage', (methodArn, expected) => {
    const resource = wholeApi(methodArn);

    expect(resource).toBe(expected);
  });
});

describe('authorize (REST)', () => {
  it('allows a valid token on the whole stage, with the claims as string context', async () => {
    const event = tokenEvent('Bearer good');

    const result = (await authorize(event, acceptOnly('good'))) as PolicyResult;

    expect(result).toEqual({
      principalId: 'user-7f3a',
      policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: STAGE_WILDCARD }] },
      context: { sub: 'user-7f3a', scope: 'profile sessions', sid: 'sid-1', client_id: 'jwt-auth-cli', exp: '1900000000' },
    });
  });

  it('reads the Authorization header of a REQUEST event whatever its case', async () => {
    const event = structuredClone(REQUEST_EVENT);
    event.headers = { ...event.headers, aUtHoRiZaTiOn: 'Bearer good' };

    const result = (await authorize(event, acceptOnly('good'))) as PolicyResult;

    expect(result.policyDocument.Statement[0]!.Effect).toBe('Allow');
  });

  it('denies a refused token with the RFC 6750 error as context', async () => {
    const event = requestEvent('Bearer forged');

    const result = (await authorize(event, acceptOnly('good'))) as PolicyResult;

    expect(result.policyDocument.Statement).toEqual([{ Action: 'execute-api:Invoke', Effect: 'Deny', Resource: STAGE_WILDCARD }]);
    expect(result.principalId).not.toBe('user-7f3a');
    expect(result.context).toEqual({
      error: 'invalid_token',
      error_description: 'The access token signature is invalid.',
    });
  });

  it.each([
    ['no header', undefined],
    ['another scheme', 'Basic dXNlcjpwYXNzd29yZA=='],
    ['an empty header', ''],
  ])('answers %s as a missing token: "Unauthorized", so API Gateway sends the realm-only challenge', async (_what, authorization) => {
    const event = requestEvent(authorization);
    const verify = jest.fn(acceptOnly('good'));

    const deciding = authorize(event, verify);

    await expect(deciding).rejects.toThrow(/^Unauthorized$/);
    expect(verify).not.toHaveBeenCalled();
  });

  it('never puts a quote, backslash or control character into error or error_description (JSON template values)', async () => {
    const event = tokenEvent('Bearer anything');
    const verify = async (): Promise<AccessClaims> => {
      throw new AuthError('invalid_token', 'Bad "kid" \\u0022 in\r\nheader');
    };

    const result = (await authorize(event, verify)) as PolicyResult;

    for (const name of ['error', 'error_description']) {
      expect(result.context[name]).not.toMatch(/["\\\u0000-\u001f\u007f]/);
    }
    const rendered = `{"code":401,"error":"${result.context.error}","error_description":"${result.context.error_description}"}`;
    expect(JSON.parse(rendered)).toMatchObject({ code: 401, error: 'invalid_token' });
  });

  it('lets a fault that is not a verdict propagate (API Gateway answers AUTHORIZER_FAILURE, not 401)', async () => {
    const event = tokenEvent('Bearer anything');
    const fault = new Error('key ring not loaded');
    const verify = async (): Promise<AccessClaims> => {
      throw fault;
    };

    await expect(authorize(event, verify)).rejects.toBe(fault);
  });
});

describe('authorize (HTTP API payload 2.0)', () => {
  const httpApiEvent = (authorization?: string): HttpApiAuthorizerEvent => {
    const event = structuredClone(HTTP_API_EVENT);
    if (authorization !== undefined) event.headers = { ...event.headers, authorization };
    return event;
  };

  it('answers a simple response with the claims as context', async () => {
    const event = httpApiEvent('Bearer good');

    const result = (await authorize(event, acceptOnly('good'))) as SimpleResult;

    expect(result).toEqual({ isAuthorized: true, context: { sub: 'user-7f3a', scope: 'profile sessions', sid: 'sid-1', client_id: 'jwt-auth-cli', exp: '1900000000' } });
  });

  it('answers isAuthorized false for a missing token', async () => {
    const event = httpApiEvent();

    const result = (await authorize(event, acceptOnly('good'))) as SimpleResult;

    expect(result).toEqual({
      isAuthorized: false,
      context: { error: 'invalid_token', error_description: 'The access token is missing.' },
    });
  });
});

describe('authorize with the real token service', () => {
  let setup: TestSetup;
  beforeAll(async () => {
    setup = await testSetup('ES256');
  });

  it('allows a token the service issued', async () => {
    const { accessToken } = await setup.tokens.issue(TEST_GRANT);
    const event = tokenEvent(`Bearer ${accessToken}`);

    const result = (await authorize(event, setup.tokens.verify)) as PolicyResult;

    expect(result.principalId).toBe('user-7f3a');
    expect(result.policyDocument.Statement[0]).toEqual({ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: STAGE_WILDCARD });
    expect(result.context).toEqual({ sub: 'user-7f3a', scope: 'profile sessions', sid: 'sid-0123456789abcdefghij', client_id: 'jwt-auth-cli', exp: String(Math.floor(setup.clock.now / 1000) + 900) });
  });

  it('denies an expired token with the contract\'s exact description', async () => {
    const own = await testSetup('ES256');
    const { accessToken } = await own.tokens.issue(TEST_GRANT);
    own.clock.now += 900 * 1000;
    const event = tokenEvent(`Bearer ${accessToken}`);

    const result = (await authorize(event, own.tokens.verify)) as PolicyResult;

    expect(result.policyDocument.Statement[0]!.Effect).toBe('Deny');
    expect(result.context).toMatchObject({ error: 'invalid_token', error_description: EXPIRED_DESCRIPTION });
  });
});
