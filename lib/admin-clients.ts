import { randomBytes } from 'node:crypto';
import { hashClientSecret, validateClient, type ClientStore, type OAuthClient } from './clients';
import { AuthError } from './errors';

/**
 * What an operator does to the registered OAuth clients (`npm run admin -- client …`, scripts/admin/): the
 * clients table through lib/clients.ts's store, with OAUTH_CLIENTS as this command's environment has it.
 * OAUTH_CLIENTS' clients are the deployment's own: they are listed, never written, and no table client may
 * take one of their ids.
 */
export interface ClientAdminDeps {
  clients: ClientStore;
  /** OAUTH_CLIENTS, parsed (`parseClients`): the store was made with the same list. */
  configured: readonly OAuthClient[];
  /** A new client secret; 32 random bytes, base64url, unless a test says otherwise. */
  newSecret?: () => string;
}

/** What `client add` is asked for, in the names OAUTH_CLIENTS uses (`validateClient` reads them). */
export interface ClientRegistration {
  client_id: string;
  redirect_uris: string[];
  post_logout_redirect_uris: string[];
  first_party: boolean;
  name?: string;
  /** Whether it gets a secret for the token endpoint (a server-side app), or is a public one (native, browser). */
  confidential: boolean;
}

/** A client as `client list` shows it, in OAUTH_CLIENTS' names: never its secret, nor the secret's hash. */
export interface ClientView {
  client_id: string;
  name: string | null;
  type: 'public' | 'confidential';
  first_party: boolean;
  redirect_uris: string[];
  post_logout_redirect_uris: string[];
  source: 'OAUTH_CLIENTS' | 'table';
}

/** 256 random bits: what `hashClientSecret`'s single unsalted SHA-256 relies on. */
const randomSecret = () => randomBytes(32).toString('base64url');

export function clientView(client: OAuthClient, source: ClientView['source']): ClientView {
  return {
    client_id: client.clientId,
    name: client.name ?? null,
    type: client.clientSecretHash ? 'confidential' : 'public',
    first_party: client.firstParty,
    redirect_uris: [...client.redirectUris],
    post_logout_redirect_uris: [...client.postLogoutRedirectUris],
    source,
  };
}

/**
 * The client a registration describes, checked as an OAUTH_CLIENTS entry is (redirect URIs above all); an
 * `invalid_request` names the first problem. Pure, so the command line checks before it opens any table.
 */
export function checkRegistration({ confidential: _confidential, ...registration }: ClientRegistration): OAuthClient {
  try {
    return validateClient(registration);
  } catch (error) {
    throw new AuthError('invalid_request', (error as Error).message, { cause: error });
  }
}

const noSuchClient = (clientId: string) => new AuthError('not_found', `There is no client "${clientId}".`);

const configuredHere = (clientId: string, doing: string) =>
  new AuthError('invalid_request', `The client "${clientId}" is defined in OAUTH_CLIENTS, not in the clients table: ${doing}`);

export function createClientAdmin({ clients, configured, newSecret = randomSecret }: ClientAdminDeps) {
  const isConfigured = (clientId: string) => configured.some((client) => client.clientId === clientId);

  /** A client of the table (the one a removal would delete), or why there is none to remove. */
  async function removable(clientId: string): Promise<ClientView> {
    if (isConfigured(clientId)) throw configuredHere(clientId, 'it cannot be removed here; edit OAUTH_CLIENTS (and deploy) instead.');
    const client = await clients.get(clientId);
    if (!client) throw noSuchClient(clientId);
    return clientView(client, 'table');
  }

  return {
    /**
     * Adds a client to the table, never over one of the same id (the store's condition holds even against a
     * concurrent add). A confidential client's secret is returned once, here: the table holds its hash only.
     */
    async add(registration: ClientRegistration): Promise<ClientView & { client_secret?: string }> {
      const checked = checkRegistration(registration);
      if (isConfigured(checked.clientId)) throw configuredHere(checked.clientId, 'the table cannot hold another client of that id. Choose another id.');
      const secret = registration.confidential ? newSecret() : undefined;
      const client = secret === undefined ? checked : validateClient({ ...checked, clientSecretHash: hashClientSecret(secret) });
      if (!(await clients.add(client))) {
        throw new AuthError('invalid_request', `There is already a client "${client.clientId}": nothing was changed (remove it first to replace it).`, { status: 409 });
      }
      return { ...clientView(client, 'table'), ...(secret === undefined ? {} : { client_secret: secret }) };
    },

    /** Every client: OAUTH_CLIENTS' first, then the table's by id. */
    async list(): Promise<ClientView[]> {
      return (await clients.list()).map((client) => clientView(client, client.source === 'environment' ? 'OAUTH_CLIENTS' : 'table'));
    },

    removable,

    /** Removes a client from the table; one removed meanwhile is said as an unknown one. */
    async remove(clientId: string): Promise<ClientView> {
      const client = await removable(clientId);
      if (!(await clients.remove(clientId))) throw noSuchClient(clientId);
      return client;
    },
  };
}

export type ClientAdmin = ReturnType<typeof createClientAdmin>;
