import { bearerToken, challenge } from '../../lib/bearer';
import { AuthError } from '../../lib/errors';

const TOKEN = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1In0.c2lnbmF0dXJl';

describe('bearerToken', () => {
  it.each([`Bearer ${TOKEN}`, `bearer ${TOKEN}`, `BEARER ${TOKEN}`, `bEaReR ${TOKEN}`])('reads the token from "%s"', (value) => {
    const token = bearerToken(value);

    expect(token).toBe(TOKEN);
  });

  it.each([`Bearer    ${TOKEN}`, `Bearer ${TOKEN}   `, `Bearer  ${TOKEN}  `])('tolerates extra spaces: "%s"', (value) => {
    const token = bearerToken(value);

    expect(token).toBe(TOKEN);
  });

  it('keeps the b64token characters RFC 6750 allows, "=" padding included', () => {
    const value = 'Bearer aZ09-._~+/abc==';

    const token = bearerToken(value);

    expect(token).toBe('aZ09-._~+/abc==');
  });

  it.each([
    ['no header', undefined],
    ['an empty header', ''],
    ['Basic', 'Basic dXNlcjpwYXNzd29yZA=='],
    ['Digest', 'Digest username="ada", realm="jwt-auth"'],
    ['DPoP', `DPoP ${TOKEN}`],
    ['a bare token without scheme', TOKEN],
    ['the scheme alone', 'Bearer'],
    ['the scheme and a space', 'Bearer '],
    ['no space after the scheme', `Bearer${TOKEN}`],
    ['a tab after the scheme', `Bearer\t${TOKEN}`],
    ['two tokens', `Bearer ${TOKEN} ${TOKEN}`],
    ['a quoted token', `Bearer "${TOKEN}"`],
    ['a comma list', `Bearer ${TOKEN}, Basic abc`],
    ['a newline injection', `Bearer ${TOKEN}\r\nX-Admin: 1`],
    ['characters outside b64token', 'Bearer abc$def'],
    ['padding in the middle', 'Bearer ab=cd'],
  ])('is undefined for %s', (_what, value) => {
    const token = bearerToken(value);

    expect(token).toBeUndefined();
  });
});

describe('challenge (RFC 6750 §3)', () => {
  it('is the realm alone for a request without a token', () => {
    const value = challenge('jwt-auth');

    expect(value).toBe('Bearer realm="jwt-auth"');
  });

  it('adds error and error_description for a refused token', () => {
    const error = new AuthError('invalid_token', 'The access token signature is invalid.');

    const value = challenge('jwt-auth', error);

    expect(value).toBe('Bearer realm="jwt-auth", error="invalid_token", error_description="The access token signature is invalid."');
  });

  it('adds scope for insufficient_scope', () => {
    const error = new AuthError('insufficient_scope', 'The access token lacks the sessions scope.', { scope: 'sessions' });

    const value = challenge('jwt-auth', error);

    expect(value).toBe(
      'Bearer realm="jwt-auth", error="insufficient_scope", error_description="The access token lacks the sessions scope.", scope="sessions"',
    );
  });

  it('is the realm alone for an error that says no token came (RFC 6750 §3.1)', () => {
    const error = new AuthError('invalid_token', 'The access token is missing.', { anonymous: true });

    const value = challenge('jwt-auth', error);

    expect(value).toBe('Bearer realm="jwt-auth"');
  });

  it('strips quotes, backslashes, control and non-ASCII characters from quoted values', () => {
    const error = new AuthError('invalid_token', 'Bad "token"\\ here\r\n\tX-Evil: 1 — café');

    const value = challenge('my "realm"\\', error);

    expect(value).toBe('Bearer realm="my realm", error="invalid_token", error_description="Bad token hereX-Evil: 1  caf"');
  });
});
