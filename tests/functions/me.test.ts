import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { authorizerFor, bodyOf, proxyEvent, uniqueUsername, withTestApp } from '../support/app';

const ctx = withTestApp();
const { me } = ctx.handlers;

const getMe = (authorizer: ReturnType<typeof authorizerFor>) => proxyEvent({ httpMethod: 'GET', path: '/me', rawBody: null, authorizer });

describe('GET /me', () => {
  it('answers 200 with the sub, the username in its display form and the scope', async () => {
    const typed = `\uFF2D\uFF41\uFF52\uFF49\uFF45-${uniqueUsername('x')}`; // fullwidth "Ｍａｒｉｅ"
    const { accessToken } = await ctx.app.auth.register({ username: typed, password: 'correct horse battery staple' });
    const context = authorizerFor(accessToken);

    const response = await me(getMe(context));

    expect(response.statusCode).toBe(200);
    expect(response.headers).toMatchObject({ 'Cache-Control': 'no-store' });
    expect(bodyOf(response)).toEqual({ sub: context.sub, username: typed.normalize('NFKC'), email: null, email_verified: false, scope: 'profile sessions' });
    expect(bodyOf(response).username).toMatch(/^Marie-/);
  });

  it('answers 403 insufficient_scope with scope="profile" in WWW-Authenticate to a token without profile', async () => {
    const { accessToken } = await ctx.app.auth.register({ username: uniqueUsername(), password: 'correct horse battery staple', scope: 'sessions' });

    const response = await me(getMe(authorizerFor(accessToken)));

    expect(response.statusCode).toBe(403);
    expect(bodyOf(response)).toEqual({ code: 403, error: 'insufficient_scope', error_description: expect.any(String) });
    expect(response.headers['WWW-Authenticate']).toMatch(/^Bearer realm="[^"]+", error="insufficient_scope", .*scope="profile"/);
  });

  it('answers 401 invalid_token with a WWW-Authenticate challenge when the token’s user no longer exists', async () => {
    const username = uniqueUsername();
    const { accessToken } = await ctx.app.auth.register({ username, password: 'correct horse battery staple' });
    await ctx.dynamo.doc.send(new DeleteCommand({ TableName: ctx.dynamo.tables.UsersTable, Key: { sub: (await ctx.dynamo.userNamed(username))!.sub } }));

    const response = await me(getMe(authorizerFor(accessToken)));

    expect(response.statusCode).toBe(401);
    expect(bodyOf(response)).toMatchObject({ code: 401, error: 'invalid_token' });
    expect(response.headers['WWW-Authenticate']).toMatch(/^Bearer realm="[^"]+", error="invalid_token"/);
  });
});
