import { createHash, timingSafeEqual } from 'node:crypto';
import { ConfigError } from './errors';

/**
 * A registered OAuth client (RFC 6749 §2): the apps that may use the authorization endpoint. A public client
 * (a native or browser app) has no secret; a confidential one authenticates at the token endpoint with the
 * secret whose SHA-256 is stored here. Every client uses PKCE with S256 (RFC 9700 §2.1.1).
 */
export interface OAuthClient {
  clientId: string;
  /** Exact redirect URIs (RFC 9700 §4.1.1); a loopback one matches on any port (RFC 8252 §7.3). */
  redirectUris: string[];
  /** Where RP-initiated logout may send the browser back to, exactly. */
  postLogoutRedirectUris: string[];
  /** The service's own apps: no consent screen, and the password grant while PASSWORD_GRANT is on. */
  firstParty: boolean;
  /** base64url(SHA-256(secret)) of a confidential client. */
  clientSecretHash?: string;
  /** Shown on the consent screen; the client id when absent. */
  name?: string;
}

export const CLIENT_ID = /^[\x21-\x7e]{1,128}$/;
const SECRET_HASH = /^[A-Za-z0-9_-]{43}$/;
const MAX_URIS = 20;

/** SHA-256 is enough for a secret of 256 random bits (`npm run admin -- client add --confidential` makes them). */
export const hashClientSecret = (secret: string) => createHash('sha256').update(secret).digest('base64url');

export function secretMatches(client: OAuthClient, secret: string): boolean {
  if (!client.clientSecretHash) return false;
  const presented = Buffer.from(hashClientSecret(secret));
  const stored = Buffer.from(client.clientSecretHash);
  return presented.length === stored.length && timingSafeEqual(presented, stored);
}

const isLoopbackIp = (hostname: string) => hostname === '127.0.0.1' || hostname === '[::1]';

/**
 * Why a redirect URI cannot be registered, or undefined when it can: an absolute URI without a fragment
 * (RFC 6749 §3.1.2); https, http only on a loopback address or localhost, or a private-use scheme with a
 * dot in it (RFC 8252 §7.1, reverse domain name).
 */
export function redirectUriProblem(uri: string): string | undefined {
  // The URL parser drops spaces and control characters silently; a registered URI is exactly what is matched.
  if (!/^[\x21-\x7e]+$/.test(uri)) return 'holds spaces, control or non-ASCII characters';
  let parsed: URL;
  try {
    parsed = new URL(uri);
  } catch {
    return 'is not an absolute URI';
  }
  if (parsed.hash !== '' || uri.includes('#')) return 'has a fragment';
  if (uri.length > 2000) return 'is too long';
  const scheme = parsed.protocol.slice(0, -1);
  // A host a Content-Security-Policy can name (letters, digits, dots, hyphens; or an IPv6 literal): the hosted
  // pages list the redirect URI's origin in their form-action.
  if ((scheme === 'https' || scheme === 'http') && !/^([a-z0-9-]+\.)*[a-z0-9-]+$|^\[[0-9a-f:.]+\]$/.test(parsed.hostname)) return 'has a host name with characters other than letters, digits, dots and hyphens';
  if (scheme === 'https') return undefined;
  if (scheme === 'http') return isLoopbackIp(parsed.hostname) || parsed.hostname === 'localhost' ? undefined : 'uses http on a host other than loopback';
  if (['javascript', 'data', 'file', 'blob', 'vbscript', 'about', 'ftp', 'ws', 'wss'].includes(scheme)) return `uses the ${scheme} scheme`;
  if (!scheme.includes('.')) return 'uses a private scheme that is not a reverse domain name (com.example.app)';
  return undefined;
}

/**
 * Whether `uri` is one of the client's redirect URIs: byte for byte, except that a registered loopback IP
 * literal with http matches on any port (RFC 8252 §7.3), the rest still exact.
 */
export function redirectUriAllowed(client: Pick<OAuthClient, 'redirectUris'>, uri: string): boolean {
  if (client.redirectUris.includes(uri)) return true;
  let presented: URL;
  try {
    presented = new URL(uri);
  } catch {
    return false;
  }
  if (presented.protocol !== 'http:' || !isLoopbackIp(presented.hostname)) return false;
  const anyPort = (url: URL) => `${url.protocol}//${url.hostname}${url.pathname}${url.search}`;
  return client.redirectUris.some((registered) => {
    const parsed = URL.canParse(registered) ? new URL(registered) : undefined;
    return parsed !== undefined && parsed.protocol === 'http:' && isLoopbackIp(parsed.hostname) && !uri.includes('#') && anyPort(parsed) === anyPort(presented) && sameUserInfo(parsed, presented);
  });
}

const sameUserInfo = (a: URL, b: URL) => a.username === '' && a.password === '' && b.username === '' && b.password === '';

/** Checks and normalizes a client from OAUTH_CLIENTS or the admin CLI; throws an Error naming what is wrong. */
export function validateClient(input: unknown): OAuthClient {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new Error('a client must be an object');
  const raw = input as Record<string, unknown>;
  const clientId = raw.client_id ?? raw.clientId;
  if (typeof clientId !== 'string' || !CLIENT_ID.test(clientId)) throw new Error('client_id must be 1 to 128 printable ASCII characters without spaces');
  const list = (name: string, value: unknown): string[] => {
    if (value === undefined) return [];
    if (!Array.isArray(value) || value.length > MAX_URIS || value.some((uri) => typeof uri !== 'string')) throw new Error(`${clientId}: ${name} must be a list of at most ${MAX_URIS} URIs`);
    for (const uri of value as string[]) {
      const problem = redirectUriProblem(uri);
      if (problem) throw new Error(`${clientId}: the ${name} entry "${uri.slice(0, 100)}" ${problem}`);
    }
    return [...new Set(value as string[])];
  };
  const redirectUris = list('redirect_uris', raw.redirect_uris ?? raw.redirectUris);
  if (redirectUris.length === 0) throw new Error(`${clientId}: redirect_uris must name at least one URI`);
  const firstParty = raw.first_party ?? raw.firstParty ?? false;
  if (typeof firstParty !== 'boolean') throw new Error(`${clientId}: first_party must be true or false`);
  const secretHash = raw.client_secret_hash ?? raw.clientSecretHash;
  if (secretHash !== undefined && (typeof secretHash !== 'string' || !SECRET_HASH.test(secretHash))) {
    throw new Error(`${clientId}: client_secret_hash must be base64url(SHA-256(secret)), 43 characters`);
  }
  const name = raw.name;
  if (name !== undefined && (typeof name !== 'string' || name.length === 0 || name.length > 100)) throw new Error(`${clientId}: name must be 1 to 100 characters`);
  return {
    clientId,
    redirectUris,
    postLogoutRedirectUris: list('post_logout_redirect_uris', raw.post_logout_redirect_uris ?? raw.postLogoutRedirectUris),
    firstParty,
    ...(secretHash ? { clientSecretHash: secretHash as string } : {}),
    ...(name ? { name: name as string } : {}),
  };
}

/** OAUTH_CLIENTS: a JSON list of clients; a ConfigError names the first problem. */
export function parseClients(json: string | undefined, variable: string): OAuthClient[] {
  if (json === undefined || json.trim() === '') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new ConfigError(variable, 'must be a JSON list of clients');
  }
  if (!Array.isArray(parsed)) throw new ConfigError(variable, 'must be a JSON list of clients');
  const clients = parsed.map((entry) => {
    try {
      return validateClient(entry);
    } catch (error) {
      throw new ConfigError(variable, (error as Error).message);
    }
  });
  const ids = new Set<string>();
  for (const client of clients) {
    if (ids.has(client.clientId)) throw new ConfigError(variable, `names the client "${client.clientId}" twice`);
    ids.add(client.clientId);
  }
  return clients;
}

