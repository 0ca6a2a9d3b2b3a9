import { bodyOf, claimsOf, proxyEvent, sha256, uniqueUsername, UUID, type EventOptions, withTestApp } from '../support/app';
import { countRequests } from '../support/dynalite';

const ctx = withTestApp();
const { register } = ctx.handlers;

const PASSWORD = 'correct horse battery staple';

describe('POST /auth/register', () => {
  it('answers 201 with an RFC 6749 token response that no cache may keep', async () => {
    const event = proxyEvent({ body: { username: uniqueUsername(), password: PASSWORD } });

    const response = await register(event);

    expect(response.statusCode).toBe(201);
    expect(response.headers).toMatchObject({ 'Cache-Control': 'no-store', Pragma: 'no-cache', 'Content-Type': 'application/json' });
    expect(bodyOf(response)).toEqual({
      token_type: 'Bearer',
      access_token: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/),
      expires_in: 900,
      refresh_token: expect.any(String),
      scope: 'profile sessions',
    });
  });

  it('stores the user with an argon2id hash and a UUID sub that is not the username', async () => {
    const username = uniqueUsername('Erika');
    const event = proxyEvent({ body: { username, password: PASSWORD } });

    const response = await register(event);

    const user = await ctx.dynamo.userNamed(username.toLowerCase());
    expect(user).toMatchObject({ displayName: username, sub: expect.stringMatching(UUID) });
    expect(user?.passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(JSON.stringify(user)).not.toContain(PASSWORD);
    expect(user?.sub).not.toBe(username);
    expect(claimsOf(bodyOf(response).access_token as string).sub).toBe(user?.sub);
  });

  it('starts a session holding the SHA-256 of the refresh token, never the token, and a TTL', async () => {
    const event = proxyEvent({ body: { username: uniqueUsername(), password: PASSWORD } });

    const response = await register(event);

    const { access_token: accessToken, refresh_token: refreshToken } = bodyOf(response) as { access_token: string; refresh_token: string };
    const { sid, sub } = claimsOf(accessToken);
    const session = await ctx.dynamo.read('SessionsTable', { id: sid });
    expect(session).toMatchObject({ sub, tokenHash: sha256(refreshToken), expiresAt: expect.any(Number) });
    expect(session?.expiresAt).toBeGreaterThan(ctx.app.clock.seconds());
    expect(Object.values(session ?? {})).not.toContain(refreshToken);
  });

  it('keeps usernames unique regardless of case and Unicode form', async () => {
    const name = uniqueUsername('Alice');
    const first = bodyOf(await register(proxyEvent({ body: { username: name, password: PASSWORD } })));
    const variants = [name.toLowerCase(), name.toUpperCase(), toFullwidth(name)];
    const sessionsBefore = (await ctx.dynamo.scan('SessionsTable')).length;

    const responses = await Promise.all(variants.map((username) => register(proxyEvent({ body: { username, password: 'another password' } }))));

    for (const response of responses) {
      expect(response.statusCode).toBe(409);
      expect(bodyOf(response)).toEqual({ code: 409, error: 'username_taken', error_description: expect.any(String) });
    }
    const user = await ctx.dynamo.userNamed(name.toLowerCase());
    expect(user?.sub).toBe(claimsOf(first.access_token as string).sub);
    expect((await ctx.dynamo.scan('SessionsTable')).length).toBe(sessionsBefore);
  });

  it.each([
    ['a charset parameter', { contentType: 'application/json; charset=utf-8' }],
    ['a lower-case header name', { headers: { 'content-type': 'application/json' } }],
    ['a base64-encoded body', { base64: true }],
  ])('accepts a JSON body with %s', async (_case, variant: { contentType?: string; headers?: Record<string, string>; base64?: boolean }) => {
    const json = JSON.stringify({ username: uniqueUsername(), password: PASSWORD });
    const event = proxyEvent({
      rawBody: variant.base64 ? Buffer.from(json).toString('base64') : json,
      isBase64Encoded: variant.base64 === true,
      headers: variant.headers,
      contentType: variant.contentType,
    });

    const response = await register(event);

    expect(response.statusCode).toBe(201);
  });

  it('lets exactly one of ten parallel sign-ups of one name (in different forms) win', async () => {
    const name = uniqueUsername('Race');
    const forms = Array.from({ length: 10 }, (_, i) => (i % 3 === 0 ? name : i % 3 === 1 ? name.toUpperCase() : toFullwidth(name)));

    const responses = await Promise.all(forms.map((username) => register(proxyEvent({ body: { username, password: PASSWORD } }))));

    const statuses = responses.map((response) => response.statusCode).sort();
    expect(statuses).toEqual([201, ...Array(9).fill(409)]);
    const winner = responses.find((response) => response.statusCode === 201)!;
    const user = await ctx.dynamo.userNamed(name.toLowerCase());
    expect(user?.sub).toBe(claimsOf(bodyOf(winner).access_token as string).sub);
    expect(await ctx.dynamo.scan('SessionsTable', user?.sub as string)).toHaveLength(1);
  });

  const bad: [string, EventOptions, number, string][] = [
    ['malformed JSON', { rawBody: '{"username": "mallory", "password": ' }, 400, 'invalid_request'],
    ['a JSON array', { rawBody: '["mallory", "long enough password"]' }, 400, 'invalid_request'],
    ['an empty body', { rawBody: null }, 400, 'invalid_request'],
    ['no username', { body: { password: PASSWORD } }, 400, 'invalid_request'],
    ['no password', { body: { username: 'mallory' } }, 400, 'invalid_request'],
    ['a numeric username', { body: { username: 12345, password: PASSWORD } }, 400, 'invalid_request'],
    ['a password that is an object', { body: { username: 'mallory', password: { $ne: '' } } }, 400, 'invalid_request'],
    ['a short password', { body: { username: 'mallory', password: 'short' } }, 400, 'invalid_request'],
    ['a username with a space', { body: { username: 'mal lory', password: PASSWORD } }, 400, 'invalid_request'],
    ['a two-letter username', { body: { username: 'ma', password: PASSWORD } }, 400, 'invalid_request'],
    ['a name with a zero-width joiner', { body: { username: 'mall\u200Dory', password: PASSWORD } }, 400, 'invalid_request'],
    ['a Latin name with a Cyrillic look-alike (а)', { body: { username: 'm\u0430llory', password: PASSWORD } }, 400, 'invalid_request'],
    ['a name with a variation selector', { body: { username: 'mallory\uFE0F', password: PASSWORD } }, 400, 'invalid_request'],
    ['a common password', { body: { username: 'mallory', password: 'password1' } }, 400, 'invalid_request'],
    ['an unknown scope', { body: { username: 'mallory', password: PASSWORD, scope: 'admin' } }, 400, 'invalid_scope'],
    ['a body over 16 KB', { body: { username: 'mallory', password: PASSWORD, padding: 'x'.repeat(16 * 1024) } }, 413, 'invalid_request'],
    ['a text/plain body', { body: { username: 'mallory', password: PASSWORD }, contentType: 'text/plain' }, 415, 'invalid_request'],
    ['no Content-Type', { body: { username: 'mallory', password: PASSWORD }, contentType: null }, 415, 'invalid_request'],
  ];

  let serial = 0;
  it.each([['Korean', '김민준'], ['Cyrillic', 'Александр'], ['Greek', 'Αλέξανδρος'], ['Japanese with Latin', 'tanaka太郎'], ['accented Latin', 'Zoë.Ångström']])(
    'welcomes a %s name',
    async (_script, typed) => {
      const username = `${typed}${Date.now() % 100_000}${(serial += 1)}`; // ASCII digits go with any script

      const response = await register(proxyEvent({ body: { username, password: PASSWORD } }));

      expect(response.statusCode).toBe(201);
      expect(await ctx.dynamo.userNamed(username)).toMatchObject({ displayName: username });
    },
  );

  it.each(bad)('refuses %s and writes nothing', async (_case, options, status, error) => {
    const sessionsBefore = (await ctx.dynamo.scan('SessionsTable')).length;
    const event = proxyEvent(options);

    const response = await register(event);

    expect(response.statusCode).toBe(status);
    expect(bodyOf(response)).toEqual({ code: status, error, error_description: expect.any(String) });
    expect(await ctx.dynamo.userNamed('mallory')).toBeUndefined();
    expect((await ctx.dynamo.scan('SessionsTable')).length).toBe(sessionsBefore);
  });

  it('claims the name, writes the user and the session, and looks for sessions beyond the limit', async () => {
    const counter = countRequests(ctx.dynamo.doc);
    const event = proxyEvent({ body: { username: uniqueUsername(), password: PASSWORD } });

    const response = await register(event);

    counter.remove();
    expect(response.statusCode).toBe(201);
    expect(counter.counts).toEqual({ PutItem: 3, Query: 1 });
  });
});

/** The fullwidth form of ASCII letters, digits and punctuation (U+FF01–U+FF5E), which NFKC folds back. */
function toFullwidth(text: string): string {
  return text.replace(/[!-~]/g, (char) => String.fromCharCode(char.charCodeAt(0) + 0xfee0));
}
