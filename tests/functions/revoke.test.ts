import { decodeJwt } from 'jose';
import type { HttpResponse } from '../../lib/http';
import { bodyOf, proxyEvent, strangerRefreshToken, uniqueUsername, withTestApp } from '../support/app';

const PASSWORD = 'correct horse battery staple';
const FORM = 'application/x-www-form-urlencoded';

const ctx = withTestApp();
const { revoke, token } = ctx.handlers;

/** An RFC 7009 form request. */
const formEvent = (params: Record<string, string>) => proxyEvent({ rawBody: new URLSearchParams(params).toString(), contentType: FORM });

/** A new user's session: its tokens and id. */
async function newSession(): Promise<{ refreshToken: string; accessToken: string; sid: string }> {
  const issued = await ctx.app.auth.register({ username: uniqueUsername('revoke'), password: PASSWORD });
  return { refreshToken: issued.refreshToken, accessToken: issued.accessToken, sid: decodeJwt(issued.accessToken).sid as string };
}

const readSession = (sid: string) => ctx.dynamo.read('SessionsTable', { id: sid });
const refreshAt = (refreshToken: string) => token(formEvent({ grant_type: 'refresh_token', refresh_token: refreshToken }));
const refreshTokenOf = (response: HttpResponse) => bodyOf(response).refresh_token as string;

describe('POST /oauth/revoke with a refresh token', () => {
  it('ends its session: 200, the item is gone, and the token is invalid_grant at /oauth/token', async () => {
    const { refreshToken, sid } = await newSession();

    const response = await revoke(formEvent({ token: refreshToken }));

    expect(response.statusCode).toBe(200);
    expect(response.headers).toMatchObject({ 'Cache-Control': 'no-store' });
    expect(await readSession(sid)).toBeUndefined();
    const refreshed = await refreshAt(refreshToken);
    expect(refreshed.statusCode).toBe(400);
    expect(bodyOf(refreshed)).toEqual({ code: 400, error: 'invalid_grant', error_description: expect.any(String) });
  });

  it('accepts token_type_hint=refresh_token and a JSON body', async () => {
    const { refreshToken, sid } = await newSession();

    const response = await revoke(proxyEvent({ body: { token: refreshToken, token_type_hint: 'refresh_token' } }));

    expect(response.statusCode).toBe(200);
    expect(await readSession(sid)).toBeUndefined();
  });

  it('still revokes a refresh token sent with a wrong hint (RFC 7009 §2.1: the hint is only a hint)', async () => {
    const { refreshToken, sid } = await newSession();

    const response = await revoke(formEvent({ token: refreshToken, token_type_hint: 'access_token' }));

    expect(response.statusCode).toBe(200);
    expect(await readSession(sid)).toBeUndefined();
  });

  it('ends only that session: another session of the same user keeps working', async () => {
    const username = uniqueUsername('revoke');
    const first = await ctx.app.auth.register({ username, password: PASSWORD });
    const second = await ctx.app.auth.login({ username, password: PASSWORD });

    const response = await revoke(formEvent({ token: first.refreshToken }));

    expect(response.statusCode).toBe(200);
    expect((await refreshAt(first.refreshToken)).statusCode).toBe(400);
    expect((await refreshAt(second.refreshToken)).statusCode).toBe(200);
  });

  it('ends the session when given its newest token after rotations', async () => {
    const { refreshToken, sid } = await newSession();
    const newest = refreshTokenOf(await refreshAt(refreshToken));

    const response = await revoke(formEvent({ token: newest }));

    expect(response.statusCode).toBe(200);
    expect(await readSession(sid)).toBeUndefined();
    expect((await refreshAt(newest)).statusCode).toBe(400);
  });

  it('answers 200 again for a token already revoked', async () => {
    const { refreshToken } = await newSession();
    await revoke(formEvent({ token: refreshToken }));

    const again = await revoke(formEvent({ token: refreshToken }));

    expect(again.statusCode).toBe(200);
  });
});

describe('POST /oauth/revoke with a token that is no refresh token of a live session', () => {
  it.each([
    ['an unknown refresh token', () => strangerRefreshToken()],
    ['a malformed token', () => 'not a token at all!'],
    ['a very long token', () => 'A'.repeat(8 * 1024)],
    ['a JWT that is no access token of ours', () => 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.'],
  ])('answers 200 for %s and touches no session', async (_case, value) => {
    const { sid } = await newSession();
    const before = await readSession(sid);

    const response = await revoke(formEvent({ token: value() }));

    expect(response.statusCode).toBe(200);
    expect(await readSession(sid)).toEqual(before);
  });

  it('answers 200 for an access token, which is stateless: the session and its refresh token live on', async () => {
    const { accessToken, refreshToken, sid } = await newSession();
    const before = await readSession(sid);

    const response = await revoke(formEvent({ token: accessToken, token_type_hint: 'access_token' }));

    expect(response.statusCode).toBe(200);
    expect(await readSession(sid)).toEqual(before);
    expect((await refreshAt(refreshToken)).statusCode).toBe(200);
  });
});

describe('POST /oauth/revoke with a malformed request', () => {
  it.each([
    ['no token', { token_type_hint: 'refresh_token' }],
    ['an empty token', { token: '' }],
  ])('refuses %s with 400 invalid_request', async (_case, params) => {
    const event = formEvent(params);

    const response = await revoke(event);

    expect(response.statusCode).toBe(400);
    expect(bodyOf(response)).toEqual({ code: 400, error: 'invalid_request', error_description: expect.stringContaining('token') });
  });

  it('refuses a repeated token parameter with 400 invalid_request, and revokes nothing', async () => {
    const { refreshToken, sid } = await newSession();
    const event = proxyEvent({ rawBody: `token=${refreshToken}&token=${strangerRefreshToken()}`, contentType: FORM });

    const response = await revoke(event);

    expect(response.statusCode).toBe(400);
    expect(bodyOf(response)).toMatchObject({ code: 400, error: 'invalid_request' });
    expect(await readSession(sid)).toBeDefined();
  });

  it('refuses a JSON body sent as a form with 400 invalid_request, and revokes nothing', async () => {
    const { refreshToken, sid } = await newSession();
    const event = proxyEvent({ rawBody: JSON.stringify({ token: refreshToken }), contentType: FORM });

    const response = await revoke(event);

    expect(response.statusCode).toBe(400);
    expect(bodyOf(response)).toMatchObject({ code: 400, error: 'invalid_request' });
    expect(await readSession(sid)).toBeDefined();
  });

  it('refuses a form body sent as JSON with 400 invalid_request', async () => {
    const { refreshToken } = await newSession();
    const event = proxyEvent({ rawBody: `token=${refreshToken}`, contentType: 'application/json' });

    const response = await revoke(event);

    expect(response.statusCode).toBe(400);
    expect(bodyOf(response)).toMatchObject({ code: 400, error: 'invalid_request' });
  });

  it('refuses another media type with 415', async () => {
    const { refreshToken } = await newSession();
    const event = proxyEvent({ rawBody: `token=${refreshToken}`, contentType: 'text/plain' });

    const response = await revoke(event);

    expect(response.statusCode).toBe(415);
    expect(bodyOf(response)).toMatchObject({ code: 415, error: 'invalid_request' });
  });
});
