/**
 * PROTOTYPE (bench/cold-start.ts): functions/authorizer.ts with bench/keyobject-verifier.ts in place of
 * lib/tokens.ts's verifier, wired as lib/verifier-deps.ts wires the authorizer (configuration read at cold
 * start, keys loaded on first use and kept), so that its bundle holds what an adoption would ship.
 */
import { authorize, type AuthorizerEvent } from '../../lib/authorizer';
import { loadVerifierConfig } from '../../lib/config';
import { once, verificationKeys } from '../../lib/verifier-deps';
import { createKeyObjectVerifier } from '../keyobject-verifier';

const config = loadVerifierConfig();
const verifier = once(async () => createKeyObjectVerifier(config, await verificationKeys(config)));

export const handler = async (event: AuthorizerEvent) => authorize(event, (await verifier()).verify);
