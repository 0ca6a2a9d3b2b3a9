/**
 * The OAuth clients the tests register (OAUTH_CLIENTS of the test app and of the shared local servers), and
 * what a test needs to act as one: PKCE values, and the hosted page's forms read as a browser reads them.
 */
import { createHash, randomBytes } from 'node:crypto';
import { hashClientSecret } from '../../lib/clients';

/** The secret of `oidc-confidential`; only its SHA-256 is configured. */
export const CONFIDENTIAL_SECRET = 'test-confidential-secret-0123456789abcdefghijklmnop';

/**
 * Two first-party apps, each at an https redirect URI (single sign-on gives them codes at once) and a loopback
 * one (any port, RFC 8252 §7.3; single sign-on asks the user first there, §8.6); a third-party app, a
 * confidential one and a native one.
 */
export const OIDC_CLIENTS = [
  { client_id: 'oidc-app', name: 'OIDC App', redirect_uris: ['https://app.example/callback', 'http://127.0.0.1/callback'], post_logout_redirect_uris: ['http://127.0.0.1/signed-out'], first_party: true },
  { client_id: 'oidc-second', name: 'Second App', redirect_uris: ['https://second.example/cb', 'http://127.0.0.1/second'], first_party: true },
  { client_id: 'oidc-third', name: 'Third App', redirect_uris: ['https://third.example/cb'] },
  { client_id: 'oidc-confidential', redirect_uris: ['https://confidential.example/cb'], first_party: true, client_secret_hash: hashClientSecret(CONFIDENTIAL_SECRET) },
  { client_id: 'oidc-native', redirect_uris: ['com.example.app:/oauth2redirect'], first_party: true },
] as const;

/** A PKCE pair (RFC 7636, S256). */
export function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** An authorization request's query for `client_id` (PKCE S256, openid), with any parameter replaced or removed (undefined). */
export function authorizationQuery(params: Record<string, string | undefined>): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value !== undefined) query.set(name, value);
  return query.toString();
}

/** A page's forms as a browser submits them: action, and every input's name and value (the hidden ones included). */
export function formsOf(html: string): { action: string; fields: Record<string, string> }[] {
  const unescape = (text: string) =>
    text.replace(/&(amp|lt|gt|quot|#39|#x27);/g, (_, entity: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", '#x27': "'" })[entity] ?? '');
  return [...html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/g)].map(([, attributes, body]) => {
    const action = unescape(/action="([^"]*)"/.exec(attributes!)?.[1] ?? '');
    const fields: Record<string, string> = {};
    for (const [, input] of body!.matchAll(/<input\b([^>]*)>/g)) {
      const name = /name="([^"]*)"/.exec(input!)?.[1];
      if (name !== undefined) fields[unescape(name)] = unescape(/value="([^"]*)"/.exec(input!)?.[1] ?? '');
    }
    return { action, fields };
  });
}

/** The value of a Set-Cookie line's cookie, by name, from a list of Set-Cookie lines. */
export function cookieFrom(setCookies: string[], name: string): string | undefined {
  for (const line of setCookies) {
    const match = new RegExp(`^${name}=([^;]*)`).exec(line);
    if (match) return match[1];
  }
  return undefined;
}
