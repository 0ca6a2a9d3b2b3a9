/**
 * The packaged template's gateway responses, rendered as API Gateway would for the REAL authorizer's
 * verdicts: real keys, real tokens (expired through an injected clock), lib/authorizer.ts on TOKEN events.
 */
import { SignJWT, type JWTPayload } from 'jose';
import { authorize, type PolicyResult, type TokenAuthorizerEvent } from '../../lib/authorizer';
import { generateSigningJwk, loadKeyRing, type KeyRing } from '../../lib/keys';
import { createTokenService, EXPIRED_DESCRIPTION, type TokenService } from '../../lib/tokens';
import { parseBearerChallenge } from '../support/offline';
import { GATEWAY_RESPONSES, gatewayResponseFor, renderGatewayResponse, type AuthorizerOutcome } from '../../scripts/local-gateway/gateway-responses';
import { packaged as packagedStage, type PackagedService } from '../support/package';

type Outcome = AuthorizerOutcome;
const ISSUER = 'https://auth.example.com/dev';
const TTL = 900;
const T0 = Date.UTC(2030, 0, 1);
const METHOD_ARN = 'arn:aws:execute-api:us-east-1:123456789012:abcdef1234/dev/GET/me';

let packaged: PackagedService;
let realm: string;
let keys: KeyRing;
let issuer: TokenService;
let verifyNow: TokenService;
let verifyLater: TokenService;

let prod: PackagedService;

beforeAll(async () => {
  // Both stages are packaged one after the other in the background (tests/support/global-package.ts).
  [packaged, prod] = await Promise.all([packagedStage('dev'), packagedStage('prod')]);
  // The realm of a protected route's own challenges: the gateway's must name the same.
  const me = Object.values(packaged.resources).find((r) => r.Properties?.Handler === 'functions/me.handler')!;
  realm = me.Properties.Environment.Variables.REALM;
  keys = await loadKeyRing(JSON.stringify({ keys: [await generateSigningJwk('ES256')] }), 'ES256');
  const config = { issuer: ISSUER, audience: ISSUER, accessTokenTtl: TTL, clockSkew: 0 };
  issuer = createTokenService(config, keys, () => T0);
  verifyNow = createTokenService(config, keys, () => T0 + 1000);
  verifyLater = createTokenService(config, keys, () => T0 + (TTL + 1) * 1000);
}, 200_000);


const tokenEvent = (authorization?: string): TokenAuthorizerEvent => ({ type: 'TOKEN', authorizationToken: authorization, methodArn: METHOD_ARN });

/** What API Gateway gets from the authorizer: no call at all without the header, else its result or its error. */
function outcomeOf(authorization: string | undefined, tokens: TokenService): Promise<Outcome> {
  if (authorization === undefined) return Promise.resolve({ missingToken: true });
  return authorize(tokenEvent(authorization), tokens.verify).then(
    (result) => ({ result: result as PolicyResult }),
    (error: Error) => ({ error: error.message }),
  );
}

const render = (outcome: Outcome) => gatewayResponseFor(packaged.resources, outcome);

const grant = { sub: 'user-1', scope: 'profile sessions', sid: 'abcdefghijklmnopqrstuv', clientId: 'default' };

/** Signs arbitrary claims and header with the ring's own key, for the verdicts `issue` never produces. */
async function signWithRing(payload: JWTPayload, header: Record<string, unknown> = {}): Promise<string> {
  const base = { iss: ISSUER, aud: ISSUER, sub: grant.sub, scope: grant.scope, sid: grant.sid, client_id: 'default', jti: 'j-1', iat: T0 / 1000, exp: T0 / 1000 + TTL };
  return new SignJWT({ ...base, ...payload })
    .setProtectedHeader({ alg: 'ES256', kid: keys.signing.kid, typ: 'at+jwt', ...header })
    .sign(keys.signing.key);
}

describe('an expired access token', () => {
  test('is denied and renders the contract\'s exact 401 body with an RFC 6750 challenge', async () => {
    const { accessToken } = await issuer.issue(grant);

    const outcome = await outcomeOf(`Bearer ${accessToken}`, verifyLater);
    const { type, response } = render(outcome);

    expect(type).toBe('ACCESS_DENIED');
    expect(response!.statusCode).toBe(401);
    expect(JSON.parse(response!.body)).toEqual({ code: 401, error: 'invalid_token', error_description: EXPIRED_DESCRIPTION });
    expect(response!.headers['Content-Type']).toBe('application/json');
    expect(parseBearerChallenge(response!.headers['WWW-Authenticate'])).toEqual({
      realm,
      error: 'invalid_token',
      error_description: expect.any(String),
    });
  });

  test('the same token before its exp is allowed: no gateway response at all', async () => {
    const { accessToken } = await issuer.issue(grant);

    const outcome = await outcomeOf(`Bearer ${accessToken}`, verifyNow);

    expect(render(outcome).type).toBeUndefined();
    expect((outcome as { result: PolicyResult }).result.context).toMatchObject({ sub: grant.sub, sid: grant.sid });
  });
});

describe('a missing token', () => {
  test('renders UNAUTHORIZED: 401 with a challenge that names the realm only', () => {
    const { type, response } = render({ missingToken: true });

    expect(type).toBe('UNAUTHORIZED');
    expect(response!.statusCode).toBe(401);
    expect(JSON.parse(response!.body)).toMatchObject({ code: 401, error: 'invalid_token' });
    expect(parseBearerChallenge(response!.headers['WWW-Authenticate'])).toEqual({ realm });
  });
});

describe('a header with another scheme than Bearer', () => {
  test('carries no token (RFC 6750 §3.1): 401 with a challenge that names the realm only', async () => {
    const outcome = await outcomeOf('Basic dXNlcjpwYXNz', verifyNow);

    const { response } = render(outcome);

    expect(response!.statusCode).toBe(401);
    expect(JSON.parse(response!.body)).toMatchObject({ code: 401, error: 'invalid_token' });
    expect(parseBearerChallenge(response!.headers['WWW-Authenticate'])).toEqual({ realm });
  });
});

describe('every description the authorizer can emit', () => {
  const cases: [string, () => Promise<string>, 'now' | 'later'][] = [
    ['expired', async () => `Bearer ${(await issuer.issue(grant)).accessToken}`, 'later'],
    ['not valid yet', async () => `Bearer ${await signWithRing({ nbf: T0 / 1000 + 600 })}`, 'now'],
    ['wrong issuer', async () => `Bearer ${await signWithRing({ iss: 'https://evil.example' })}`, 'now'],
    ['wrong audience', async () => `Bearer ${await signWithRing({ aud: 'https://other.example' })}`, 'now'],
    ['wrong typ', async () => `Bearer ${await signWithRing({}, { typ: 'JWT' })}`, 'now'],
    ['no sid claim', async () => `Bearer ${await signWithRing({ sid: undefined })}`, 'now'],
    ['no jti claim', async () => `Bearer ${await signWithRing({ jti: undefined })}`, 'now'],
    ['unknown kid', async () => `Bearer ${await signWithRing({}, { kid: 'someone-else' })}`, 'now'],
    ['bad signature', async () => {
      const token = await signWithRing({});
      const at = token.lastIndexOf('.') + 4;
      return `Bearer ${token.slice(0, at)}${token[at] === 'A' ? 'B' : 'A'}${token.slice(at + 1)}`;
    }, 'now'],
    ['alg none', async () => {
      const payload = (await signWithRing({})).split('.')[1];
      const none = Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt' })).toString('base64url');
      return `Bearer ${none}.${payload}.`;
    }, 'now'],
    ['HS256 confusion', async () => {
      const secret = new TextEncoder().encode('x'.repeat(32));
      const token = await new SignJWT({ sub: 'x' }).setProtectedHeader({ alg: 'HS256', kid: keys.signing.kid, typ: 'at+jwt' }).sign(secret);
      return `Bearer ${token}`;
    }, 'now'],
    ['malformed', async () => 'Bearer abc.def.ghi', 'now'],
    ['over-long', async () => `Bearer ${'a'.repeat(5000)}`, 'now'],
  ];

  test.each(cases)('%s: renders 401 with valid JSON that carries the description, and a valid challenge', async (_, authorization, when) => {
    const outcome = await outcomeOf(await authorization(), when === 'now' ? verifyNow : verifyLater);

    const { type, response } = render(outcome);

    expect(type).toBe('ACCESS_DENIED');
    const context = (outcome as { result: PolicyResult }).result.context;
    expect(response!.statusCode).toBe(401);
    expect(JSON.parse(response!.body)).toEqual({ code: 401, error: 'invalid_token', error_description: context.error_description });
    expect(parseBearerChallenge(response!.headers['WWW-Authenticate'])).toMatchObject({ realm, error: 'invalid_token' });
  });

  test('the cases above are many distinct verdicts, not one', async () => {
    const descriptions = new Set<string>();
    for (const [, authorization, when] of cases) {
      const outcome = await outcomeOf(await authorization(), when === 'now' ? verifyNow : verifyLater);
      descriptions.add((outcome as { result: PolicyResult }).result.context.error_description!);
    }

    expect(descriptions.size).toBeGreaterThanOrEqual(8);
    expect(descriptions).toContain(EXPIRED_DESCRIPTION);
  });

});

describe('CORS on the gateway’s own answers, so a browser page can read a 401 and refresh', () => {
  test('dev (two configured origins): the request’s Origin is echoed, with credentials; no CORS without an Origin', async () => {
    const outcome = await outcomeOf(`Bearer ${(await issuer.issue(grant)).accessToken}`, verifyLater);

    const fromApp = gatewayResponseFor(packaged.resources, outcome, { origin: 'http://localhost:3100' }).response!;
    const noOrigin = gatewayResponseFor(packaged.resources, outcome, {}).response!;

    expect(fromApp.headers).toMatchObject({
      'Access-Control-Allow-Origin': 'http://localhost:3100',
      'Access-Control-Allow-Credentials': 'true',
      'Access-Control-Expose-Headers': 'WWW-Authenticate, Retry-After',
      Vary: 'Origin',
    });
    expect(noOrigin.headers['Access-Control-Allow-Origin']).toBeUndefined();
  });

  test('prod (one configured origin): that origin, whoever asks', async () => {

    const rendered = gatewayResponseFor(prod.resources, { missingToken: true }, { origin: 'https://evil.example' }).response!;

    expect(rendered.headers['Access-Control-Allow-Origin']).toBe('https://app.example.com');
  });
});

describe('every other answer API Gateway gives itself has the contract’s error body', () => {
  test.each(Object.entries(GATEWAY_RESPONSES))('%s', (type, facts) => {
    const rendered = renderGatewayResponse(packaged.resources, type, { error: 'invalid_token', error_description: 'The access token is malformed.' })!;

    expect(rendered.statusCode).toBe(facts.status);
    const body = JSON.parse(rendered.body) as { code: number; error: string; error_description: string };
    expect(body).toEqual({ code: facts.status, error: expect.stringMatching(/^[a-z_]+$/), error_description: expect.any(String) });
    expect(rendered.headers).toMatchObject({ 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
    if (facts.status === 429 || facts.status >= 502) expect(rendered.headers['Retry-After']).toBe('1');
  });
});
