/**
 * POST /oauth/token with grant_type=authorization_code (RFC 6749 §4.1.3, RFC 7636 S256), the ID token it
 * issues (OpenID Connect Core §2), userinfo (§5.3) and the password grant's limits, through the real handlers:
 * a browser signs in at the hosted page, the client exchanges the code, the clock is moved by hand.
 */
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { makeAuthorizeHandler } from '../../functions/authorize';
import { makeAuthorizerHandler } from '../../functions/authorizer';
import { makeTokenHandler } from '../../functions/token';
import { makeLoginHandler } from '../../functions/login';
import { makeUserinfoHandler } from '../../functions/userinfo';
import type { PolicyResult, TokenAuthorizerEvent } from '../../lib/authorizer';
import type { HttpResponse } from '../../lib/http';
import { authorizerFor, bodyOf, claimsOf, createTestApp, proxyEvent, uniqueUsername, withTestApp, type TestApp } from '../support/app';
import { captureOutput } from '../support/logs';
import { CONFIDENTIAL_SECRET } from '../support/oidc';
import tokenEventFixture from '../fixtures/authorizer-token-event.json';
import {
  APP, authorizationRequest, basic, Browser, codeGrant, codeOf, CONFIDENTIAL, CSRF, errorOf, locationOf, PASSWORD, refreshGrant, SECOND, SSO,
  newAddress, THIRD, tokenEvent, WRONG_PASSWORD, type Params,
} from './oidc-support';

const ctx = withTestApp();
const { token, login, refresh, password: changePassword } = ctx.handlers;
const deps = () => ctx.app.deps();
const pages = makeAuthorizeHandler(deps);
const userinfo = makeUserinfoHandler(deps);
const authorizer = makeAuthorizerHandler(deps);
const output = captureOutput();

const ISSUER = 'https://auth.example.test';

/** A user most tests share: nothing here changes its password or fills its buckets at another test's address. */
let alice: { username: string; sub: string };

beforeAll(async () => {
  const username = uniqueUsername('alice');
  const { accessToken } = await ctx.app.auth.register({ username, password: PASSWORD });
  alice = { username, sub: claimsOf(accessToken).sub };
});

/** A user of its own, with an access token that may change the password (scope `sessions`). */
async function newUser(email?: string) {
  const username = uniqueUsername('oidc');
  const { accessToken } = await ctx.app.auth.register({ username, password: PASSWORD, ...(email ? { email } : {}) });
  return { username, accessToken, sub: claimsOf(accessToken).sub };
}

/** A browser signed in at the hosted page for an authorization request (APP's unless overridden): the code it was given. */
async function signedIn(overrides: Params = {}, username = alice.username) {
  const browser = new Browser(pages);
  const request = authorizationRequest(overrides);
  const answer = await browser.signIn(request.query, username);
  return { browser, ...request, answer, code: codeOf(answer) };
}

/** A second code for the same browser, given at once by its sign-in (single sign-on). */
async function anotherCode(browser: Browser, overrides: Params = {}) {
  const request = authorizationRequest(overrides);
  const answer = await browser.get('/oauth/authorize', request.query);
  return { ...request, code: codeOf(answer) };
}

const exchange = (code: string, verifier: string, client: { client_id: string; redirect_uri: string } = APP, extra: Params = {}) =>
  token(tokenEvent(codeGrant(code, verifier, client, extra)));

const tokensOf = (response: HttpResponse) => bodyOf(response) as Record<string, string>;

const oauthError = (error: string, code = 400) => ({ code, error, error_description: expect.any(String) });

const getUserinfo = (accessToken: string) => userinfo(proxyEvent({ httpMethod: 'GET', path: '/oauth/userinfo', rawBody: null, authorizer: authorizerFor(accessToken) }));

const scanTable = async (name: string) => (await ctx.dynamo.doc.send(new ScanCommand({ TableName: ctx.dynamo.tables[name]!, ConsistentRead: true }))).Items ?? [];

describe('the authorization code flow with PKCE', () => {
  it('signs in at the hosted page, redirects with a code, state and iss, and exchanges the code for tokens', async () => {
    const browser = new Browser(pages);
    const { query, params, verifier } = authorizationRequest();

    const page = await browser.get('/oauth/authorize', query);
    const answer = await browser.signIn(query, alice.username);
    const location = locationOf(answer);
    const code = location.searchParams.get('code')!;
    const response = await exchange(code, verifier);

    expect(page.statusCode).toBe(200);
    expect(page.headers['Content-Type']).toBe('text/html; charset=utf-8');
    expect(page.headers['Content-Security-Policy']).toContain("form-action 'self' https://app.example;");
    expect(page.multiValueHeaders?.['Set-Cookie']).toEqual([expect.stringMatching(new RegExp(`^${CSRF}=[\\w-]{43}; Max-Age=3600; Path=/oauth; HttpOnly; Secure; SameSite=Strict$`))]);
    expect(`${location.origin}${location.pathname}`).toBe(APP.redirect_uri);
    expect(Object.fromEntries(location.searchParams)).toEqual({ code: expect.stringMatching(/^[\w-]{43}$/), state: params.state, iss: ISSUER });
    expect(answer.headers).toMatchObject({ 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' });
    expect(answer.multiValueHeaders?.['Set-Cookie']).toEqual([expect.stringMatching(new RegExp(`^${SSO}=[\\w-]{43}; Max-Age=43200; Path=/oauth; HttpOnly; Secure; SameSite=Lax$`))]);
    expect(JSON.stringify(await scanTable('CodesTable'))).not.toContain(code); // only its hash is kept
    expect(response.statusCode).toBe(200);
    expect(response.headers).toMatchObject({ 'Cache-Control': 'no-store', Pragma: 'no-cache' });
    expect(bodyOf(response)).toEqual({
      token_type: 'Bearer',
      access_token: expect.any(String),
      expires_in: 900,
      refresh_token: expect.any(String),
      scope: 'profile openid',
      id_token: expect.any(String),
    });
    const tokens = tokensOf(response);
    await expect(ctx.app.tokens.verify(tokens.access_token!)).resolves.toMatchObject({ sub: alice.sub, client_id: APP.client_id, scope: 'profile openid' });
    expect((await getUserinfo(tokens.access_token!)).statusCode).toBe(200);
    const refreshed = await token(tokenEvent(refreshGrant(tokens.refresh_token!)));
    expect(refreshed.statusCode).toBe(200);
    expect(claimsOf(tokensOf(refreshed).access_token!)).toMatchObject({ client_id: APP.client_id, sid: claimsOf(tokens.access_token!).sid });
  });

  it('binds the refresh token to the client: a refresh naming no client, or another, is refused', async () => {
    const { code, verifier } = await signedIn();
    const { refresh_token: refreshToken } = tokensOf(await exchange(code, verifier));

    const unnamed = await token(tokenEvent({ grant_type: 'refresh_token', refresh_token: refreshToken }));
    const other = await token(tokenEvent(refreshGrant(refreshToken!, SECOND.client_id)));
    const own = await token(tokenEvent(refreshGrant(refreshToken!)));

    expect(errorOf(unnamed)).toBe('invalid_grant');
    expect(errorOf(other)).toBe('invalid_grant');
    expect(own.statusCode).toBe(200);
  });

  it('refuses a wrong code_verifier with invalid_grant, and the code is used up: the right verifier then fails too', async () => {
    const { code, verifier } = await signedIn();
    const wrong = authorizationRequest().verifier;

    const refused = await exchange(code, wrong);
    const retried = await exchange(code, verifier);

    expect(refused.statusCode).toBe(400);
    expect(bodyOf(refused)).toEqual(oauthError('invalid_grant'));
    expect(bodyOf(retried)).toEqual(oauthError('invalid_grant'));
  });

  it.each([
    ['a verifier too short for RFC 7636', 'abc'],
    ['the challenge itself (plain)', 'CHALLENGE'],
  ])('refuses %s with invalid_grant', async (_case, verifier) => {
    const { code, params } = await signedIn();

    const refused = await exchange(code, verifier === 'CHALLENGE' ? params.code_challenge! : verifier);

    expect(bodyOf(refused)).toEqual(oauthError('invalid_grant'));
  });

  it('answers a request without code_verifier with invalid_request, without using the code up', async () => {
    const { code, verifier } = await signedIn();

    const missing = await token(tokenEvent({ grant_type: 'authorization_code', code, ...APP }));
    const complete = await exchange(code, verifier);

    expect(bodyOf(missing)).toEqual({ code: 400, error: 'invalid_request', error_description: expect.stringContaining('code_verifier') });
    expect(complete.statusCode).toBe(200);
  });

  it('refuses a replayed code, revokes the session the first exchange started, and logs the replay without the code', async () => {
    const { code, verifier } = await signedIn();
    const first = await exchange(code, verifier);
    const { refresh_token: refreshToken, access_token: accessToken } = tokensOf(first);

    const replay = await exchange(code, verifier);
    const refreshed = await token(tokenEvent(refreshGrant(refreshToken!)));

    expect(first.statusCode).toBe(200);
    expect(bodyOf(replay)).toEqual(oauthError('invalid_grant'));
    expect(bodyOf(refreshed)).toEqual(oauthError('invalid_grant'));
    const events = output.logs('authorization_code_replayed');
    expect(events).toEqual([expect.objectContaining({ level: 'WARN', sub: alice.sub, sid: claimsOf(accessToken!).sid, client_id: APP.client_id, session: 'revoked' })]);
    for (const secret of [code, verifier, refreshToken!]) expect(output.lines().join('\n')).not.toContain(secret);
  });

  it('gives at most one of twenty parallel exchanges of one code tokens, and none of the refresh tokens works afterwards', async () => {
    const { code, verifier } = await signedIn();

    const answers = await Promise.all(Array.from({ length: 20 }, () => exchange(code, verifier)));

    const won = answers.filter((answer) => answer.statusCode === 200);
    const lost = answers.filter((answer) => answer.statusCode !== 200);
    // The first presentation redeems the code; any other marks it replayed. A replay that comes before the
    // winner recorded its session makes the winner revoke its own; one after revokes it: either way, none lives.
    expect(won.length).toBeLessThanOrEqual(1);
    for (const answer of lost) expect(bodyOf(answer)).toEqual(oauthError('invalid_grant'));
    for (const answer of won) {
      expect(errorOf(await token(tokenEvent(refreshGrant(tokensOf(answer).refresh_token!))))).toBe('invalid_grant');
    }
    const sessions = await ctx.app.auth.listSessions(alice.sub);
    expect(sessions.filter((session) => won.some((answer) => claimsOf(tokensOf(answer).access_token!).sid === session.id))).toEqual([]);
  });

  it('accepts a code 59 seconds old, and refuses one 61 seconds old with invalid_grant', async () => {
    const { browser, code, verifier } = await signedIn();
    const older = await anotherCode(browser);

    ctx.app.clock.advance(59);
    const fresh = await exchange(code, verifier);
    ctx.app.clock.advance(2);
    const expired = await exchange(older.code, older.verifier);

    expect(fresh.statusCode).toBe(200);
    expect(bodyOf(expired)).toEqual(oauthError('invalid_grant'));
  });

  it.each<[string, Params]>([
    ['another redirect_uri on the same loopback address', { redirect_uri: 'http://127.0.0.1:8080/callback' }],
    ['no redirect_uri', { redirect_uri: undefined }],
  ])('refuses the code presented by %s with invalid_grant, and the code is used up', async (_case, changed) => {
    const { code, verifier } = await signedIn();

    const refused = await token(tokenEvent({ ...codeGrant(code, verifier), ...changed }));
    const rightful = await exchange(code, verifier);

    expect(bodyOf(refused)).toEqual(oauthError('invalid_grant'));
    expect(bodyOf(rightful)).toEqual(oauthError('invalid_grant'));
  });

  it.each([
    ['another registered client', { client_id: SECOND.client_id, redirect_uri: SECOND.redirect_uri }],
    ['another client naming the code\'s redirect_uri', { client_id: SECOND.client_id }],
  ])('refuses the code presented by %s with invalid_grant, and leaves it to its own client (nobody else can burn it)', async (_case, changed) => {
    const { code, verifier } = await signedIn();

    const refused = await token(tokenEvent({ ...codeGrant(code, verifier), ...changed }));
    const rightful = await exchange(code, verifier);

    expect(bodyOf(refused)).toEqual(oauthError('invalid_grant'));
    expect(rightful.statusCode).toBe(200);
  });

  it('answers an unknown client_id with 401 invalid_client and no client_id with invalid_request, without using the code up', async () => {
    const { code, verifier } = await signedIn();

    const unknown = await token(tokenEvent({ ...codeGrant(code, verifier), client_id: 'no-such-client' }));
    const anonymous = await token(tokenEvent({ ...codeGrant(code, verifier), client_id: undefined }));
    const rightful = await exchange(code, verifier);

    expect(unknown.statusCode).toBe(401);
    expect(unknown.headers['WWW-Authenticate']).toBe('Basic realm="token"');
    expect(bodyOf(unknown)).toEqual(oauthError('invalid_client', 401));
    expect(bodyOf(anonymous)).toEqual({ code: 400, error: 'invalid_request', error_description: expect.stringContaining('client_id') });
    expect(rightful.statusCode).toBe(200);
  });

  it('refuses a code after the user changed the password, even when the change races the exchange', async () => {
    const user = await newUser();
    const { code, verifier, browser } = await signedIn({}, user.username);
    const before = await anotherCode(browser);
    const change = proxyEvent({ body: { password: PASSWORD, new_password: 'an entirely new passphrase' }, authorizer: authorizerFor(user.accessToken), sourceIp: newAddress() });

    const [raced, changed] = await Promise.all([exchange(code, verifier), changePassword(change)]);
    const afterwards = await exchange(before.code, before.verifier);

    expect(changed.statusCode).toBe(204);
    expect(bodyOf(afterwards)).toEqual(oauthError('invalid_grant'));
    // The racing exchange may have been issued tokens under the old password: they never refresh.
    if (raced.statusCode === 200) expect(errorOf(await token(tokenEvent(refreshGrant(tokensOf(raced).refresh_token!))))).toBe('invalid_grant');
    else expect(bodyOf(raced)).toEqual(oauthError('invalid_grant'));
  });
});

describe('a confidential client at the token endpoint', () => {
  const challenge = { 'WWW-Authenticate': 'Basic realm="token"' };

  it.each<[string, Params, string | undefined]>([
    ['no secret', {}, undefined],
    ['a wrong secret by HTTP Basic', { client_id: undefined }, basic(CONFIDENTIAL.client_id, 'not-the-secret')],
    ['a wrong secret by client_secret_post', { client_secret: 'not-the-secret' }, undefined],
    ['the secret both ways at once', { client_secret: CONFIDENTIAL_SECRET }, basic(CONFIDENTIAL.client_id, CONFIDENTIAL_SECRET)],
    ['the secret of another client id by HTTP Basic', {}, basic(APP.client_id, CONFIDENTIAL_SECRET)],
  ])('answers %s with 401 invalid_client and a Basic challenge, leaving the code for the client', async (_case, extra, authorization) => {
    const { code, verifier } = await signedIn({ ...CONFIDENTIAL });

    const refused = await token(tokenEvent({ ...codeGrant(code, verifier, CONFIDENTIAL), ...extra }, { authorization }));
    const rightful = await token(tokenEvent(codeGrant(code, verifier, CONFIDENTIAL), { authorization: basic(CONFIDENTIAL.client_id, CONFIDENTIAL_SECRET) }));

    expect(refused.statusCode).toBe(401);
    expect(refused.headers).toMatchObject(challenge);
    expect(bodyOf(refused)).toEqual(oauthError('invalid_client', 401));
    expect(rightful.statusCode).toBe(200);
  });

  it('exchanges a code with the secret by HTTP Basic or client_secret_post, and refreshes only with it', async () => {
    const { browser, code, verifier } = await signedIn({ ...CONFIDENTIAL });
    const second = await anotherCode(browser, { ...CONFIDENTIAL });

    const byBasic = await token(tokenEvent({ ...codeGrant(code, verifier, CONFIDENTIAL), client_id: undefined }, { authorization: basic(CONFIDENTIAL.client_id, CONFIDENTIAL_SECRET) }));
    const byPost = await token(tokenEvent(codeGrant(second.code, second.verifier, CONFIDENTIAL, { client_secret: CONFIDENTIAL_SECRET })));
    const refreshToken = tokensOf(byPost).refresh_token!;
    const refreshWithout = await token(tokenEvent(refreshGrant(refreshToken, CONFIDENTIAL.client_id)));
    const refreshWith = await token(tokenEvent({ ...refreshGrant(refreshToken, CONFIDENTIAL.client_id), client_secret: CONFIDENTIAL_SECRET }));

    expect(byBasic.statusCode).toBe(200);
    expect(claimsOf(tokensOf(byBasic).access_token!).client_id).toBe(CONFIDENTIAL.client_id);
    expect(byPost.statusCode).toBe(200);
    expect(refreshWithout.statusCode).toBe(401);
    expect(refreshWith.statusCode).toBe(200);
  });

  it('refreshes a confidential session nowhere without the secret: not at POST /auth/refresh, not after the client is gone, and the token survives the refusals', async () => {
    const { code, verifier } = await signedIn({ ...CONFIDENTIAL });
    const issued = tokensOf(await token(tokenEvent(codeGrant(code, verifier, CONFIDENTIAL, { client_secret: CONFIDENTIAL_SECRET }))));
    const app = await createTestApp(ctx.dynamo, { OAUTH_CLIENTS: JSON.stringify([]) }, ctx.app.clock); // the client removed
    const withoutClient = makeTokenHandler(app.deps);

    const atAuthRefresh = await refresh(proxyEvent({ body: { refresh_token: issued.refresh_token, client_id: CONFIDENTIAL.client_id } }));
    const noClientNamed = await refresh(proxyEvent({ body: { refresh_token: issued.refresh_token } }));
    const afterRemoval = await withoutClient(tokenEvent({ ...refreshGrant(issued.refresh_token!, CONFIDENTIAL.client_id), client_secret: CONFIDENTIAL_SECRET }));
    const afterRemovalNoSecret = await withoutClient(tokenEvent(refreshGrant(issued.refresh_token!, CONFIDENTIAL.client_id)));
    const rightful = await token(tokenEvent({ ...refreshGrant(issued.refresh_token!, CONFIDENTIAL.client_id), client_secret: CONFIDENTIAL_SECRET }));

    expect(atAuthRefresh.statusCode).toBe(401);
    expect(bodyOf(atAuthRefresh)).toEqual(oauthError('invalid_client', 401));
    expect(bodyOf(noClientNamed)).toEqual(oauthError('invalid_grant')); // the default client's, which it is not
    expect(afterRemoval.statusCode).toBe(401); // a secret of a client that no longer exists authenticates nothing
    expect(afterRemovalNoSecret.statusCode).toBe(401);
    expect(rightful.statusCode).toBe(200);
  });

  it('refuses a confidential client the password at POST /auth/login, where it cannot authenticate', async () => {
    const refused = await login(proxyEvent({ body: { username: alice.username, password: PASSWORD, client_id: CONFIDENTIAL.client_id } }));

    expect(refused.statusCode).toBe(400);
    expect(bodyOf(refused)).toEqual(oauthError('unauthorized_client'));
  });
});

describe('the ID token', () => {
  const jwks = () => createLocalJWKSet({ keys: ctx.app.keys.publicJwks });

  it('is a JWT for the client: iss, sub, aud, exp, iat, auth_time of the sign-in, amr, the browser session sid and the nonce', async () => {
    const signedInAt = ctx.app.clock.seconds();
    const { browser, code, verifier, params } = await signedIn();
    const first = tokensOf(await exchange(code, verifier));
    ctx.app.clock.advance(100);
    const later = await anotherCode(browser);
    const second = tokensOf(await exchange(later.code, later.verifier));

    const { payload, protectedHeader } = await jwtVerify(first.id_token!, jwks(), {
      issuer: ISSUER, audience: APP.client_id, typ: 'JWT', algorithms: ['ES256'], currentDate: new Date(ctx.app.clock.now()),
    });
    const [browserSession] = (await scanTable('BrowserSessionsTable')).filter((item) => item.sid === payload.sid);
    expect(protectedHeader).toEqual({ alg: 'ES256', kid: expect.any(String), typ: 'JWT' });
    expect(payload).toEqual({
      iss: ISSUER,
      sub: alice.sub,
      aud: APP.client_id,
      iat: signedInAt,
      exp: signedInAt + 900,
      auth_time: signedInAt,
      amr: ['pwd'],
      sid: expect.any(String),
      nonce: params.nonce,
    });
    expect(browserSession).toMatchObject({ sub: alice.sub, authTime: signedInAt });
    expect(payload.sid).not.toBe(claimsOf(first.access_token!).sid); // the browser's sign-in, not the refresh-token session
    // A later code from the same sign-in (single sign-on) still says when the user signed in.
    expect(decodeJwt(second.id_token!)).toMatchObject({ iat: signedInAt + 100, auth_time: signedInAt, sid: payload.sid, nonce: later.params.nonce });
  });

  it('has no nonce when the request had none, and is not issued without openid', async () => {
    const { browser, code, verifier } = await signedIn({ nonce: undefined });
    const withoutOpenid = await anotherCode(browser, { scope: 'profile' });

    const plain = tokensOf(await exchange(code, verifier));
    const oauthOnly = tokensOf(await exchange(withoutOpenid.code, withoutOpenid.verifier));

    expect(decodeJwt(plain.id_token!)).not.toHaveProperty('nonce');
    expect(oauthOnly).not.toHaveProperty('id_token');
    expect(oauthOnly.scope).toBe('profile');
  });

  it('is refused as an access token by the token verifier and by the authorizer', async () => {
    const { code, verifier } = await signedIn();
    const { id_token: idToken } = tokensOf(await exchange(code, verifier));
    const event: TokenAuthorizerEvent = { ...structuredClone(tokenEventFixture), type: 'TOKEN', authorizationToken: `Bearer ${idToken}` };

    const verified = await ctx.app.tokens.verify(idToken!).catch((error: unknown) => error);
    const decision = (await authorizer(event)) as PolicyResult;

    expect(decodeProtectedHeader(idToken!).typ).toBe('JWT');
    expect(verified).toMatchObject({ code: 'invalid_token', message: 'The access token has an unacceptable typ claim.' });
    expect(decision.policyDocument.Statement).toEqual([expect.objectContaining({ Effect: 'Deny' })]);
    expect(decision.context).toMatchObject({ error: 'invalid_token' });
  });
});

describe('GET /oauth/userinfo', () => {
  it('answers profile with preferred_username, and nothing about the email without the email scope', async () => {
    const { code, verifier } = await signedIn();
    const { access_token: accessToken } = tokensOf(await exchange(code, verifier));

    const response = await getUserinfo(accessToken!);

    expect(response.statusCode).toBe(200);
    expect(response.headers).toMatchObject({ 'Cache-Control': 'no-store' });
    expect(bodyOf(response)).toEqual({ sub: alice.sub, preferred_username: alice.username });
  });

  it('answers email with the address and email_verified only once the address is verified', async () => {
    const address = `${uniqueUsername('mail')}@example.com`;
    const user = await newUser(address);
    const { code, verifier } = await signedIn({ scope: 'openid email' }, user.username);
    const { access_token: accessToken, scope } = tokensOf(await exchange(code, verifier));

    const unverified = await getUserinfo(accessToken!);
    await ctx.app.accounts.verifyEmail((await ctx.app.outbox.latest(address, 'verify_email')).token);
    const verified = await getUserinfo(accessToken!);

    expect(scope).toBe('openid email');
    expect(bodyOf(unverified)).toEqual({ sub: user.sub });
    expect(bodyOf(verified)).toEqual({ sub: user.sub, email: address, email_verified: true });
  });

  it('answers an access token issued without openid with 403 insufficient_scope naming openid', async () => {
    const response = await login(proxyEvent({ body: { username: alice.username, password: PASSWORD }, sourceIp: newAddress() }));
    const { access_token: accessToken } = tokensOf(response);

    const refused = await getUserinfo(accessToken!);

    expect(refused.statusCode).toBe(403);
    expect(bodyOf(refused)).toEqual(oauthError('insufficient_scope', 403));
    expect(refused.headers['WWW-Authenticate']).toMatch(/error="insufficient_scope".*scope="openid"/);
  });
});

describe('the password grant next to the code flow', () => {
  it('is refused to a registered third-party client with unauthorized_client, at /oauth/token and at /auth/login', async () => {
    const sourceIp = newAddress();

    const grant = await token(tokenEvent({ grant_type: 'password', username: alice.username, password: PASSWORD, client_id: THIRD.client_id }, { sourceIp }));
    const viaLogin = await login(proxyEvent({ body: { username: alice.username, password: PASSWORD, client_id: THIRD.client_id }, sourceIp }));
    const firstParty = await token(tokenEvent({ grant_type: 'password', username: alice.username, password: PASSWORD, client_id: APP.client_id }, { sourceIp }));

    expect(bodyOf(grant)).toEqual(oauthError('unauthorized_client'));
    expect(bodyOf(viaLogin)).toEqual(oauthError('unauthorized_client'));
    expect(firstParty.statusCode).toBe(200);
  });

  describe('with PASSWORD_GRANT=false', () => {
    let off: TestApp;
    beforeAll(async () => {
      off = await createTestApp(ctx.dynamo, { PASSWORD_GRANT: 'false' }, ctx.app.clock);
    });
    afterAll(() => off.outbox.remove());

    it('refuses grant_type=password with unsupported_grant_type and POST /auth/login too, and the code flow still works', async () => {
      const offToken = makeTokenHandler(off.deps);
      const offLogin = makeLoginHandler(off.deps);
      const browser = new Browser(makeAuthorizeHandler(off.deps));
      const { query, verifier } = authorizationRequest();

      const grant = await offToken(tokenEvent({ grant_type: 'password', username: alice.username, password: PASSWORD }));
      const viaLogin = await offLogin(proxyEvent({ body: { username: alice.username, password: PASSWORD }, sourceIp: newAddress() }));
      const code = codeOf(await browser.signIn(query, alice.username));
      const exchanged = await offToken(tokenEvent(codeGrant(code, verifier)));

      expect(bodyOf(grant)).toEqual(oauthError('unsupported_grant_type'));
      expect(bodyOf(viaLogin)).toEqual(oauthError('unsupported_grant_type'));
      expect(exchanged.statusCode).toBe(200);
    });
  });
});

describe('the logs of a whole flow', () => {
  it('hold no password, code, verifier, token, SSO cookie or CSRF value', async () => {
    const browser = new Browser(pages);
    const { query, verifier, params } = authorizationRequest();
    const page = await browser.get('/oauth/authorize', query);
    const csrf = browser.cookies.get(CSRF)!;
    const wrong = await browser.submit(page, { username: alice.username, password: WRONG_PASSWORD, action: 'login' });
    const answer = await browser.submit(wrong, { username: alice.username, password: PASSWORD, action: 'login' });
    const sso = browser.cookies.get(SSO)!;
    const code = codeOf(answer);
    const first = tokensOf(await exchange(code, verifier));
    await exchange(code, verifier); // a replay: the security event
    const second = await anotherCode(browser);
    const tokens = tokensOf(await exchange(second.code, second.verifier));
    const refreshed = tokensOf(await token(tokenEvent(refreshGrant(tokens.refresh_token!))));
    await getUserinfo(tokens.access_token!);
    const signOut = await browser.get('/oauth/end-session', new URLSearchParams({ id_token_hint: tokens.id_token!, client_id: APP.client_id }).toString());

    expect(wrong.statusCode).toBe(400);
    expect(signOut.statusCode).toBe(200);
    expect(output.logs().map((entry) => entry.event ?? entry.message)).toEqual(
      expect.arrayContaining(['signed in at the hosted page', 'authorization_code_replayed', 'browser_session_ended']),
    );
    const secrets: Record<string, string> = {
      password: PASSWORD,
      'wrong password': WRONG_PASSWORD,
      'CSRF value': csrf,
      'SSO cookie': sso,
      code,
      'second code': second.code,
      code_verifier: verifier,
      'second code_verifier': second.verifier,
      'replayed code\'s refresh token': first.refresh_token!,
      'refresh token': tokens.refresh_token!,
      'rotated refresh token': refreshed.refresh_token!,
      'access token': tokens.access_token!,
      'access token signature': tokens.access_token!.split('.')[2]!,
      'ID token': tokens.id_token!,
      'ID token signature': tokens.id_token!.split('.')[2]!,
    };
    const log = output.lines().join('\n');
    expect(Object.entries(secrets).filter(([, value]) => log.includes(value)).map(([label]) => label)).toEqual([]);
  });
});

describe('scopes an authorization request names', () => {
  it('ignores the values the service does not know (OpenID Connect Core §3.1.2.1), and grants what is left', async () => {
    const { code, verifier } = await signedIn({ scope: 'openid offline_access profile phone' });

    const issued = tokensOf(await exchange(code, verifier));

    expect(issued.scope).toBe('profile openid');
    expect(issued.id_token).toBeDefined();
  });
});
