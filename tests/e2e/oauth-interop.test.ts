/**
 * Interoperability over real HTTP: standard third-party code (oauth4webapi as the OAuth client and as a
 * resource server, jose's createRemoteJWKSet, aws-jwt-verify) pointed at `serverless offline start`. A key
 * rotation with the same verifiers is tests/integration/key-rotation.test.ts.
 */
import { JwtVerifier } from 'aws-jwt-verify';
import { JwtInvalidAudienceError, JwtInvalidScopeError } from 'aws-jwt-verify/error';
import type { Fetcher } from 'aws-jwt-verify/https';
import { SimpleJwksCache } from 'aws-jwt-verify/jwk';
import { createRemoteJWKSet, decodeProtectedHeader, importJWK, jwtVerify, SignJWT, type JWK } from 'jose';
import * as oauth from 'oauth4webapi';
import { decodeJwtPart } from '../support/offline';
import { sharedServer, type SharedServer } from '../support/shared-servers';

jest.setTimeout(60_000);

const PASSWORD = 'correct horse battery staple';
const CLIENT: oauth.Client = { client_id: 'interop-app' };
const CLIENT_AUTH = oauth.None();
/** Every oauth4webapi call needs this: the local server speaks http://. */
const INSECURE = { [oauth.allowInsecureRequests]: true } as const;
const RFC9068_CLAIMS = ['aud', 'client_id', 'exp', 'iat', 'iss', 'jti', 'scope', 'sid', 'sub'];

let server: SharedServer;
let issuer: string;
let AUDIENCE: string;
let key: JWK;
let serial = 0;

beforeAll(async () => {
  server = await sharedServer('standard');
  ({ issuer, signingKey: key } = server);
  AUDIENCE = server.env.AUDIENCE!;
}, 130_000);

/** A new user, registered over plain HTTP as a first-party app would; returns the username. */
async function register(): Promise<string> {
  serial += 1;
  const username = `interop-${process.pid}-${serial}`;
  const answer = await server.request('POST', '/auth/register', { json: { username, password: PASSWORD } });
  if (answer.status !== 201) throw new Error(`register answered ${answer.status}: ${answer.text}`);
  return username;
}

/** oauth4webapi's discovery; every call gives a new metadata object, and with it a fresh JWKS cache. */
async function discover(algorithm: 'oidc' | 'oauth2' = 'oidc'): Promise<oauth.AuthorizationServer> {
  const response = await oauth.discoveryRequest(new URL(issuer), { algorithm, ...INSECURE });
  return oauth.processDiscoveryResponse(new URL(issuer), response);
}

/** RFC 6749 §4.3 through oauth4webapi's generic grant (v3 has no first-class password helper). */
function passwordGrantRequest(as: oauth.AuthorizationServer, username: string, password = PASSWORD, scope?: string) {
  const params: Record<string, string> = { username, password, ...(scope === undefined ? {} : { scope }) };
  return oauth.genericTokenEndpointRequest(as, CLIENT, CLIENT_AUTH, 'password', params, INSECURE);
}

async function passwordGrant(as: oauth.AuthorizationServer, username: string, scope?: string): Promise<oauth.TokenEndpointResponse> {
  return oauth.processGenericTokenEndpointResponse(as, CLIENT, await passwordGrantRequest(as, username, PASSWORD, scope));
}

async function refreshGrant(as: oauth.AuthorizationServer, refreshToken: string, scope?: string): Promise<oauth.TokenEndpointResponse> {
  const options = { ...INSECURE, ...(scope === undefined ? {} : { additionalParameters: { scope } }) };
  return oauth.processRefreshTokenResponse(as, CLIENT, await oauth.refreshTokenGrantRequest(as, CLIENT, CLIENT_AUTH, refreshToken, options));
}

/** oauth4webapi as a resource server (RFC 9068 validation), on a Request carrying the Bearer token. */
function validateWithOauth4webapi(as: oauth.AuthorizationServer, accessToken: string) {
  const request = new Request(`${issuer}/me`, { headers: { authorization: `Bearer ${accessToken}` } });
  return oauth.validateJwtAccessToken(as, request, AUDIENCE, { ...INSECURE, signingAlgorithms: ['ES256'] });
}

/** jose with a new remote key set (its own cache), pinning what this service promises. */
function verifyWithJose(as: oauth.AuthorizationServer, accessToken: string) {
  return jwtVerify(accessToken, createRemoteJWKSet(new URL(as.jwks_uri!)), {
    issuer,
    audience: AUDIENCE,
    typ: 'at+jwt',
    algorithms: ['ES256'],
  });
}

/**
 * aws-jwt-verify's stock fetcher is https-only (Node's https.request refuses "http:"), so the local server is
 * reached through its documented Fetcher extension point; everything else is the library's own checking.
 * It does not look at `typ`, so the RFC 9068 check goes in its customJwtCheck hook.
 */
const plainHttpFetcher: Fetcher = {
  fetch: async (uri) => {
    const response = await fetch(uri, { signal: AbortSignal.timeout(5000) });
    if (response.status !== 200) throw new Error(`${uri} answered ${response.status}`);
    return response.arrayBuffer();
  },
};

function awsVerifier(as: oauth.AuthorizationServer) {
  return JwtVerifier.create(
    {
      issuer,
      audience: AUDIENCE,
      jwksUri: as.jwks_uri!,
      customJwtCheck: ({ header }) => {
        if (header.typ !== 'at+jwt') throw new Error(`typ is ${String(header.typ)}, not at+jwt`);
      },
    },
    { jwksCache: new SimpleJwksCache({ fetcher: plainHttpFetcher }) },
  );
}

/** GET /me through oauth4webapi, which turns a WWW-Authenticate challenge into a WWWAuthenticateChallengeError. */
function getMe(accessToken: string) {
  return oauth.protectedResourceRequest(accessToken, 'GET', new URL(`${issuer}/me`), undefined, undefined, INSECURE);
}

/** The token's claims with a new header, signed with our own copy of a server key (typ-confusion probes). */
async function resign(accessToken: string, jwk: JWK, typ: string): Promise<string> {
  return new SignJWT(decodeJwtPart(accessToken, 1))
    .setProtectedHeader({ alg: 'ES256', kid: jwk.kid!, typ })
    .sign(await importJWK(jwk, 'ES256'));
}

describe('oauth4webapi as the client', () => {
  test('OpenID discovery passes its issuer check and lists the endpoints, grants and client auth', async () => {
    const response = await oauth.discoveryRequest(new URL(issuer), INSECURE);

    const as = await oauth.processDiscoveryResponse(new URL(issuer), response);

    expect(new URL(response.url).pathname).toBe('/.well-known/openid-configuration');
    expect(as).toMatchObject({
      issuer,
      token_endpoint: `${issuer}/oauth/token`,
      revocation_endpoint: `${issuer}/oauth/revoke`,
      jwks_uri: `${issuer}/.well-known/jwks.json`,
      scopes_supported: ['profile', 'sessions', 'openid', 'email'],
      token_endpoint_auth_methods_supported: ['none', 'client_secret_basic', 'client_secret_post'],
    });
    expect(as.grant_types_supported).toEqual(expect.arrayContaining(['password', 'refresh_token']));
  });

  test('RFC 8414 discovery (algorithm oauth2) gets the same metadata from oauth-authorization-server', async () => {
    const response = await oauth.discoveryRequest(new URL(issuer), { algorithm: 'oauth2', ...INSECURE });

    const as = await oauth.processDiscoveryResponse(new URL(issuer), response);

    expect(new URL(response.url).pathname).toBe('/.well-known/oauth-authorization-server');
    expect(as).toEqual(await discover('oidc'));
  });

  test('the password grant: Bearer, expires_in 900, the default scope, a refresh token', async () => {
    const as = await discover();
    const username = await register();

    const tokens = await passwordGrant(as, username);

    expect(tokens).toEqual({
      token_type: 'bearer', // the library lowercases it
      access_token: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/),
      expires_in: 900,
      refresh_token: expect.stringMatching(/^[\w-]{43,}$/),
      scope: 'profile sessions',
    });
  });

  test('the password grant with a space-delimited scope grants exactly that scope', async () => {
    const as = await discover();
    const username = await register();

    const narrow = await passwordGrant(as, username, 'profile');
    const both = await passwordGrant(as, username, 'sessions profile');

    expect(narrow.scope).toBe('profile');
    expect(decodeJwtPart(narrow.access_token, 1).scope).toBe('profile');
    expect(both.scope?.split(' ').sort()).toEqual(['profile', 'sessions']);
  });

  test('the refresh grant rotates the refresh token and may narrow the scope', async () => {
    const as = await discover();
    const first = await passwordGrant(as, await register());

    const refreshed = await refreshGrant(as, first.refresh_token!, 'profile');

    expect(refreshed).toEqual({
      token_type: 'bearer',
      access_token: expect.any(String),
      expires_in: 900,
      refresh_token: expect.stringMatching(/^[\w-]{43,}$/),
      scope: 'profile',
    });
    expect(refreshed.refresh_token).not.toBe(first.refresh_token);
    expect(decodeJwtPart(refreshed.access_token, 1).sid).toBe(decodeJwtPart(first.access_token, 1).sid);
  });

  test('revocation succeeds, and the revoked refresh token then fails with invalid_grant', async () => {
    const as = await discover();
    const tokens = await passwordGrant(as, await register());

    const revoked = await oauth.processRevocationResponse(
      await oauth.revocationRequest(as, CLIENT, CLIENT_AUTH, tokens.refresh_token!, { ...INSECURE, additionalParameters: { token_type_hint: 'refresh_token' } }),
    );
    const refreshAfter = refreshGrant(as, tokens.refresh_token!);

    expect(revoked).toBeUndefined();
    await expect(refreshAfter).rejects.toBeInstanceOf(oauth.ResponseBodyError);
    await expect(refreshAfter).rejects.toMatchObject({ error: 'invalid_grant', status: 400 });
  });

  test('revoking an unknown token is a success too (RFC 7009 §2.2)', async () => {
    const as = await discover();

    const response = await oauth.revocationRequest(as, CLIENT, CLIENT_AUTH, 'not-a-token-this-server-issued', INSECURE);

    await expect(oauth.processRevocationResponse(response)).resolves.toBeUndefined();
  });

  test('a wrong password surfaces as ResponseBodyError invalid_grant', async () => {
    const as = await discover();
    const username = await register();

    const result = passwordGrantRequest(as, username, 'not the password').then((response) =>
      oauth.processGenericTokenEndpointResponse(as, CLIENT, response),
    );

    await expect(result).rejects.toBeInstanceOf(oauth.ResponseBodyError);
    await expect(result).rejects.toMatchObject({ error: 'invalid_grant', status: 400 });
  });

  test('an unsupported grant surfaces as ResponseBodyError unsupported_grant_type', async () => {
    const as = await discover();

    const result = oauth
      .genericTokenEndpointRequest(as, CLIENT, CLIENT_AUTH, 'client_credentials', {}, INSECURE)
      .then((response) => oauth.processGenericTokenEndpointResponse(as, CLIENT, response));

    await expect(result).rejects.toMatchObject({ error: 'unsupported_grant_type', status: 400 });
  });

  test('GET /me with the access token through protectedResourceRequest answers 200 for the same sub', async () => {
    const as = await discover();
    const username = await register();
    const tokens = await passwordGrant(as, username);

    const response = await getMe(tokens.access_token);

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ sub: decodeJwtPart(tokens.access_token, 1).sub, username, email: null, email_verified: false, scope: 'profile sessions' });
  });
});

describe('third-party verifiers of the access token', () => {
  test('oauth4webapi validateJwtAccessToken (RFC 9068 as a resource server) accepts it', async () => {
    const as = await discover();
    const tokens = await passwordGrant(as, await register(), 'profile');

    const claims = await validateWithOauth4webapi(as, tokens.access_token);

    expect(claims).toMatchObject({ iss: issuer, aud: AUDIENCE, client_id: 'interop-app', scope: 'profile' });
  });

  test('oauth4webapi validateJwtAccessToken refuses it for another audience', async () => {
    const as = await discover();
    const tokens = await passwordGrant(as, await register());
    const request = new Request(`${issuer}/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } });

    const result = oauth.validateJwtAccessToken(as, request, 'https://someone-else.example', INSECURE);

    await expect(result).rejects.toMatchObject({ code: oauth.JWT_CLAIM_COMPARISON, cause: { claim: 'aud' } });
  });

  test('jose createRemoteJWKSet + jwtVerify accepts it, with client_id, scope, sid and sub as granted', async () => {
    const as = await discover();
    const username = await register();
    const tokens = await passwordGrant(as, username, 'profile');

    const { payload, protectedHeader } = await verifyWithJose(as, tokens.access_token);

    expect(protectedHeader).toMatchObject({ alg: 'ES256', typ: 'at+jwt', kid: key.kid });
    expect(payload).toMatchObject({ iss: issuer, aud: AUDIENCE, client_id: 'interop-app', scope: 'profile' });
    expect(payload.sid).toEqual(expect.stringMatching(/\S/));
    expect(payload.sub).toEqual(expect.stringMatching(/\S/));
    expect(payload.sub).not.toBe(username);
  });

  test('aws-jwt-verify JwtVerifier (generic OIDC issuer) accepts it, checking iss, aud, exp, signature and scope', async () => {
    const as = await discover();
    const tokens = await passwordGrant(as, await register(), 'profile');
    const verifier = awsVerifier(as);

    const payload = await verifier.verify(tokens.access_token, { scope: 'profile' });

    expect(payload).toMatchObject({ iss: issuer, aud: AUDIENCE, client_id: 'interop-app', scope: 'profile' });
  });

  test('aws-jwt-verify refuses it for a scope it does not carry and for another audience', async () => {
    const as = await discover();
    const tokens = await passwordGrant(as, await register(), 'profile');
    const verifier = awsVerifier(as);

    const [wrongScope, wrongAudience] = await Promise.allSettled([
      verifier.verify(tokens.access_token, { scope: 'sessions' }),
      verifier.verify(tokens.access_token, { audience: 'https://someone-else.example' }),
    ]);

    expect(wrongScope).toMatchObject({ status: 'rejected', reason: expect.any(JwtInvalidScopeError) });
    expect(wrongAudience).toMatchObject({ status: 'rejected', reason: expect.any(JwtInvalidAudienceError) });
  });

  test('the same claims signed by the same key with typ "JWT" instead of "at+jwt" are refused by all three', async () => {
    const as = await discover();
    const tokens = await passwordGrant(as, await register());
    const control = await resign(tokens.access_token, key, 'at+jwt');
    const plainJwt = await resign(tokens.access_token, key, 'JWT');

    const accepted = await Promise.all([verifyWithJose(as, control), awsVerifier(as).verify(control), validateWithOauth4webapi(as, control)]);

    expect(accepted).toHaveLength(3);
    await expect(verifyWithJose(as, plainJwt)).rejects.toMatchObject({ code: 'ERR_JWT_CLAIM_VALIDATION_FAILED', claim: 'typ' });
    await expect(awsVerifier(as).verify(plainJwt)).rejects.toThrow('not at+jwt');
    await expect(validateWithOauth4webapi(as, plainJwt)).rejects.toMatchObject({
      code: oauth.INVALID_RESPONSE,
      message: expect.stringContaining('"typ"'),
    });
  });

  test('RFC 9068 shape: header {alg, kid, typ: at+jwt} and exactly the nine claims, nothing else', async () => {
    const as = await discover();
    const tokens = await passwordGrant(as, await register());

    const header = decodeProtectedHeader(tokens.access_token);
    const { payload } = await verifyWithJose(as, tokens.access_token);

    expect(header).toEqual({ alg: 'ES256', kid: key.kid, typ: 'at+jwt' });
    expect(Object.keys(payload).sort()).toEqual(RFC9068_CLAIMS);
    expect(payload.exp! - payload.iat!).toBe(900);
    expect(Math.abs(payload.iat! - Date.now() / 1000)).toBeLessThan(60);
    expect(payload.jti).toEqual(expect.stringMatching(/\S/));
  });
});
