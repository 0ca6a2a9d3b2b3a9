/**
 * A signing-key rotation logs no one out: the key sets [A], then [B, A] (B rotated in), then [B] (A
 * retired), each a fresh composition root over the same tables, as new containers would be after a deploy.
 * Third-party verifiers (jose's createRemoteJWKSet, aws-jwt-verify, oauth4webapi) fetch the JWKS over HTTP.
 */
import { JwtVerifier } from 'aws-jwt-verify';
import { KidNotFoundInJwksError } from 'aws-jwt-verify/error';
import type { Fetcher } from 'aws-jwt-verify/https';
import { SimpleJwksCache } from 'aws-jwt-verify/jwk';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify, type JWK } from 'jose';
import * as oauth from 'oauth4webapi';
import { makeDiscoveryHandler } from '../../functions/discovery';
import { makeJwksHandler } from '../../functions/jwks';
import { makeTokenHandler } from '../../functions/token';
import { argon2Hasher } from '../../lib/argon2';
import { isCommonPassword } from '../../lib/common-passwords';
import { loadConfig, signerKeys } from '../../lib/config';
import { createAppDeps, type AppDeps } from '../../lib/deps';
import { generateSigningJwk, loadKeyRing } from '../../lib/keys';
import { claimsOf, uniqueUsername } from '../support/app';
import { startDynalite, type LocalDynamo } from '../support/dynalite';
import { serveRoutes, type ServedRoutes } from '../support/http-adapter';

const PASSWORD = 'correct horse battery staple';
const AUDIENCE = 'https://api.rotation.example';
const CLIENT: oauth.Client = { client_id: 'rotation-app' };
const INSECURE = { [oauth.allowInsecureRequests]: true } as const;

let dynamo: LocalDynamo;
let served: ServedRoutes;
let deps: AppDeps;
let keyA: JWK;
let keyB: JWK;

/** A new container with this key set: the same tables, a new composition root. */
async function deployWith(keys: JWK[]): Promise<void> {
  const config = loadConfig({
    ISSUER: served.baseUrl,
    AUDIENCE,
    SIGNING_KEYS: JSON.stringify({ keys }),
    USERS_TABLE: dynamo.tables.UsersTable,
    USERNAMES_TABLE: dynamo.tables.UsernamesTable,
    EMAILS_TABLE: dynamo.tables.EmailsTable,
    SESSIONS_TABLE: dynamo.tables.SessionsTable,
    ATTEMPTS_TABLE: dynamo.tables.LoginAttemptsTable,
  }, signerKeys);
  deps = createAppDeps({ config, keys: await loadKeyRing(JSON.stringify({ keys }), config.signingAlg), doc: dynamo.doc, passwords: argon2Hasher, isCommonPassword });
}

beforeAll(async () => {
  dynamo = await startDynalite();
  [keyA, keyB] = [await generateSigningJwk('ES256'), await generateSigningJwk('ES256')];
  const current = async () => deps;
  served = await serveRoutes(() => ({
    'GET /.well-known/openid-configuration': makeDiscoveryHandler(current),
    'GET /.well-known/jwks.json': makeJwksHandler(current),
    'POST /oauth/token': makeTokenHandler(current),
  }));
  await deployWith([keyA]);
});
afterAll(async () => {
  await served.close();
  await dynamo.stop();
});

const issuer = () => new URL(served.baseUrl);
async function discover(): Promise<oauth.AuthorizationServer> {
  return oauth.processDiscoveryResponse(issuer(), await oauth.discoveryRequest(issuer(), INSECURE));
}

async function passwordGrant(as: oauth.AuthorizationServer): Promise<oauth.TokenEndpointResponse> {
  const username = uniqueUsername('rotation');
  await deps.auth.register({ username, password: PASSWORD });
  const response = await oauth.genericTokenEndpointRequest(as, CLIENT, oauth.None(), 'password', { username, password: PASSWORD }, INSECURE);
  return oauth.processGenericTokenEndpointResponse(as, CLIENT, response);
}

async function refreshGrant(as: oauth.AuthorizationServer, refreshToken: string): Promise<oauth.TokenEndpointResponse> {
  return oauth.processRefreshTokenResponse(as, CLIENT, await oauth.refreshTokenGrantRequest(as, CLIENT, oauth.None(), refreshToken, INSECURE));
}

/** aws-jwt-verify's stock fetcher is https-only; its documented Fetcher extension point reaches http. */
const plainHttpFetcher: Fetcher = {
  fetch: async (uri) => (await fetch(uri, { signal: AbortSignal.timeout(5000) })).arrayBuffer(),
};

/** Each library with a fresh key cache, as a verifier that has not seen the JWKS yet. */
function verifiers(as: oauth.AuthorizationServer) {
  const jose = (token: string) =>
    jwtVerify(token, createRemoteJWKSet(new URL(as.jwks_uri!)), { issuer: served.baseUrl, audience: AUDIENCE, typ: 'at+jwt', algorithms: ['ES256'] });
  const aws = (token: string) =>
    JwtVerifier.create({ issuer: served.baseUrl, audience: AUDIENCE, jwksUri: as.jwks_uri! }, { jwksCache: new SimpleJwksCache({ fetcher: plainHttpFetcher }) }).verify(token);
  const oauth4webapi = (token: string) =>
    oauth.validateJwtAccessToken(as, new Request(`${served.baseUrl}/me`, { headers: { authorization: `Bearer ${token}` } }), AUDIENCE, {
      ...INSECURE,
      signingAlgorithms: ['ES256'],
    });
  return (token: string) => Promise.allSettled([jose(token), aws(token), oauth4webapi(token)]);
}

test('[A] → [B, A] → [B]: no one is logged out, and A’s tokens verify until A is retired', async () => {
  // Under [A]: an access token and a session.
  const beforeRotation = await passwordGrant(await discover());

  // Rotate B in: both keys are published, new tokens are signed with B, A's still verify, sessions go on.
  await deployWith([keyB, keyA]);
  const rotated = await discover();
  const afterRotation = await passwordGrant(rotated);
  const oldTokenDuringRotation = await verifiers(rotated)(beforeRotation.access_token);
  const newTokenDuringRotation = await verifiers(rotated)(afterRotation.access_token);
  const refreshedDuringRotation = await refreshGrant(rotated, beforeRotation.refresh_token!);

  // Retire A: only B is published; A's access token is refused by every library; the session still refreshes.
  await deployWith([keyB]);
  const retired = await discover();
  const oldTokenAfterRetirement = await verifiers(retired)(beforeRotation.access_token);
  const refreshedAfterRetirement = await refreshGrant(retired, refreshedDuringRotation.refresh_token!);
  const jwks = (await (await fetch(retired.jwks_uri!)).json()) as { keys: JWK[] };

  expect(decodeProtectedHeader(beforeRotation.access_token).kid).toBe(keyA.kid);
  expect(decodeProtectedHeader(afterRotation.access_token).kid).toBe(keyB.kid);
  expect(oldTokenDuringRotation.map((result) => result.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
  expect(newTokenDuringRotation.map((result) => result.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
  expect(decodeProtectedHeader(refreshedDuringRotation.access_token).kid).toBe(keyB.kid);
  expect(claimsOf(refreshedDuringRotation.access_token).sid).toBe(claimsOf(beforeRotation.access_token).sid);
  expect(oldTokenAfterRetirement).toMatchObject([
    { status: 'rejected', reason: { code: 'ERR_JWKS_NO_MATCHING_KEY' } },
    { status: 'rejected', reason: expect.any(KidNotFoundInJwksError) },
    { status: 'rejected', reason: { code: oauth.KEY_SELECTION } },
  ]);
  expect(decodeProtectedHeader(refreshedAfterRetirement.access_token).kid).toBe(keyB.kid);
  expect(jwks.keys.map((key) => key.kid)).toEqual([keyB.kid]);
});
