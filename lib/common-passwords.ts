/**
 * NIST SP 800-63B: a new password must not be one that is commonly used, expected or compromised. The list is
 * zxcvbn-ts's common-password dictionary (`@zxcvbn-ts/language-common`, the one its strength estimator uses):
 * 49,233 passwords from a public corpus of ten million breached passwords, most frequent first, in lower case.
 * zxcvbn left out of it what its pattern matchers catch (`aaaaaaaa`, `abcdefgh`, `87654321`): this list alone
 * does not refuse repeats and sequences.
 *
 * Only the code that sets a password (register, change, reset) may import this module: the package adds about
 * 430 KB to a bundle, which the login and authorizer functions must not carry.
 */

type CommonPackage = typeof import('@zxcvbn-ts/language-common');

let common: ReadonlySet<string> | undefined;

function commonPasswords(): ReadonlySet<string> {
  // Required on first use rather than imported, so that loading this module costs nothing until a password is
  // set: decoding the list and building the set takes about 30 ms, once per process. esbuild still bundles it.
  const { dictionary } = require('@zxcvbn-ts/language-common') as CommonPackage;
  return new Set(dictionary['passwords-common']);
}

/** Whether a password is on the list of common and breached passwords, ignoring case and compatibility forms. */
export function isCommonPassword(password: string): boolean {
  common ??= commonPasswords();
  return common.has(password.normalize('NFKC').toLowerCase());
}
