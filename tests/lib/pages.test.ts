/**
 * The hosted sign-in pages (lib/pages.ts): the locale, the forms and field names the handlers read, that nothing
 * interpolated can become markup, the accessibility basics, and the headers that lock each page down.
 */
import { createHash } from 'node:crypto';
import { escapeHtml } from '../../lib/messages';
import {
  chooseLocale,
  htmlPage,
  renderConsent,
  renderError,
  renderForgot,
  renderForgotSent,
  renderLogin,
  renderLogoutConfirm,
  renderReset,
  renderSignedOut,
  renderSignup,
  type Locale,
  type LoginError,
  type RequestPage,
  type SignupError,
} from '../../lib/pages';

const LOCALES: Locale[] = ['en', 'ko'];
const QUERY = 'response_type=code&client_id=app&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcb&state=s%201';
const REQUEST = { response_type: 'code', client_id: 'app', redirect_uri: 'https://app.example.com/cb', state: 's 1' };
const HOSTILE = `"><script>alert(1)</script><a href='javascript:alert(1)' onmouseover="x">&amp;`;
const PLAIN = 'plain value';

const requestPage = (locale: Locale = 'en', overrides: Partial<RequestPage> = {}): RequestPage => ({
  locale,
  csrf: 'csrf-value-1',
  request: { ...REQUEST },
  query: QUERY,
  clientName: 'Example App',
  ...overrides,
});

/** Every page, in a representative state. */
const PAGES: Record<string, (locale: Locale) => string> = {
  login: (locale) => renderLogin(requestPage(locale)),
  'login with error': (locale) => renderLogin({ ...requestPage(locale), username: 'alice', error: 'invalid' }),
  signup: (locale) => renderSignup(requestPage(locale)),
  'signup with error': (locale) => renderSignup({ ...requestPage(locale), username: 'alice', error: 'weak_password', detail: 'Too common.' }),
  forgot: (locale) => renderForgot(requestPage(locale)),
  'forgot with error': (locale) => renderForgot({ ...requestPage(locale), error: 'throttled', retryAfter: 90 }),
  forgotSent: (locale) => renderForgotSent(requestPage(locale)),
  reset: (locale) => renderReset({ locale, csrf: 'csrf-value-1', token: 'reset-token' }),
  'reset with error': (locale) => renderReset({ locale, csrf: 'csrf-value-1', token: 'reset-token', error: 'weak_password' }),
  'reset done': (locale) => renderReset({ locale, csrf: 'csrf-value-1', token: 'reset-token', done: true }),
  consent: (locale) => renderConsent({ ...requestPage(locale), scopes: ['openid', 'profile', 'email', 'sessions', 'orders:read'] }),
  error: (locale) => renderError({ locale, title: 'bad_redirect_uri', description: 'redirect_uri is not registered.' }),
  logoutConfirm: (locale) => renderLogoutConfirm({ locale, csrf: 'csrf-value-1', fields: { client_id: 'app', state: 'x' } }),
  signedOut: (locale) => renderSignedOut({ locale }),
};
const PAGE_CASES = Object.keys(PAGES).flatMap((name) => LOCALES.map((locale) => [name, locale] as const));

// --- tiny HTML readers: the pages are ours and regular, so a regex is enough to read them back ---

const ENTITIES: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'" };
const decode = (text: string) => text.replace(/&(?:amp|lt|gt|quot|#39);/g, (entity) => ENTITIES[entity]!);

/** The attributes of every `<name …>` tag, in document order, decoded. */
function tags(html: string, name: string): Record<string, string>[] {
  return [...html.matchAll(new RegExp(`<${name}(\\s[^>]*)?>`, 'g'))].map((match) =>
    Object.fromEntries([...(match[1] ?? '').matchAll(/([a-z-]+)(?:="([^"]*)")?/g)].map(([, key, value]) => [key!, decode(value ?? '')])));
}
const visibleInputs = (html: string) => tags(html, 'input').filter((input) => input.type !== 'hidden');
const hiddenInputs = (html: string) => Object.fromEntries(tags(html, 'input').filter((input) => input.type === 'hidden').map((input) => [input.name!, input.value!]));
const hrefs = (html: string) => tags(html, 'a').map((a) => a.href!);
const styleBlocks = (html: string) => [...html.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((match) => match[1]!);
const textOf = (html: string, selector: RegExp) => decode(html.match(selector)?.[1]?.replace(/<[^>]*>/g, ' ') ?? '');
const alertText = (html: string) => textOf(html, /<div class="alert" role="alert"[^>]*>([\s\S]*?)<\/div>/);
/** The characters that make markup: equal for two renderings when no value escaped its text or attribute. */
const skeleton = (html: string) => html.replace(/[^<>"']/g, '');
const hangul = /[\uac00-\ud7a3]/;

function cspOf(response: { headers: Record<string, string> }): Map<string, string> {
  return new Map(response.headers['Content-Security-Policy']!.split(';').map((directive) => {
    const [name, ...values] = directive.trim().split(' ');
    return [name!, values.join(' ')];
  }));
}

describe('chooseLocale', () => {
  it.each([
    ['nothing', undefined, undefined, 'en'],
    ['ui_locales ko', 'ko', undefined, 'ko'],
    ['ui_locales: the first supported tag wins', 'fr-CA ko-KR en', undefined, 'ko'],
    ['ui_locales order, en before ko', 'en ko', 'ko', 'en'],
    ['ui_locales beats Accept-Language', 'ko', 'en', 'ko'],
    ['ui_locales with no supported tag falls back to Accept-Language', 'fr de', 'ko-KR', 'ko'],
    ['ui_locales case and tabs', 'fr\tKO-kr', undefined, 'ko'],
    ['ui_locales script subtag', 'ko-Kore-KR', undefined, 'ko'],
    ['en-US', undefined, 'en-US', 'en'],
    ['a browser\'s Korean list', undefined, 'ko-KR,ko;q=0.9,en-US;q=0.8,en;q=0.7', 'ko'],
    ['q-values beat order', undefined, 'en;q=0.5, ko;q=0.8', 'ko'],
    ['q-values beat order, the other way', undefined, 'ko;q=0.5, en-GB;q=0.9', 'en'],
    ['spaces around the weight', undefined, 'en ; q = 0.2 , ko ; q = 0.3', 'ko'],
    ['q=0 means not acceptable', undefined, 'en;q=0, ko;q=0.1', 'ko'],
    ['ties go to the first listed', undefined, 'ko;q=0.5, en;q=0.5', 'ko'],
    ['unknown languages are skipped', undefined, 'fr-FR, de;q=0.9, ko;q=0.1', 'ko'],
    ['only unknown languages', undefined, 'fr-FR, de;q=0.9, ja', 'en'],
    ['a wildcard', undefined, '*', 'en'],
    ['a malformed weight skips its range', undefined, 'ko;q=banana', 'en'],
    ['a weight above 1 skips its range', undefined, 'ko;q=2, en;q=0.1', 'en'],
    ['empty ranges', undefined, ',,, ;q=1, ko-KR;q=0.5,', 'ko'],
    ['a malformed tag', undefined, 'ko_KR, k o, <ko>', 'en'],
    ['empty strings', '', '', 'en'],
    ['100 KB of junk', 'x'.repeat(100_000), `${'a,'.repeat(50_000)}ko`, 'en'],
    ['a supported tag before 100 KB of junk', undefined, `ko,${'x;q=0.5,'.repeat(12_500)}`, 'ko'],
  ] as const)('%s', (_case, uiLocales, acceptLanguage, expected) => {
    expect(chooseLocale(uiLocales, acceptLanguage)).toBe(expected);
  });

  it('never throws on values that are not strings', () => {
    expect(chooseLocale(42 as unknown as string, { a: 1 } as unknown as string)).toBe('en');
  });
});

describe('every page, in both languages', () => {
  it.each(PAGE_CASES)('%s (%s): a complete, accessible document', (name, locale) => {
    const html = PAGES[name]!(locale);

    expect(html.startsWith('<!doctype html>\n')).toBe(true);
    expect(tags(html, 'html')).toEqual([{ lang: locale }]);
    expect(html).toContain('<meta charset="utf-8">');
    expect(html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(textOf(html, /<title>([^<]*)<\/title>/).trim()).not.toBe('');
    expect(html.match(/<main>/g)).toHaveLength(1);
    expect(html.match(/<h1>/g)).toHaveLength(1);
    expect(html.indexOf('<h1>')).toBeGreaterThan(html.indexOf('<main>'));
    expect(html.match(/autofocus/g)?.length ?? 0).toBeLessThanOrEqual(1);
  });

  it.each(PAGE_CASES)('%s (%s): each visible input has one label, each label one input', (name, locale) => {
    const html = PAGES[name]!(locale);
    const labelled = tags(html, 'label').map((label) => label.for);
    const ids = visibleInputs(html).map((input) => input.id);

    expect(ids.every((id) => id !== undefined && id !== '')).toBe(true);
    expect([...labelled].sort()).toEqual([...ids].sort());
    expect(new Set(labelled).size).toBe(labelled.length);
  });

  it.each(PAGE_CASES)('%s (%s): no script, no style attribute, no handler, nothing external', (name, locale) => {
    const html = PAGES[name]!(locale);

    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/\sstyle=/i);
    expect(html).not.toMatch(/\son[a-z]+=/i);
    expect(html).not.toMatch(/<(link|img|iframe|object|embed|base)\b/i);
    expect(html).not.toMatch(/\ssrc=/i);
    for (const target of [...hrefs(html), ...tags(html, 'form').map((form) => form.action!)]) expect(target).toMatch(/^(authorize|signup|forgot|reset|end-session)(\?|$)/); // relative: the pages live under /oauth/, behind any stage prefix
    expect(styleBlocks(html)).toHaveLength(1);
    expect(html.match(/<style/g)).toHaveLength(1);
  });

  it.each(PAGE_CASES)('%s (%s): fields, then the buttons, then the links', (name, locale) => {
    const html = PAGES[name]!(locale);
    const lastInput = html.lastIndexOf('<input');
    const firstButton = html.indexOf('<button');
    const firstLink = html.indexOf('<a ');

    if (lastInput >= 0) expect(lastInput).toBeLessThan(firstButton);
    if (firstLink >= 0) expect(firstLink).toBeGreaterThan(html.lastIndexOf('</form>'));
    for (const button of tags(html, 'button')) expect(button).toMatchObject({ type: 'submit', name: 'action' });
  });

  it.each(PAGE_CASES)('%s (%s): the CSP names the hash of the page\'s own style block', (name, locale) => {
    const html = PAGES[name]!(locale);
    const hash = createHash('sha256').update(styleBlocks(html)[0]!, 'utf8').digest('base64');

    expect(cspOf(htmlPage(200, html)).get('style-src')).toBe(`'sha256-${hash}'`);
  });

  it('share one style block', () => {
    const styles = new Set(PAGE_CASES.map(([name, locale]) => styleBlocks(PAGES[name]!(locale))[0]));

    expect(styles.size).toBe(1);
  });

  it.each(Object.keys(PAGES))('%s: Korean in Korean, no Korean in English', (name) => {
    const english = PAGES[name]!('en');
    const korean = PAGES[name]!('ko');

    expect(english).not.toMatch(hangul);
    expect(textOf(korean, /<h1>([^<]*)<\/h1>/)).toMatch(hangul);
    expect(textOf(korean, /<title>([^<]*)<\/title>/)).toMatch(hangul);
  });

  it('the style keeps text at 4.5:1 against its background and shows focus', () => {
    const style = styleBlocks(PAGES.login!('en'))[0]!;
    const luminance = (hex: string) => {
      const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).map((c) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
      return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
    };
    const contrast = (a: string, b: string) => {
      const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x);
      return (light! + 0.05) / (dark! + 0.05);
    };
    const pairs = [...style.matchAll(/[{;]color:(#[0-9a-f]{6})[^}]*background:(#[0-9a-f]{6})/g)].map(([, fg, bg]) => [fg!, bg!] as const);

    expect(pairs.length).toBeGreaterThanOrEqual(5);
    for (const [fg, bg] of pairs) expect(contrast(fg, bg)).toBeGreaterThanOrEqual(4.5);
    expect(style).toMatch(/:focus-visible\{outline:3px solid #[0-9a-f]{6}/);
  });
});

describe('nothing interpolated becomes markup', () => {
  const reset = (overrides: object) => renderReset({ locale: 'en', csrf: 'c', token: 't', ...overrides });
  const cases: [string, (value: string) => string][] = [
    ['login username', (v) => renderLogin({ ...requestPage(), username: v })],
    ['login clientName', (v) => renderLogin(requestPage('en', { clientName: v }))],
    ['login query', (v) => renderLogin(requestPage('en', { query: `a=1&b=${v}` }))],
    ['login csrf', (v) => renderLogin(requestPage('en', { csrf: v }))],
    ['login request field name', (v) => renderLogin(requestPage('en', { request: { [v]: 'x' } }))],
    ['login request field value', (v) => renderLogin(requestPage('en', { request: { state: v } }))],
    ['signup username', (v) => renderSignup({ ...requestPage(), username: v })],
    ['signup email', (v) => renderSignup({ ...requestPage(), email: v, error: 'invalid_email' })],
    ['signup detail', (v) => renderSignup({ ...requestPage(), error: 'weak_password', detail: v })],
    ['signup clientName', (v) => renderSignup(requestPage('ko', { clientName: v }))],
    ['signup query', (v) => renderSignup(requestPage('en', { query: v }))],
    ['signup request field', (v) => renderSignup(requestPage('en', { request: { [v]: v } }))],
    ['forgot query', (v) => renderForgot(requestPage('en', { query: v }))],
    ['forgot request field', (v) => renderForgot(requestPage('en', { request: { [v]: v } }))],
    ['forgot csrf', (v) => renderForgot(requestPage('en', { csrf: v }))],
    ['forgotSent query', (v) => renderForgotSent(requestPage('en', { query: v }))],
    ['reset token', (v) => reset({ token: v })],
    ['reset csrf', (v) => reset({ csrf: v })],
    ['reset detail', (v) => reset({ error: 'weak_password', detail: v })],
    ['consent clientName', (v) => renderConsent({ ...requestPage('en', { clientName: v }), scopes: ['openid'] })],
    ['consent scope', (v) => renderConsent({ ...requestPage(), scopes: ['openid', v] })],
    ['consent request field', (v) => renderConsent({ ...requestPage('en', { request: { [v]: v } }), scopes: ['openid'] })],
    ['consent csrf', (v) => renderConsent({ ...requestPage('en', { csrf: v }), scopes: ['openid'] })],
    ['error description', (v) => renderError({ locale: 'en', title: 'bad_request', description: v })],
    ['logout field', (v) => renderLogoutConfirm({ locale: 'en', csrf: 'c', fields: { [v]: v } })],
    ['logout csrf', (v) => renderLogoutConfirm({ locale: 'en', csrf: v, fields: {} })],
  ];

  it.each(cases)('%s', (_case, render) => {
    const hostile = render(HOSTILE);

    expect(hostile).toContain(escapeHtml(HOSTILE));
    expect(hostile).not.toMatch(/<script|<a href='/i);
    expect(skeleton(hostile)).toBe(skeleton(render(PLAIN)));
  });

  it('hidden fields carry the values back exactly', () => {
    const html = renderLogin(requestPage('en', { csrf: HOSTILE, request: { [HOSTILE]: HOSTILE, nonce: 'n&1' } }));

    expect(hiddenInputs(html)).toEqual({ csrf: HOSTILE, [HOSTILE]: HOSTILE, nonce: 'n&1' });
  });

  it('a hostile query stays inside a same-origin link', () => {
    const html = renderLogin(requestPage('en', { query: `x=1#"javascript:alert(1)` }));

    expect(hrefs(html)).toEqual(['signup?x=1#"javascript:alert(1)', 'forgot?x=1#"javascript:alert(1)']);
  });

  it('a request parameter named like a form field cannot shadow it', () => {
    const html = renderLogin(requestPage('en', { csrf: 'real', request: { csrf: 'forged', action: 'x', password: 'p', client_id: 'app' } }));

    expect(hiddenInputs(html)).toEqual({ csrf: 'real', client_id: 'app' });
    expect(tags(html, 'input').filter((input) => input.name === 'csrf')).toHaveLength(1);
  });
});

describe('renderLogin', () => {
  it('posts username, password, csrf and the request to the authorization endpoint', () => {
    const html = renderLogin(requestPage());

    expect(tags(html, 'form')).toEqual([{ method: 'post', action: 'authorize' }]);
    expect(visibleInputs(html)).toEqual([
      expect.objectContaining({ type: 'text', id: 'username', name: 'username', autocomplete: 'username', required: '' }),
      expect.objectContaining({ type: 'password', id: 'password', name: 'password', autocomplete: 'current-password', required: '' }),
    ]);
    expect(hiddenInputs(html)).toEqual({ csrf: 'csrf-value-1', ...REQUEST });
    expect(tags(html, 'button')).toEqual([{ type: 'submit', name: 'action', value: 'login' }]);
  });

  it('links to signup and forgot with the request\'s query', () => {
    expect(hrefs(renderLogin(requestPage()))).toEqual([`signup?${QUERY}`, `forgot?${QUERY}`]);
  });

  it('names the app, in each language', () => {
    expect(renderLogin(requestPage('en', { clientName: 'Acme Orders' }))).toContain('Sign in to continue to Acme Orders.');
    expect(renderLogin(requestPage('ko', { clientName: 'Acme Orders' }))).toContain('Acme Orders 서비스를 이용하려면 로그인해 주세요.');
  });

  it('speaks Korean', () => {
    const html = renderLogin(requestPage('ko'));

    expect(textOf(html, /<h1>([^<]*)<\/h1>/)).toBe('로그인');
    expect(tags(html, 'label').length).toBe(2);
    expect(html).toContain('>비밀번호</label>');
    expect(html).toContain('>계정 만들기</a>');
    expect(html).toContain('>비밀번호를 잊으셨나요?</a>');
  });

  it('without an error: no alert, nothing invalid, focus on the username', () => {
    const html = renderLogin(requestPage());

    expect(html).not.toContain('role="alert"');
    expect(visibleInputs(html).filter((input) => 'aria-invalid' in input || 'aria-describedby' in input)).toEqual([]);
    expect(visibleInputs(html).filter((input) => 'autofocus' in input).map((input) => input.name)).toEqual(['username']);
  });

  it('a failed login: the alert comes first, both fields point to it, the username stays, focus goes to the password', () => {
    const html = renderLogin({ ...requestPage(), username: 'alice', error: 'invalid' });
    const [username, password] = visibleInputs(html);
    const alertId = tags(html, 'div').find((div) => div.role === 'alert')?.id;

    expect(alertText(html)).toContain('The username or password is incorrect.');
    expect(html.indexOf('role="alert"')).toBeLessThan(html.indexOf('<form'));
    expect(alertId).toBeTruthy();
    expect(username).toMatchObject({ value: 'alice', 'aria-invalid': 'true', 'aria-describedby': alertId });
    expect(password).toMatchObject({ 'aria-invalid': 'true', 'aria-describedby': alertId });
    expect(password).not.toHaveProperty('value');
    expect(visibleInputs(html).filter((input) => 'autofocus' in input).map((input) => input.name)).toEqual(['password']);
  });

  it.each([
    [30, 'en', 'Try again in 30 seconds.'],
    [59.2, 'en', 'Try again in 60 seconds.'],
    [60, 'en', 'Try again in 1 minute.'],
    [61, 'en', 'Try again in 2 minutes.'],
    [900, 'en', 'Try again in 15 minutes.'],
    [undefined, 'en', 'Try again later.'],
    [-5, 'en', 'Try again later.'],
    [61, 'ko', '2분 후에 다시 시도해 주세요.'],
    [30, 'ko', '30초 후에 다시 시도해 주세요.'],
  ] as const)('throttled for %s s (%s): "%s"', (retryAfter, locale, words) => {
    const html = renderLogin({ ...requestPage(locale), error: 'throttled', ...(retryAfter === undefined ? {} : { retryAfter }) });

    expect(alertText(html)).toContain(words);
  });

  const loginErrors: LoginError[] = ['invalid', 'throttled', 'disabled', 'csrf', 'unavailable'];
  it.each(loginErrors.flatMap((error) => LOCALES.map((locale) => [error, locale] as const)))('%s (%s) has its own words', (error, locale) => {
    const texts = new Set(loginErrors.map((other) => alertText(renderLogin({ ...requestPage(locale), error: other }))));

    expect(alertText(renderLogin({ ...requestPage(locale), error })).trim()).not.toBe('');
    expect(texts.size).toBe(loginErrors.length);
  });
});

describe('renderSignup', () => {
  it('posts username, an optional email and a new password, and says the password rule', () => {
    const html = renderSignup(requestPage());
    const [username, email, password] = visibleInputs(html);

    expect(tags(html, 'form')).toEqual([{ method: 'post', action: 'signup' }]);
    expect(visibleInputs(html).map((input) => input.name)).toEqual(['username', 'email', 'password']);
    expect(username).toMatchObject({ autocomplete: 'username', required: '' });
    expect(email).toMatchObject({ type: 'email', autocomplete: 'email' });
    expect(email).not.toHaveProperty('required');
    expect(password).toMatchObject({ type: 'password', autocomplete: 'new-password', required: '', minlength: '8' });
    expect(textOf(html, new RegExp(`id="${password!['aria-describedby']}">([^<]*)<`))).toBe('At least 8 characters, and not a common password.');
    expect(hiddenInputs(html)).toEqual({ csrf: 'csrf-value-1', ...REQUEST });
    expect(tags(html, 'button')).toEqual([{ type: 'submit', name: 'action', value: 'signup' }]);
    expect(hrefs(html)).toEqual([`authorize?${QUERY}`]);
  });

  it.each([
    ['username_taken', 'username'],
    ['invalid_username', 'username'],
    ['email_taken', 'email'],
    ['invalid_email', 'email'],
    ['weak_password', 'password'],
  ] as const)('%s marks only the %s field, which points to the alert and gets the focus', (error, field) => {
    const html = renderSignup({ ...requestPage(), username: 'alice', email: 'a@example.com', error });
    const invalid = visibleInputs(html).filter((input) => input['aria-invalid'] === 'true');

    expect(invalid.map((input) => input.name)).toEqual([field]);
    expect(invalid[0]!['aria-describedby']!.split(' ')).toContain('error');
    expect(html).toContain('<div class="alert" role="alert" id="error">');
    expect(visibleInputs(html).filter((input) => 'autofocus' in input).map((input) => input.name)).toEqual([field]);
  });

  it('keeps what was typed, except the password, and shows the detail after the message', () => {
    const html = renderSignup({ ...requestPage('ko'), username: 'alice', email: 'a@example.com', error: 'weak_password', detail: 'Too common.' });

    expect(visibleInputs(html).map((input) => input.value)).toEqual(['alice', 'a@example.com', undefined]);
    expect(alertText(html)).toMatch(/더 안전한 비밀번호를 선택해 주세요\.\s+Too common\./);
  });

  const signupErrors: SignupError[] = ['username_taken', 'email_taken', 'invalid_username', 'invalid_email', 'weak_password', 'csrf', 'unavailable'];
  it.each(LOCALES)('every error has its own words (%s)', (locale) => {
    const texts = signupErrors.map((error) => alertText(renderSignup({ ...requestPage(locale), error })).trim());

    expect(texts.every((text) => text !== '')).toBe(true);
    expect(new Set(texts).size).toBe(signupErrors.length);
  });
});

describe('renderForgot and renderForgotSent', () => {
  it('asks for a username or email only', () => {
    const html = renderForgot(requestPage());

    expect(tags(html, 'form')).toEqual([{ method: 'post', action: 'forgot' }]);
    expect(visibleInputs(html)).toEqual([expect.objectContaining({ name: 'username', id: 'username', required: '' })]);
    expect(html).toContain('<label for="username">Username or email</label>');
    expect(hiddenInputs(html)).toEqual({ csrf: 'csrf-value-1', ...REQUEST });
    expect(tags(html, 'button')).toEqual([{ type: 'submit', name: 'action', value: 'forgot' }]);
    expect(hrefs(html)).toEqual([`authorize?${QUERY}`]);
  });

  it.each(['csrf', 'throttled', 'unavailable', 'invalid'] as const)('%s: an alert before the form', (error) => {
    const html = renderForgot({ ...requestPage('ko'), error, retryAfter: 120 });

    expect(alertText(html).trim()).not.toBe('');
    expect(html.indexOf('role="alert"')).toBeLessThan(html.indexOf('<form'));
  });

  it('throttled says when to retry', () => {
    expect(alertText(renderForgot({ ...requestPage(), error: 'throttled', retryAfter: 120 }))).toContain('Try again in 2 minutes.');
  });

  it('sent: says the link went out only if the account exists and has a verified address, and links back', () => {
    const html = renderForgotSent(requestPage());

    expect(html).toContain('If an account matches what you entered and has a verified email address');
    expect(html).not.toContain('<form');
    expect(hrefs(html)).toEqual([`authorize?${QUERY}`]);
  });
});

describe('renderReset', () => {
  it('posts the token, csrf and a new password', () => {
    const html = renderReset({ locale: 'en', csrf: 'c1', token: 'tok' });

    expect(tags(html, 'form')).toEqual([{ method: 'post', action: 'reset' }]);
    expect(hiddenInputs(html)).toEqual({ token: 'tok', csrf: 'c1' });
    expect(visibleInputs(html)).toEqual([expect.objectContaining({ type: 'password', id: 'new_password', name: 'new_password', autocomplete: 'new-password', autofocus: '' })]);
    expect(tags(html, 'button')).toEqual([{ type: 'submit', name: 'action', value: 'reset' }]);
    expect(hrefs(html)).toEqual([]);
  });

  it('done: the success text instead of the form', () => {
    const html = renderReset({ locale: 'ko', csrf: 'c1', token: 'tok', done: true });

    expect(html).not.toContain('<form');
    expect(html).not.toContain('tok');
    expect(html).toContain('비밀번호가 변경되었습니다.');
  });

  it('an invalid token: the alert and no form to send it again', () => {
    const html = renderReset({ locale: 'en', csrf: 'c1', token: 'tok', error: 'invalid_token' });

    expect(alertText(html)).toContain('This link is invalid or has expired.');
    expect(html).not.toContain('<form');
  });

  it('a weak password: the field is invalid and described by the alert and the rule', () => {
    const html = renderReset({ locale: 'en', csrf: 'c1', token: 'tok', error: 'weak_password', detail: 'Too short.' });

    expect(visibleInputs(html)[0]).toMatchObject({ 'aria-invalid': 'true', 'aria-describedby': 'error new_password-hint' });
    expect(alertText(html)).toContain('Too short.');
  });
});

describe('renderConsent', () => {
  it('names the app and posts consent or deny with the request', () => {
    const html = renderConsent({ ...requestPage('en', { clientName: 'Acme' }), scopes: ['openid'] });

    expect(html).toContain('Acme would like to:');
    expect(tags(html, 'form')).toEqual([{ method: 'post', action: 'authorize' }]);
    expect(hiddenInputs(html)).toEqual({ csrf: 'csrf-value-1', ...REQUEST });
    expect(tags(html, 'button').map((button) => button.value)).toEqual(['consent', 'deny']);
    expect([...html.matchAll(/<button[^>]*>([^<]*)<\/button>/g)].map((match) => match[1])).toEqual(['Allow', 'Deny']);
  });

  it.each([
    ['en', ['Sign you in and know who you are', 'See your username', 'See your email address', 'See and end your sessions, change your password and delete your account'], ['Allow', 'Deny']],
    ['ko', ['로그인 및 사용자 확인', '사용자 이름 보기', '이메일 주소 보기', '세션 확인 및 종료, 비밀번호 변경, 계정 삭제'], ['허용', '거부']],
  ] as const)('describes each scope (%s)', (locale, descriptions, buttons) => {
    const html = renderConsent({ ...requestPage(locale), scopes: ['openid', 'profile', 'email', 'sessions', 'orders:read', 'constructor'] });
    const items = [...html.matchAll(/<li>([\s\S]*?)<\/li>/g)].map((match) => match[1]);

    expect(items).toEqual([...descriptions, '<code>orders:read</code>', '<code>constructor</code>']);
    expect([...html.matchAll(/<button[^>]*>([^<]*)<\/button>/g)].map((match) => match[1])).toEqual(buttons);
  });
});

describe('renderError, renderSignedOut and renderLogoutConfirm', () => {
  it.each(['unknown_client', 'bad_redirect_uri', 'bad_request', 'unavailable', 'not_found'] as const)('%s: no form, no link anywhere', (title) => {
    for (const locale of LOCALES) {
      const html = renderError({ locale, title, description: 'https://evil.example/ is not registered' });

      expect(html).not.toMatch(/<a\s|href=|<form|action=/);
      expect(textOf(html, /<h1>([^<]*)<\/h1>/).trim()).not.toBe('');
    }
  });

  it('each error has its own title', () => {
    const titles = (['unknown_client', 'bad_redirect_uri', 'bad_request', 'unavailable', 'not_found'] as const)
      .map((title) => textOf(renderError({ locale: 'en', title }), /<h1>([^<]*)<\/h1>/));

    expect(new Set(titles).size).toBe(5);
  });

  it('signed out: no form, no link', () => {
    expect(renderSignedOut({ locale: 'en' })).not.toMatch(/<a\s|href=|<form/);
  });

  it('logout confirmation posts the fields and csrf to the end-session endpoint', () => {
    const html = renderLogoutConfirm({ locale: 'en', csrf: 'c1', fields: { client_id: 'app', post_logout_redirect_uri: 'https://app.example.com/bye', state: 's' } });

    expect(tags(html, 'form')).toEqual([{ method: 'post', action: 'end-session' }]);
    expect(hiddenInputs(html)).toEqual({ csrf: 'c1', client_id: 'app', post_logout_redirect_uri: 'https://app.example.com/bye', state: 's' });
    expect(tags(html, 'button')).toEqual([{ type: 'submit', name: 'action', value: 'logout' }]);
  });
});

describe('htmlPage', () => {
  it('answers the page with the security headers and nothing else', () => {
    const html = renderSignedOut({ locale: 'en' });
    const hash = createHash('sha256').update(styleBlocks(html)[0]!).digest('base64');

    expect(htmlPage(200, html)).toEqual({
      statusCode: 200,
      headers: {
        'Content-Type': 'text/html; charset=utf-8',
        'Cache-Control': 'no-store',
        Pragma: 'no-cache',
        'X-Content-Type-Options': 'nosniff',
        'X-Frame-Options': 'DENY',
        'Referrer-Policy': 'no-referrer',
        'Content-Security-Policy': `default-src 'none'; style-src 'sha256-${hash}'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
      },
      body: html,
    });
  });

  it('adds each form target to form-action, as an origin or a native app\'s scheme', () => {
    const response = htmlPage(200, '', { formTargets: ['https://app.example.com/cb?x=1', 'http://127.0.0.1:53682/cb', 'com.example.app:/oauth', 'https://app.example.com/other'] });

    expect(cspOf(response).get('form-action')).toBe("'self' https://app.example.com http://127.0.0.1:53682 com.example.app:");
    expect(cspOf(response).get('frame-ancestors')).toBe("'none'");
  });

  it.each(['https://a.example;script-src *', 'https://a.example,b', 'not a url', 'javascript:alert(1)', 'data:text/html,x', "'unsafe-inline'"])('refuses %j as a form target', (target) => {
    expect(() => htmlPage(200, '', { formTargets: [target] })).toThrow(RangeError);
  });

  it('puts cookies in multiValueHeaders, and leaves it out without any', () => {
    const cookies = ['sid=1; Path=/oauth; Secure; HttpOnly; SameSite=Lax', 'csrf=2; Path=/oauth; Secure; HttpOnly'];

    expect(htmlPage(200, '', { cookies }).multiValueHeaders).toEqual({ 'Set-Cookie': cookies });
    expect(htmlPage(200, '')).not.toHaveProperty('multiValueHeaders');
    expect(htmlPage(200, '', { cookies: [] })).not.toHaveProperty('multiValueHeaders');
  });

  it('merges the given headers last', () => {
    const response = htmlPage(429, 'x', { headers: { 'Retry-After': '120', 'Cache-Control': 'private, no-store' } });

    expect(response.statusCode).toBe(429);
    expect(response.headers).toMatchObject({ 'Retry-After': '120', 'Cache-Control': 'private, no-store', 'X-Frame-Options': 'DENY' });
  });
});
