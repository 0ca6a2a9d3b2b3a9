import { isCommonPassword } from './common-passwords';
import { productionAppDeps } from './deps';
import { once } from './verifier-deps';

/**
 * The deps of the handlers that set a password (register, change): the same composition root, with the
 * common-password list, which the other bundles never carry.
 */
export const passwordDeps = once(() => productionAppDeps({ isCommonPassword }));
