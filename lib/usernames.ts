import { AuthError } from './errors';

/**
 * Usernames as identifiers: the UsernameCaseMapped profile of the PRECIS IdentifierClass (RFC 8265, RFC 8264),
 * narrowed to letters, digits and today's separators, plus the Unicode UTS #39 checks against look-alike and
 * invisible tricks. Every Unicode property comes from Node's own regular expressions (its ICU data), so no
 * code point table ships here: only the names of scripts and a few code points the RFCs list one by one.
 */

export const USERNAME_MIN_LENGTH = 3;
export const USERNAME_MAX_LENGTH = 64;

/**
 * Longer raw input is refused before any normalization, so that hostile sizes cost nothing. Far above any
 * input that prepares to 64 code points (at most 2 UTF-16 units each, from at most 4 before NFC composes).
 */
const MAX_RAW_LENGTH = 1024;

const SHAPE = `"username" must be ${USERNAME_MIN_LENGTH} to ${USERNAME_MAX_LENGTH} letters, digits or . _ - @ + characters.`;
const MESSAGES = {
  notString: '"username" must be a string.',
  shape: SHAPE,
  invisible: '"username" contains an invisible character (such as a zero-width space, a direction mark or a variation selector); remove it.',
  compatibility: '"username" contains a stylized character (a ligature, a superscript, a circled or mathematical letter); type the plain letter or digit instead.',
  markFirst: '"username" must not start with a combining mark.',
  markRun: '"username" stacks too many combining marks on one letter.',
  digits: '"username" mixes digits from different number systems; use one kind of digits.',
  scripts: '"username" mixes scripts (such as Latin with Cyrillic or Greek look-alikes); use the letters of one writing system (Latin may go with Chinese, Japanese or Korean).',
  bidi: '"username" has right-to-left text that would display ambiguously: start it with a letter, end it with a letter or digit, and mix in no left-to-right letters.',
} as const;

const refuse = (message: string) => new AuthError('invalid_request', message);

/**
 * RFC 8264 §9: default-ignorable code points are disallowed, and UTS #39 refuses what cannot be seen. Format
 * characters (ZWJ, ZWNJ, soft hyphen, word joiner, bidi controls) and variation selectors (Mn, so LetterDigits
 * alone would admit them) are named explicitly, though Unicode also lists them as default-ignorable.
 */
const INVISIBLE = /[\p{Default_Ignorable_Code_Point}\p{Cf}\p{Variation_Selector}\p{Join_Control}\p{Bidi_Control}]/u;

/**
 * The IdentifierClass's LetterDigits (Ll Lu Lo Lm Nd Mn Mc) and, of ASCII punctuation, only . _ - @ +.
 * Cn (unassigned and noncharacters), Cs (lone surrogates), Cc, spaces, symbols, Lt, Nl and No are all outside.
 * Narrower than the IdentifierClass, as RFC 8264 lets an application be: the code points RFC 5892 makes valid
 * by exception or in context (U+00B7, U+0375, U+05F3–05F4, U+06FD–06FE, U+0F0B, U+3007, U+30FB) are refused too,
 * so that every name accepted here is also accepted, with the same key, by the older NFKC rule.
 * The lookahead removes what RFC 8264 disallows although its category is LetterDigits: the RFC 5892 exceptions
 * U+0640 ARABIC TATWEEL, U+07FA NKO LAJANYALAN, U+302E–302F, U+3031–3035 and U+303B, and the conjoining
 * (old) Hangul jamo, which remain only when NFC could not compose them into a syllable.
 */
const PVALID = /^(?:(?![\u0640\u07FA\u302E\u302F\u3031-\u3035\u303B\u1100-\u11FF\uA960-\uA97F\uD7B0-\uD7FF])[\p{Ll}\p{Lu}\p{Lo}\p{Lm}\p{Nd}\p{Mn}\p{Mc}._@+-])+$/u;

/**
 * RFC 8264 §9.8 width mapping: fullwidth and halfwidth forms to their decomposition. For these code points NFKC
 * is exactly that one step, except U+FFE3 (NFKC goes on to a space and a mark: refused either way) and halfwidth
 * Hangul (U+FFA0–FFDC), left unmapped: its decomposition is a compatibility jamo, itself refused, where NFKC
 * would go on to conjoining jamo that NFC could compose into a syllable.
 */
const WIDTH_FORMS = /[\u3000\uFF01-\uFF9F\uFFE0-\uFFEE]/gu;
const mapWidth = (value: string) => value.replace(WIDTH_FORMS, (form) => form.normalize('NFKC'));

/** ASCII-only names are one script, one digit system and left-to-right: the Unicode checks have nothing to find. */
const ASCII = /^[\x21-\x7E]*$/;
const MARK = /^\p{M}/u;
const NONSPACING = /^[\p{Mn}\p{Me}]$/u;
const DECIMAL_DIGIT = /^\p{Nd}$/u;

/**
 * Prepares a username for registration: its display form (width-mapped, NFC, case kept) and its key (the
 * RFC 8265 enforcement output: width-mapped, lower case, NFC). Names that differ only in case or width share a key.
 */
export function prepareUsername(value: unknown): { displayName: string; key: string } {
  if (typeof value !== 'string') throw refuse(MESSAGES.notString);
  if (value.length > MAX_RAW_LENGTH) throw refuse(MESSAGES.shape);
  const displayName = mapWidth(value.trim()).normalize('NFC');
  // Lower-casing can denormalize (e.g. U+0130 gains a combining dot above), so normalize once more.
  const key = displayName.toLowerCase().normalize('NFC');
  checkCodePoints(displayName); // RFC 8265 preparation: the name as given
  checkCodePoints(key); // enforcement: its output
  if (ASCII.test(displayName)) return { displayName, key };

  if (MARK.test(displayName)) throw refuse(MESSAGES.markFirst);
  if (stacksMarks(displayName)) throw refuse(MESSAGES.markRun);
  if (mixesDigits(displayName)) throw refuse(MESSAGES.digits);
  if (!isHighlyRestrictive(displayName)) throw refuse(MESSAGES.scripts);
  if (!satisfiesBidiRule(key)) throw refuse(MESSAGES.bidi);
  return { displayName, key };
}

function checkCodePoints(form: string): void {
  if (INVISIBLE.test(form)) throw refuse(MESSAGES.invisible);
  const codePoints = [...form];
  // RFC 8264 §9.17 HasCompat: the IdentifierClass refuses them rather than mapping them (width is mapped above).
  if (codePoints.some((codePoint) => codePoint.normalize('NFKC') !== codePoint)) throw refuse(MESSAGES.compatibility);
  if (codePoints.length < USERNAME_MIN_LENGTH || codePoints.length > USERNAME_MAX_LENGTH || !PVALID.test(form)) {
    throw refuse(MESSAGES.shape);
  }
}

/** UTS #39 §5.4: in NFD, no nonspacing mark twice in a row and no more than four in a row. */
function stacksMarks(name: string): boolean {
  let run = 0;
  let previous = '';
  for (const codePoint of name.normalize('NFD')) {
    if (!NONSPACING.test(codePoint)) run = 0;
    else if (++run > 4 || codePoint === previous) return true;
    previous = codePoint;
  }
  return false;
}

/**
 * UTS #39 §5.3: every decimal digit belongs to one system. Unicode encodes each system's digits 0 to 9 in one
 * contiguous run, so a digit's zero is found by walking back over Nd code points, in steps of ten.
 */
function mixesDigits(name: string): boolean {
  let zero: number | undefined;
  for (const character of name) {
    if (!DECIMAL_DIGIT.test(character)) continue;
    const codePoint = character.codePointAt(0)!;
    let first = codePoint;
    while (first > 0 && DECIMAL_DIGIT.test(String.fromCodePoint(first - 1))) first -= 1;
    const itsZero = first + Math.floor((codePoint - first) / 10) * 10;
    if (zero !== undefined && zero !== itsZero) return true;
    zero = itsZero;
  }
  return false;
}

/**
 * Builds a regular expression from one piece per script, leaving out any script the running ICU does not know
 * (Node 20.20 has Unicode 17; an older runtime may lack the newest scripts, whose letters it then calls
 * unassigned, so they are refused earlier anyway). Trying each name costs more, so it only happens on failure.
 */
function perScript(scripts: readonly string[], build: (known: readonly string[]) => string): RegExp {
  try {
    return new RegExp(build(scripts), 'u');
  } catch {
    return new RegExp(build(scripts.filter(isKnownScript)), 'u');
  }
}

function isKnownScript(script: string): boolean {
  try {
    new RegExp(`\\p{scx=${script}}`, 'u');
    return true;
  } catch {
    return false;
  }
}

/** Every script's name that Unicode 17 knows, except Common, Inherited and Unknown. */
const SCRIPTS = `Adlam Ahom Anatolian_Hieroglyphs Arabic Armenian Avestan Balinese Bamum Bassa_Vah Batak Bengali Beria_Erfe
  Bhaiksuki Bopomofo Brahmi Braille Buginese Buhid Canadian_Aboriginal Carian Caucasian_Albanian Chakma Cham
  Cherokee Chorasmian Coptic Cuneiform Cypriot Cypro_Minoan Cyrillic Deseret Devanagari Dives_Akuru Dogra
  Duployan Egyptian_Hieroglyphs Elbasan Elymaic Ethiopic Garay Georgian Glagolitic Gothic Grantha Greek
  Gujarati Gunjala_Gondi Gurmukhi Gurung_Khema Han Hangul Hanifi_Rohingya Hanunoo Hatran Hebrew Hiragana
  Imperial_Aramaic Inscriptional_Pahlavi Inscriptional_Parthian Javanese Kaithi Kannada Katakana Kawi Kayah_Li
  Kharoshthi Khitan_Small_Script Khmer Khojki Khudawadi Kirat_Rai Lao Latin Lepcha Limbu Linear_A Linear_B Lisu
  Lycian Lydian Mahajani Makasar Malayalam Mandaic Manichaean Marchen Masaram_Gondi Medefaidrin Meetei_Mayek
  Mende_Kikakui Meroitic_Cursive Meroitic_Hieroglyphs Miao Modi Mongolian Mro Multani Myanmar Nabataean
  Nag_Mundari Nandinagari New_Tai_Lue Newa Nko Nushu Nyiakeng_Puachue_Hmong Ogham Ol_Chiki Ol_Onal
  Old_Hungarian Old_Italic Old_North_Arabian Old_Permic Old_Persian Old_Sogdian Old_South_Arabian Old_Turkic
  Old_Uyghur Oriya Osage Osmanya Pahawh_Hmong Palmyrene Pau_Cin_Hau Phags_Pa Phoenician Psalter_Pahlavi Rejang
  Runic Samaritan Saurashtra Sharada Shavian Siddham Sidetic SignWriting Sinhala Sogdian Sora_Sompeng Soyombo
  Sundanese Sunuwar Syloti_Nagri Syriac Tagalog Tagbanwa Tai_Le Tai_Tham Tai_Viet Tai_Yo Takri Tamil Tangsa
  Tangut Telugu Thaana Thai Tibetan Tifinagh Tirhuta Todhri Tolong_Siki Toto Tulu_Tigalari Ugaritic Vai
  Vithkuqi Wancho Warang_Citi Yezidi Yi Zanabazar_Square`.split(/\s+/);

/** Scripts tried first on the whole name, before the costlier search through every script. */
const LIKELY_SCRIPTS = ['Cyrillic', 'Greek', 'Arabic', 'Hebrew', 'Devanagari', 'Thai'];

/**
 * UTS #39 §5.1 augments a character's script set: Han counts as Japanese, Korean and Han-with-Bopomofo too,
 * kana as Japanese, Hangul as Korean, Bopomofo as Han-with-Bopomofo. Those three then act as scripts.
 */
const AUGMENTED: Record<string, string> = {
  Jpan: '\\p{scx=Han}\\p{scx=Hiragana}\\p{scx=Katakana}',
  Kore: '\\p{scx=Han}\\p{scx=Hangul}',
  Hanb: '\\p{scx=Han}\\p{scx=Bopomofo}',
};
const letters = (script: string) => AUGMENTED[script] ?? `\\p{scx=${script}}`;
const COMMON_OR_INHERITED = /^[\p{scx=Common}\p{scx=Inherited}]$/u;

const covering = new Map<string, RegExp>();
/** Whether a set of scripts covers a name: each character is in one of them, Common and Inherited in all. */
function covers(scripts: readonly string[], name: string): boolean {
  const id = scripts.join('+');
  let pattern = covering.get(id);
  if (pattern === undefined) {
    pattern = perScript(scripts, (known) => `^[\\p{scx=Common}\\p{scx=Inherited}${known.map(letters).join('')}]*$`);
    covering.set(id, pattern);
  }
  return pattern.test(name);
}

let scriptSets: RegExp | undefined;
/** A character's Script_Extensions, in one pass: one optional, capturing lookahead per script. */
function scriptsOf(character: string): string[] {
  scriptSets ??= perScript(SCRIPTS, (known) => `^${known.map((script) => `(?=(?<${script}>\\p{scx=${script}})?)`).join('')}`);
  const found = scriptSets.exec(character)?.groups ?? {};
  return Object.keys(found).filter((script) => found[script] !== undefined);
}

/**
 * UTS #39 §5.2 "Highly Restrictive": one script alone (the resolved script set of §5.1, with Script_Extensions,
 * is not empty), or Latin with Japanese (Han, Hiragana, Katakana), with Han and Bopomofo, or with Korean. A
 * single script must contain the first character that is neither Common nor Inherited, so only its scripts
 * are candidates; finding them compiles every script's set once per process (tens of milliseconds), which
 * Latin, Chinese, Japanese, Korean and the likely scripts never need.
 */
function isHighlyRestrictive(name: string): boolean {
  if (['Jpan', 'Hanb', 'Kore'].some((asian) => covers(['Latin', asian], name))) return true;
  if (LIKELY_SCRIPTS.some((script) => covers([script], name))) return true;
  const first = [...name].find((character) => !COMMON_OR_INHERITED.test(character));
  return first !== undefined && scriptsOf(first).some((script) => covers([script], name));
}

type BidiClass = 'L' | 'R' | 'EN' | 'AN' | 'ES' | 'CS' | 'ON' | 'NSM';

/** Scripts whose letters are right-to-left (Bidi_Class R or AL); built on first use, as most names need none. */
let rightToLeftScripts: RegExp | undefined;
const rightToLeft = () => (rightToLeftScripts ??= perScript(`Adlam Arabic Avestan Chorasmian Cypriot Elymaic Garay Hanifi_Rohingya Hatran
  Hebrew Imperial_Aramaic Inscriptional_Pahlavi Inscriptional_Parthian Kharoshthi Lydian Mandaic Manichaean
  Mende_Kikakui Meroitic_Cursive Meroitic_Hieroglyphs Nabataean Nko Old_Hungarian Old_North_Arabian Old_Sogdian
  Old_South_Arabian Old_Turkic Old_Uyghur Palmyrene Phoenician Psalter_Pahlavi Samaritan Sidetic Sogdian Syriac
  Thaana Yezidi`.split(/\s+/), (known) => `^[${known.map((script) => `\\p{sc=${script}}`).join('')}]$`));
/** The digits RFC 5893 tells apart: European (EN) and Arabic (AN); any other digit takes its script's direction. */
const EUROPEAN_NUMBER = /^[0-9\u06F0-\u06F9]$/u;
const ARABIC_NUMBER = /^[\u0660-\u0669\u{10D30}-\u{10D39}\u{10D40}-\u{10D49}]$/u;

/**
 * The Bidi_Class of a character the IdentifierClass allowed; JavaScript exposes no Bidi_Class, so it is derived:
 * letters, spacing marks and other digits take their script's direction, nonspacing marks are NSM. Checked
 * against Unicode 17's Bidi_Class for every allowed code point, two kinds differ: 25 modifier letters (U+02B9,
 * U+02C6–02CF…) are ON but count as L here, which only refuses them in right-to-left names; and five Kannada,
 * Zanabazar Square and Bhaiksuki marks are L but count as NSM, which only matters in a right-to-left name,
 * where their script is refused anyway.
 */
function bidiClass(character: string): BidiClass {
  switch (character) {
    case '.': return 'CS';
    case '-': case '+': return 'ES';
    case '_': case '@': return 'ON';
  }
  if (EUROPEAN_NUMBER.test(character)) return 'EN';
  if (ARABIC_NUMBER.test(character)) return 'AN';
  if (NONSPACING.test(character)) return 'NSM';
  return rightToLeft().test(character) ? 'R' : 'L';
}

/**
 * RFC 5893 §2, applied (RFC 8265 §3.3.2) only to names with a right-to-left character (R, AL or AN). Such a name
 * must start with a right-to-left letter (rules 1 and 5), hold no left-to-right letter (2), end with a
 * right-to-left letter or a digit before any marks (3), and not mix European and Arabic digits (4, which the
 * §5.3 digit check has already ensured).
 */
function satisfiesBidiRule(name: string): boolean {
  const classes = [...name].map(bidiClass);
  if (!classes.some((bidi) => bidi === 'R' || bidi === 'AN')) return true;
  const last = classes.findLast((bidi) => bidi !== 'NSM');
  return classes[0] === 'R'
    && !classes.includes('L')
    && (last === 'R' || last === 'EN' || last === 'AN')
    && !(classes.includes('EN') && classes.includes('AN'));
}
