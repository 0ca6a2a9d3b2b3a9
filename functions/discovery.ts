import type { MetadataConfig } from '../lib/config';
import { discoveryDocument } from '../lib/discovery';
import { publicJson } from '../lib/http';
import { route } from '../lib/route';
import { discoveryDeps, type VerifierDeps } from '../lib/verifier-deps';

/** GET /.well-known/openid-configuration and /.well-known/oauth-authorization-server (RFC 8414). */
export const makeDiscoveryHandler = (deps: () => Promise<VerifierDeps<MetadataConfig & { passwordGrant?: boolean }>>) =>
  route(deps, async (_event, { config }) => publicJson(discoveryDocument(config), 3600));

export const handler = makeDiscoveryHandler(discoveryDeps());
