import { argon2Hasher } from '../lib/argon2';
import { isCommonPassword } from '../lib/common-passwords';
import { loadProviderConfig } from '../lib/config';
import { appDeps, type AppDeps } from '../lib/deps';
import { hostedPages } from '../lib/hosted';
import { mailFromEnvironment } from '../lib/mail-deps';
import { publicKeys } from '../lib/verifier-deps';

/**
 * The OpenID provider's hosted pages (lib/hosted.ts): GET /oauth/authorize and the sign-in, sign-up,
 * consent, forgotten-password, reset and sign-out screens. It checks passwords and makes accounts, but signs
 * nothing: codes are opaque, and the token endpoint turns them into tokens.
 */
export const makeAuthorizeHandler = (deps: () => Promise<AppDeps>) => hostedPages(deps);

export const handler = makeAuthorizeHandler(
  appDeps({ keys: publicKeys, passwords: argon2Hasher, isCommonPassword, mail: mailFromEnvironment, oauth: loadProviderConfig }),
);
