/**
 * The rules of registered clients (lib/client-registry.ts): which redirect URIs may be registered, and which
 * presented URIs match a registration (exactly, but for the port of a loopback one, RFC 8252 §7.3).
 */
import { hashClientSecret, parseClients, redirectUriAllowed, redirectUriProblem, secretMatches, validateClient } from '../../lib/client-registry';
import { ConfigError } from '../../lib/errors';

describe('redirectUriProblem', () => {
  it.each([
    'https://app.example.com/callback',
    'https://app.example.com/callback?tenant=1',
    'http://127.0.0.1/callback',
    'http://[::1]:8080/callback',
    'http://localhost:3000/callback',
    'com.example.app:/oauth2redirect',
    'https://xn--bcher-kva.example/cb',
  ])('registers %s', (uri) => {
    expect(redirectUriProblem(uri)).toBeUndefined();
  });

  it.each([
    ['relative', '/callback', 'is not an absolute URI'],
    ['a fragment', 'https://app.example.com/cb#x', 'has a fragment'],
    ['http elsewhere than loopback', 'http://app.example.com/cb', 'uses http on a host other than loopback'],
    ['javascript:', 'javascript:alert(1)', 'uses the javascript scheme'],
    ['data:', 'data:text/html,hi', 'uses the data scheme'],
    ['a scheme without a dot', 'myapp:/cb', 'not a reverse domain name'],
    ['an underscore in the host', 'https://my_app.example/cb', 'letters, digits, dots and hyphens'],
    ['a control character the URL parser would drop', 'https://app.example.com/cb\u001b[2J', 'control'],
    ['a leading space', ' https://app.example.com/cb', 'spaces'],
    ['non-ASCII', 'https://bücher.example/cb', 'non-ASCII'],
    ['over 2,000 characters', `https://app.example.com/${'a'.repeat(2000)}`, 'too long'],
  ])('refuses %s', (_case, uri, problem) => {
    expect(redirectUriProblem(uri)).toContain(problem);
  });
});

describe('redirectUriAllowed', () => {
  const client = { redirectUris: ['https://app.example.com/cb', 'http://127.0.0.1/callback', 'http://[::1]/cb', 'http://localhost/cb'] };

  it.each(['https://app.example.com/cb', 'http://127.0.0.1/callback', 'http://127.0.0.1:49152/callback', 'http://[::1]:5000/cb'])('matches %s', (uri) => {
    expect(redirectUriAllowed(client, uri)).toBe(true);
  });

  it.each([
    'https://app.example.com/cb/', 'https://app.example.com/cb?x=1', 'https://APP.example.com/cb', 'http://app.example.com/cb',
    'http://127.0.0.1:49152/callback/x', 'http://127.0.0.1:49152/callback#x', 'http://127.0.0.1:49152/callback?x=1', 'http://user@127.0.0.1:49152/callback',
    'http://localhost:3000/cb', 'https://127.0.0.1:49152/callback', 'http://127.0.0.2:49152/callback', '',
  ])('does not match %s', (uri) => {
    expect(redirectUriAllowed(client, uri)).toBe(false);
  });
});

describe('validateClient and parseClients', () => {
  it('normalizes a client from OAUTH_CLIENTS, and checks its secret by its SHA-256 only', () => {
    const hash = hashClientSecret('s3cret-0123456789');

    const client = validateClient({ client_id: 'web', redirect_uris: ['https://a.example/cb', 'https://a.example/cb'], client_secret_hash: hash, name: 'Web' });

    expect(client).toEqual({ clientId: 'web', redirectUris: ['https://a.example/cb'], postLogoutRedirectUris: [], firstParty: false, clientSecretHash: hash, name: 'Web' });
    expect(secretMatches(client, 's3cret-0123456789')).toBe(true);
    expect(secretMatches(client, 's3cret-0123456788')).toBe(false);
    expect(secretMatches({ ...client, clientSecretHash: undefined }, 's3cret-0123456789')).toBe(false);
  });

  it.each([
    ['not JSON', '{'],
    ['not a list', '{"client_id":"web"}'],
    ['no redirect URI', '[{"client_id":"web","redirect_uris":[]}]'],
    ['an id with a space', '[{"client_id":"a b","redirect_uris":["https://a.example/cb"]}]'],
    ['a bad secret hash', '[{"client_id":"web","redirect_uris":["https://a.example/cb"],"client_secret_hash":"plain-secret"}]'],
    ['first_party not a boolean', '[{"client_id":"web","redirect_uris":["https://a.example/cb"],"first_party":"yes"}]'],
    ['one id twice', '[{"client_id":"web","redirect_uris":["https://a.example/cb"]},{"client_id":"web","redirect_uris":["https://b.example/cb"]}]'],
    ['a hostile redirect URI', '[{"client_id":"web","redirect_uris":["javascript:alert(1)"]}]'],
  ])('refuses OAUTH_CLIENTS with %s, naming the variable', (_case, json) => {
    expect(() => parseClients(json, 'OAUTH_CLIENTS')).toThrow(ConfigError);
    expect(() => parseClients(json, 'OAUTH_CLIENTS')).toThrow(/OAUTH_CLIENTS/);
  });

  it('reads no clients from an unset or blank OAUTH_CLIENTS', () => {
    expect(parseClients(undefined, 'OAUTH_CLIENTS')).toEqual([]);
    expect(parseClients('  ', 'OAUTH_CLIENTS')).toEqual([]);
  });
});
