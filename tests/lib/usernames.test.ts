import { performance } from 'node:perf_hooks';
import fc from 'fast-check';
import { AuthError } from '../../lib/errors';
import { prepareUsername } from '../../lib/usernames';

/** The rule existing accounts were keyed by (lib/users.ts before this profile), kept here to prove compatibility. */
function nfkcRule(value: string): { displayName: string; key: string } | undefined {
  const displayName = value.normalize('NFKC').trim();
  const length = [...displayName].length;
  if (length < 3 || length > 64 || !/^[\p{L}\p{M}\p{N}._@+-]+$/u.test(displayName)) return undefined;
  return { displayName, key: displayName.toLowerCase().normalize('NFKC') };
}

/** What preparing a value threw, or undefined if it prepared: for properties, which look at every outcome. */
function thrownBy(value: unknown): unknown {
  try {
    prepareUsername(value);
    return undefined;
  } catch (error) {
    return error;
  }
}

const refusal = (message: RegExp) => expect.objectContaining({ name: 'AuthError', code: 'invalid_request', status: 400, message: expect.stringMatching(message) });

const SHAPE = /^"username" must be 3 to 64 letters, digits or \. _ - @ \+ characters\.$/;
const INVISIBLE = /contains an invisible character/;
const STYLIZED = /contains a stylized character/;
const SCRIPTS = /mixes scripts/;
const DIGITS = /mixes digits from different number systems/;
const BIDI = /right-to-left text that would display ambiguously/;

describe('prepareUsername: names it welcomes', () => {
  it.each([
    ['plain ASCII', 'alice', 'alice', 'alice'],
    ['ASCII with separators', 'bob.smith', 'bob.smith', 'bob.smith'],
    ['an email-like name', 'carol+test@example.com', 'carol+test@example.com', 'carol+test@example.com'],
    ['underscore and hyphen', 'dave_o-neil', 'dave_o-neil', 'dave_o-neil'],
    ['leading and trailing spaces, trimmed', '  alice ', 'alice', 'alice'],
    ['Latin with accents', 'José', 'José', 'josé'],
    ['Latin, decomposed (NFD) input', 'Zoe\u0308', 'Zoë', 'zoë'],
    ['upper case Latin', 'ÉLODIE', 'ÉLODIE', 'élodie'],
    ['Turkish dotted capital I', 'İstanbul', 'İstanbul', 'i\u0307stanbul'],
    ['German sharp s', 'Straße', 'Straße', 'straße'],
    ['fullwidth Latin, width-mapped', 'Ａｌｉｃｅ', 'Alice', 'alice'],
    ['fullwidth digits, width-mapped', 'ｕｓｅｒ１２', 'user12', 'user12'],
    ['halfwidth katakana with voiced marks, width-mapped and composed', 'ｶﾞｷﾞｸﾞ', 'ガギグ', 'ガギグ'],
    ['Korean (Hangul)', '김철수', '김철수', '김철수'],
    ['Korean (Hangul with Hanja)', '김哲洙', '김哲洙', '김哲洙'],
    ['Korean with Latin', 'kim철수', 'kim철수', 'kim철수'],
    ['Japanese (Han and Hiragana)', '山田たろう', '山田たろう', '山田たろう'],
    ['Japanese (Katakana, prolonged sound mark) with Latin', 'ヤマダー_taro', 'ヤマダー_taro', 'ヤマダー_taro'],
    ['Chinese (Han)', '王小明', '王小明', '王小明'],
    ['Han with Bopomofo and Latin', '王ㄅㄆx', '王ㄅㄆx', '王ㄅㄆx'],
    ['Cyrillic', 'Иван', 'Иван', 'иван'],
    ['Greek', 'Ελένη', 'Ελένη', 'ελένη'],
    ['Greek, polytonic', 'Ὀδυσσεύς', 'Ὀδυσσεύς', 'ὀδυσσεύς'],
    ['Arabic', 'محمد', 'محمد', 'محمد'],
    ['Arabic ending with an ASCII digit', 'محمد_1', 'محمد_1', 'محمد_1'],
    ['Arabic with Arabic-Indic digits', 'محمد١٢٣', 'محمد١٢٣', 'محمد١٢٣'],
    ['Hebrew', 'דוד', 'דוד', 'דוד'],
    ['Hebrew with points', 'שָׁלוֹם', 'שָׁלוֹם', 'שָׁלוֹם'],
    ['Devanagari', 'देवनागरी', 'देवनागरी', 'देवनागरी'],
    ['Thai', 'สมชาย', 'สมชาย', 'สมชาย'],
    ['64 code points', 'a'.repeat(64), 'a'.repeat(64), 'a'.repeat(64)],
    ['3 astral code points', '𠀀𠀁𠀂', '𠀀𠀁𠀂', '𠀀𠀁𠀂'],
  ])('%s', (_label, input, displayName, key) => {
    const prepared = prepareUsername(input);

    expect(prepared).toEqual({ displayName, key });
  });

  it.each([
    ['case', ['alice', 'Alice', 'ALICE', 'aLiCe']],
    ['width', ['alice', 'ａｌｉｃｅ', 'ＡＬＩＣＥ', 'Ａlice']],
    ['Greek case, final sigma included', ['ΟΔΥΣΣΕΥΣ', 'οδυσσευς', 'Οδυσσευς']],
    ['Cyrillic case', ['ИВАН', 'иван', 'Иван']],
    ['normalization form', ['Zoë', 'Zoe\u0308', 'ZOË', 'ZOE\u0308']],
  ])('gives one key to names that differ only in %s', (_label, names) => {
    const keys = names.map((name) => prepareUsername(name).key);

    expect(new Set(keys).size).toBe(1);
  });

  it('keeps the case of the display form while the key is lower case', () => {
    const prepared = prepareUsername('McDonald');

    expect(prepared).toEqual({ displayName: 'McDonald', key: 'mcdonald' });
  });
});

describe('prepareUsername: what it refuses', () => {
  it.each([
    // UTS #39 mixed scripts (Highly Restrictive)
    ['Latin with a Cyrillic а (pаypal)', 'p\u0430ypal', SCRIPTS],
    ['Latin with a Greek omicron (gοogle)', 'g\u03BFogle', SCRIPTS],
    ['Cyrillic with a Latin o', 'Ив\u006Fн', SCRIPTS],
    ['Latin with Arabic', 'aliمحمد', SCRIPTS],
    ['Latin with Arabic-Indic digits', 'user١٢٣', SCRIPTS],
    ['Korean with Japanese kana', '김たろう', SCRIPTS],
    // invisible and default-ignorable code points
    ['ZERO WIDTH JOINER', 'ali\u200Dce', INVISIBLE],
    ['ZERO WIDTH NON-JOINER', 'ali\u200Cce', INVISIBLE],
    ['ZERO WIDTH SPACE', 'ali\u200Bce', INVISIBLE],
    ['SOFT HYPHEN U+00AD', 'ali\u00ADce', INVISIBLE],
    ['WORD JOINER U+2060', 'ali\u2060ce', INVISIBLE],
    ['LEFT-TO-RIGHT MARK U+200E', 'alice\u200E', INVISIBLE],
    ['RIGHT-TO-LEFT OVERRIDE U+202E', '\u202Eecila', INVISIBLE],
    ['ARABIC LETTER MARK U+061C', 'محمد\u061C', INVISIBLE],
    ['VARIATION SELECTOR-16 U+FE0F', 'alice\uFE0F', INVISIBLE],
    ['VARIATION SELECTOR-17 U+E0100', '山田\u{E0100}太郎', INVISIBLE],
    ['a tag character', 'alice\u{E0041}', INVISIBLE],
    ['HANGUL FILLER', '김\u3164철수', INVISIBLE],
    ['COMBINING GRAPHEME JOINER', 'ali\u034Fce', INVISIBLE],
    // compatibility characters: refused, not mapped
    ['the ligature ﬁ', '\uFB01sh-and-chips', STYLIZED],
    ['a superscript digit', 'alice\u00B2', STYLIZED],
    ['a circled letter', '\u24D0lice', STYLIZED],
    ['a mathematical bold letter', '\u{1D41A}lice', STYLIZED],
    ['a titlecase digraph ǅ', '\u01C5ana', STYLIZED],
    ['MICRO SIGN', '\u00B5user', STYLIZED],
    ['halfwidth Hangul (a compatibility jamo)', 'ﾡﾢﾣ', STYLIZED],
    // combining marks
    ['a combining mark at the start', '\u0301alice', /must not start with a combining mark/],
    ['the same mark twice in a row', 'a\u0301\u0301lice', /stacks too many combining marks/],
    ['five marks in a row', 'a\u0300\u0301\u0302\u0303\u0304lice', /stacks too many combining marks/],
    // UTS #39 §5.3 mixed number systems
    ['ASCII and Arabic-Indic digits (user1٢)', 'user1\u0662', DIGITS],
    ['ASCII and Devanagari digits', 'देव1\u0967', DIGITS],
    ['Arabic-Indic and Extended Arabic-Indic digits', 'محمد\u0661\u06F2', DIGITS],
    // RFC 5893 Bidi rule
    ['right-to-left name starting with a digit', '1שלום', BIDI],
    ['right-to-left name ending with a dot', 'שלום.', BIDI],
    ['right-to-left name starting with an underscore', '_محمد', BIDI],
    ['right-to-left name of Arabic-Indic digits only', '٠١٢', BIDI],
    // length, spaces, controls, symbols, emoji, unassigned, surrogates
    ['65 code points', 'a'.repeat(65), SHAPE],
    ['a name whose key outgrows 64 code points (İ lower-cases to two)', 'İ'.repeat(33), SHAPE],
    ['2 code points', 'ab', SHAPE],
    ['only spaces', '     ', SHAPE],
    ['empty', '', SHAPE],
    ['a space inside', 'ali ce', SHAPE],
    ['an ideographic space inside', 'ali\u3000ce', SHAPE],
    ['a NUL', 'ali\u0000ce', SHAPE],
    ['a newline', 'ali\nce', SHAPE],
    ['emoji', '😀😀😀', SHAPE],
    ['a symbol', 'ali☃ce', SHAPE],
    ['other ASCII punctuation', 'ali/ce', SHAPE],
    ['an apostrophe', "o'neil", SHAPE],
    ['a KATAKANA MIDDLE DOT', 'ジョン・スミス', SHAPE],
    ['ARABIC TATWEEL (RFC 5892 exception)', 'محـمد', SHAPE],
    ['conjoining (old) Hangul jamo', '\u1100\u1100\u1100', SHAPE],
    ['an unassigned code point', 'ali\u0378ce', SHAPE],
    ['a noncharacter', 'ali\uFDD0ce', SHAPE],
    ['a lone high surrogate', 'ali\uD800ce', SHAPE],
    ['a lone low surrogate', 'ali\uDC00ce', SHAPE],
    ['a private-use character', 'ali\uE000ce', SHAPE],
    ['a Roman numeral (Nl)', 'Ⅻ\u216Bx', STYLIZED],
  ])('%s', (_label, input, message) => {
    const prepare = () => prepareUsername(input);

    expect(prepare).toThrow(refusal(message));
  });

  it.each([
    ['p\u0430ypal'], ['ali\u200Dce'], ['\uFB01sh-and-chips'], ['user1\u0662'], ['1שלום'], ['ali ce'], ['a'.repeat(65)],
  ])('never echoes the name it refuses (%#)', (input) => {
    const prepare = () => prepareUsername(input);

    expect(prepare).toThrow(expect.objectContaining({ message: expect.not.stringContaining(input) }));
  });

  it.each([[42], [null], [undefined], [{ username: 'alice' }], [['alice']], [Buffer.from('alice')], [true]])(
    'refuses %p, which is not a string',
    (input) => {
      const prepare = () => prepareUsername(input);

      expect(prepare).toThrow(refusal(/^"username" must be a string\.$/));
    },
  );

  it.each([
    ['100 KB of letters', 'a'.repeat(100_000)],
    ['100 KB of spaces around a name', `${' '.repeat(50_000)}alice${' '.repeat(50_000)}`],
    ['100 KB of combining marks', '\u0301'.repeat(100_000)],
    ['100 KB of mixed scripts', 'p\u0430'.repeat(50_000)],
  ])('refuses %s quickly', (_label, input) => {
    const started = performance.now();

    const prepare = () => prepareUsername(input);

    expect(prepare).toThrow(refusal(SHAPE));
    expect(performance.now() - started).toBeLessThan(50);
  });
});

// Names drawn from one writing system at a time (plus what may join it), so that many of them prepare.
const POOLS = [
  [...'abcxyzABCXYZ0189._-@+', 'é', 'E\u0301', 'ß', 'ẞ', 'İ', 'ı', 'ǆ', 'Å', '\u212B', '\u212A', 'ａ', 'Ｚ', '１', ' '],
  [...'αβγδεζΑΒΓΔΕΖΣσςΰΐ', '\u0301', 'ά', '\u0345', 'ῼ'],
  [...'абвгдеёжАБВГДЁЖӁ', '\u0306', '\u0418'],
  [...'가나다라한국어漢字ㄱabc', '\u1100', '\u1161', '\u11A8', 'ﾡ'],
  [...'やまだヤマダー山田abcｶｷﾞﾞｰ', '\u3099', '\u309A'],
  [...'محمدعلي٠١٢۳_', '\u064E', '\u0651', 'ـ'],
  [...'שלוםדוד12.', '\u05B8', '\u05BC'],
  [...'देवनागरी१२', '\u093C', '\u094D'],
];
const hopefulName = fc.constantFrom(...POOLS).chain((pool) => fc.string({ unit: fc.constantFrom(...pool), minLength: 1, maxLength: 70 }));
const preparedName = hopefulName.filter((name) => thrownBy(name) === undefined);
/** Anything a client may send: any UTF-16 text (lone surrogates too), JSON values, and near-miss names. */
const anyValue = fc.oneof(
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((unit) => String.fromCharCode(unit)), maxLength: 80 }),
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.anything(),
  hopefulName,
);

describe('prepareUsername: properties', () => {
  it('throws nothing but an invalid_request AuthError', () => {
    fc.assert(
      fc.property(anyValue, (value) => {
        const error = thrownBy(value);
        return error === undefined || (error instanceof AuthError && error.code === 'invalid_request' && error.status === 400);
      }),
      { numRuns: 2000 },
    );
  });

  it('is idempotent on its own key', () => {
    fc.assert(
      fc.property(preparedName, (name) => {
        const { key } = prepareUsername(name);
        expect(prepareUsername(key)).toEqual({ displayName: key, key });
      }),
      { numRuns: 1000 },
    );
  });

  it('accepts only names the NFKC rule accepted, with the same display form and key', () => {
    fc.assert(
      fc.property(preparedName, (name) => {
        expect(nfkcRule(name)).toEqual(prepareUsername(name));
      }),
      { numRuns: 1000 },
    );
  });
});
