import type { MetadataConfig } from '../lib/config';
import { publicJson } from '../lib/http';
import { route } from '../lib/route';
import { metadataDeps, type VerifierDeps } from '../lib/verifier-deps';

/** How long verifiers may cache the key set; a rotation publishes the next key at least this long ahead. */
export const JWKS_MAX_AGE = 300;

/** GET /.well-known/jwks.json: the public half of every key still accepted. */
export const makeJwksHandler = (deps: () => Promise<VerifierDeps<MetadataConfig>>) =>
  route(deps, async (_event, { keys }) => publicJson({ keys: keys.publicJwks }, JWKS_MAX_AGE));

export const handler = makeJwksHandler(metadataDeps());
