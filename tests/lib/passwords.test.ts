import { performance } from 'node:perf_hooks';
import { hash } from '@node-rs/argon2';
import { isCommonPassword } from '../../lib/common-passwords';
import { hashPassword, needsRehash, verifyPassword } from '../../lib/argon2';
import { validateNewPassword as validateWith } from '../../lib/passwords';

const validateNewPassword = (value: unknown) => validateWith(value, isCommonPassword);

const PASSWORD = 'correct horse battery staple';

async function fastestOf(runs: number, work: () => Promise<unknown>): Promise<number> {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < runs; i += 1) {
    const start = performance.now();
    await work();
    best = Math.min(best, performance.now() - start);
  }
  return best;
}

function normalize(value: unknown): Promise<string> {
  return Promise.resolve().then(() => validateNewPassword(value));
}

describe('hashPassword', () => {
  it('records argon2id with m=19456, t=2, p=1 in a PHC string', async () => {
    const stored = await hashPassword(PASSWORD);

    expect(stored).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/);
  });

  it('salts: the same password hashes differently twice', async () => {
    const first = await hashPassword(PASSWORD);
    const second = await hashPassword(PASSWORD);

    expect(first).not.toBe(second);
  });
});

describe('verifyPassword', () => {
  let stored: string;
  beforeAll(async () => {
    stored = await hashPassword(PASSWORD);
  });

  it('is true for the right password', async () => {
    const ok = await verifyPassword(stored, PASSWORD);

    expect(ok).toBe(true);
  });

  it.each(['correct horse battery stapl', 'Correct horse battery staple', `${PASSWORD} `, ''])('is false for "%s"', async (attempt) => {
    const ok = await verifyPassword(stored, attempt);

    expect(ok).toBe(false);
  });

  it('is false for a malformed stored hash, without throwing', async () => {
    const ok = await verifyPassword('$argon2id$garbage', PASSWORD);

    expect(ok).toBe(false);
  });

  it('is false for an unknown user (no stored hash)', async () => {
    const ok = await verifyPassword(undefined, PASSWORD);

    expect(ok).toBe(false);
  });

  it('still runs a full verification for an unknown user, so timing does not tell users apart', async () => {
    await verifyPassword(undefined, PASSWORD); // builds the dummy hash once

    const known = await fastestOf(3, () => verifyPassword(stored, 'wrong password'));
    const unknown = await fastestOf(3, () => verifyPassword(undefined, 'wrong password'));

    // An argon2id check at these parameters takes milliseconds; skipping it takes microseconds.
    expect(unknown).toBeGreaterThan(known / 4);
  });
});

describe('NFKC (NIST SP 800-63B §5.1.1.2)', () => {
  it('full-width letters and a ligature verify against their ASCII form, and the reverse', async () => {
    const [typedWide, typedAscii] = await Promise.all([hashPassword('ｐａｓｓｗｏｒｄ ﬁve'), hashPassword('password five')]);

    const [wideThenAscii, asciiThenWide] = await Promise.all([
      verifyPassword(typedWide, 'password five'),
      verifyPassword(typedAscii, 'ｐａｓｓｗｏｒｄ ﬁve'),
    ]);

    expect([wideThenAscii, asciiThenWide]).toEqual([true, true]);
  });

  it('composed and decomposed accents are the same password', async () => {
    const stored = await hashPassword('caf\u00e9 au lait');

    const matches = await verifyPassword(stored, 'cafe\u0301 au lait');

    expect(matches).toBe(true);
  });
});

describe('needsRehash', () => {
  it('is false for a hash made with the current parameters', async () => {
    const stored = await hashPassword(PASSWORD);

    const stale = needsRehash(stored);

    expect(stale).toBe(false);
  });

  it.each([
    ['a smaller memory cost', { memoryCost: 8192, timeCost: 2, parallelism: 1 }],
    ['a larger memory cost', { memoryCost: 47104, timeCost: 1, parallelism: 1 }],
    ['another time cost', { memoryCost: 19456, timeCost: 3, parallelism: 1 }],
    ['another parallelism', { memoryCost: 19456, timeCost: 2, parallelism: 2 }],
    ['argon2i', { memoryCost: 19456, timeCost: 2, parallelism: 1, algorithm: 1 as const }],
  ])('is true for a hash made with %s', async (_what, options) => {
    const stored = await hash(PASSWORD, options);

    const stale = needsRehash(stored);

    expect(stale).toBe(true);
  });

  it('is true for something that is not a PHC string', () => {
    const stale = needsRehash('$2b$10$abcdefghijklmnopqrstuv');

    expect(stale).toBe(true);
  });
});

describe('validateNewPassword', () => {
  it('accepts 8 characters', () => {
    const normalized = validateNewPassword('k7#vQ2!x');

    expect(normalized).toBe('k7#vQ2!x');
  });

  it('accepts 256 characters', () => {
    const normalized = validateNewPassword('a'.repeat(256));

    expect(normalized).toHaveLength(256);
  });

  it.each([
    ['7 characters', '1234567'],
    ['257 characters', 'a'.repeat(257)],
    ['an empty string', ''],
  ])('rejects %s with invalid_request', async (_what, value) => {
    await expect(normalize(value)).rejects.toMatchObject({ name: 'AuthError', code: 'invalid_request', status: 400 });
  });

  it.each([
    ['a number', 12345678],
    ['null', null],
    ['undefined', undefined],
    ['an array', ['12345678']],
  ])('rejects %s with invalid_request', async (_what, value) => {
    await expect(normalize(value)).rejects.toMatchObject({ name: 'AuthError', code: 'invalid_request', status: 400 });
  });

  it('returns the password as typed: hashing and verifying normalize it', () => {
    const typed = validateNewPassword('ｐａｓｓｗｏｒｄ ﬁve');

    expect(typed).toBe('ｐａｓｓｗｏｒｄ ﬁve');
  });

  it('counts code points, not UTF-16 units: 8 emoji are 8 characters, 7 are too few', async () => {
    const eight = '😀'.repeat(8);

    const normalized = validateNewPassword(eight);

    expect(normalized).toBe(eight);
    await expect(normalize('😀'.repeat(7))).rejects.toMatchObject({ code: 'invalid_request' });
  });

  it('counts the length as typed, before normalization: 4 ligatures "ﬃ" (12 characters in NFKC) are too few', async () => {
    const seven = 'ﬃﬃﬃﬃﬃﬃﬃ';

    await expect(normalize(seven)).rejects.toMatchObject({ code: 'invalid_request' });
    expect(validateNewPassword(`${seven}x`)).toBe(`${seven}x`);
  });

  it('allows 256 typed characters that NFKC expands far beyond 256 (U+FDFA is 18 characters in NFKC)', () => {
    const typed = '\uFDFA'.repeat(256);

    const accepted = validateNewPassword(typed);

    expect(accepted).toBe(typed);
    expect(typed.normalize('NFKC').length).toBe(256 * 18);
  });

  it.each(['password', 'Password1', '12345678', 'qwerty123', 'ＰＡＳＳＷＯＲＤ'])('refuses the common password %j (NIST SP 800-63B)', async (value) => {
    await expect(normalize(value)).rejects.toMatchObject({ code: 'invalid_request', message: expect.stringContaining('common') });
  });
});
