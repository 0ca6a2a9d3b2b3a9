import { randomInt } from 'node:crypto';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { build } from 'esbuild';
import { isCommonPassword } from '../../lib/common-passwords';

const ROOT = path.resolve(__dirname, '..', '..');

/** The source files esbuild puts in a function's bundle, bundled as serverless.yml does. */
async function bundledInputs(entry: string): Promise<string[]> {
  const result = await build({
    entryPoints: [path.join(ROOT, entry)], absWorkingDir: ROOT, bundle: true, platform: 'node', format: 'cjs', target: 'node20',
    external: ['@node-rs/argon2'], write: false, metafile: true, logLevel: 'silent',
  });
  return Object.keys(result.metafile.inputs);
}
const LIST = /@zxcvbn-ts\/|lib\/common-passwords\.ts$/;

/** A passphrase no list holds: 20 characters drawn uniformly from 62 (about 119 bits). */
function randomPassphrase(length = 20): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return Array.from({ length }, () => alphabet[randomInt(alphabet.length)]).join('');
}

describe('isCommonPassword', () => {
  it.each([
    ['password'],
    ['123456'],
    ['12345678'],
    ['qwerty123'],
    ['iloveyou'],
    ['letmein'],
    ['trustno1'],
    ['1qaz2wsx'],
  ])('refuses %s', (password) => {
    const common = isCommonPassword(password);

    expect(common).toBe(true);
  });

  it.each([
    ['upper case', 'PASSWORD'],
    ['title case', 'Password'],
    ['mixed case', 'QwErTy123'],
    ['fullwidth forms (NFKC)', 'ｐａｓｓｗｏｒｄ'],
    ['mathematical letters (NFKC)', '\u{1D429}\u{1D41A}\u{1D42C}\u{1D42C}\u{1D430}\u{1D428}\u{1D42B}\u{1D41D}'],
  ])('refuses a common password in %s', (_label, password) => {
    const common = isCommonPassword(password);

    expect(common).toBe(true);
  });

  it.each([
    ['a random 20-character passphrase', randomPassphrase()],
    ['a long diceware-style passphrase', 'correct horse battery staple'],
    ['a near miss of a common password', 'password\u00A0'],
    ['the empty string', ''],
  ])('accepts %s', (_label, password) => {
    const common = isCommonPassword(password);

    expect(common).toBe(false);
  });

  it('answers quickly once the list is loaded', () => {
    isCommonPassword('warm-up');
    const started = performance.now();

    for (let i = 0; i < 10_000; i += 1) isCommonPassword(`not on any list ${i}`);

    expect(performance.now() - started).toBeLessThan(500);
  });
});

describe('the list in bundles', () => {
  it('is bundled with the module, though required only on first use', async () => {
    const inputs = await bundledInputs('lib/common-passwords.ts');

    expect(inputs).toEqual(expect.arrayContaining(['node_modules/@zxcvbn-ts/language-common/dist/passwords.json.cjs']));
  });

  it.each([['functions/login.ts'], ['functions/authorizer.ts']])('stays out of %s', async (entry) => {
    const inputs = await bundledInputs(entry);

    expect(inputs.filter((input) => LIST.test(input))).toEqual([]);
  });
});
