import fc from 'fast-check';
import { EMAIL_MAX_LENGTH, normalizeEmail } from '../../lib/email';
import { AuthError } from '../../lib/errors';

const refusal = (value: unknown) => {
  try {
    normalizeEmail(value);
  } catch (error) {
    return error;
  }
  return undefined;
};

describe('normalizeEmail', () => {
  it.each([
    ['ada@example.com', 'ada@example.com'],
    ['  Ada.Lovelace+news@Example.COM ', 'ada.lovelace+news@example.com'],
    ["o'brien@mail.example.org", "o'brien@mail.example.org"],
    ['ada@bücher.example', 'ada@xn--bcher-kva.example'],
    ['ada@ＥＸＡＭＰＬＥ.com', 'ada@example.com'], // full-width domains map to ASCII (UTS #46)
  ])('keeps %j as %j', (input, stored) => {
    expect(normalizeEmail(input)).toBe(stored);
  });

  it('gives case variants of one address one stored form', () => {
    expect(new Set(['ADA@EXAMPLE.COM', 'ada@example.com', 'Ada@Example.Com'].map((address) => normalizeEmail(address))).size).toBe(1);
  });

  it.each([
    ['no @', 'ada.example.com'],
    ['nothing before the @', '@example.com'],
    ['nothing after the @', 'ada@'],
    ['two @', 'ada@b@example.com'],
    ['a single-label domain', 'ada@localhost'],
    ['an IP literal', 'ada@[127.0.0.1]'],
    ['an all-digit top level', 'ada@10.0.0.1'],
    ['a quoted local part', '"ada lovelace"@example.com'],
    ['a space inside', 'ada lovelace@example.com'],
    ['a leading dot', '.ada@example.com'],
    ['two dots', 'ada..l@example.com'],
    ['a label starting with a hyphen', 'ada@-example.com'],
    ['a header injection', 'ada@example.com\r\nBcc: eve@example.com'],
    ['a NUL', 'ada\u0000@example.com'],
    ['a non-ASCII local part', 'adä@example.com'],
    ['a 65-character local part', `${'a'.repeat(65)}@example.com`],
    ['an address over 254 characters', `ada@${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(63)}.com`],
    ['a megabyte', `${'a'.repeat(1 << 20)}@example.com`],
    ['a number', 42],
    ['null', null],
    ['an object', { toString: () => 'ada@example.com' }],
  ])('refuses %s with 400 invalid_request', (_case, value) => {
    const error = refusal(value);

    expect(error).toBeInstanceOf(AuthError);
    expect(error).toMatchObject({ code: 'invalid_request', status: 400 });
  });

  it('never throws anything but the contract error, and what it keeps is short, lower case and has one @', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 300 }), fc.emailAddress()), (value) => {
        let stored: string | undefined;
        try {
          stored = normalizeEmail(value);
        } catch (error) {
          expect(error).toBeInstanceOf(AuthError);
          return;
        }
        expect(stored.length).toBeLessThanOrEqual(EMAIL_MAX_LENGTH);
        expect(stored).toBe(stored.toLowerCase());
        expect(stored.split('@')).toHaveLength(2);
        expect(stored).not.toMatch(/[\s\u0000-\u001f]/);
      }),
      { numRuns: 2000 },
    );
  });
});
