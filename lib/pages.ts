import { createHash } from 'node:crypto';
import type { HttpResponse } from './http';
import { escapeHtml } from './messages';
import { PASSWORD_MIN_LENGTH } from './passwords';

/**
 * The hosted sign-in pages: plain server-rendered HTML, one inline style block, no script. Every value that
 * comes from a request or a store is escaped where it is written out, and never before.
 */

export type Locale = 'en' | 'ko';
export type LoginError = 'invalid' | 'throttled' | 'disabled' | 'csrf' | 'unavailable';
export type SignupError = 'username_taken' | 'email_taken' | 'invalid_username' | 'invalid_email' | 'weak_password' | 'csrf' | 'unavailable';
type ForgotError = 'csrf' | 'throttled' | 'unavailable' | 'invalid';
type ResetError = 'invalid_token' | 'weak_password' | 'csrf' | 'unavailable';
type ErrorTitle = 'unknown_client' | 'bad_redirect_uri' | 'bad_request' | 'unavailable' | 'not_found';

// ---------------------------------------------------------------------------------------------------------
// Every word a user reads, one object per locale: edit them here. Functions take plain text (an app's name,
// a number) and return plain text; the page escapes the result.
// ---------------------------------------------------------------------------------------------------------

const EN = {
  username: 'Username',
  password: 'Password',
  newPassword: 'New password',
  emailOptional: 'Email (optional)',
  emailHint: 'Lets you reset your password if you forget it.',
  passwordRule: `At least ${PASSWORD_MIN_LENGTH} characters, and not a common password.`,
  usernameOrEmail: 'Username or email',
  backToSignIn: 'Back to sign in',
  common: {
    csrf: 'This page expired. Please try again.',
    unavailable: 'The service is temporarily unavailable. Please try again in a moment.',
    throttled: 'Too many attempts.',
  },
  retryIn: (amount: number, unit: 'second' | 'minute') => `Try again in ${amount} ${unit}${amount === 1 ? '' : 's'}.`,
  retryLater: 'Try again later.',
  login: {
    title: 'Sign in',
    intro: (app: string) => `Sign in to continue to ${app}.`,
    submit: 'Sign in',
    signup: 'Create an account',
    forgot: 'Forgot your password?',
    errors: {
      invalid: 'The username or password is incorrect.',
      disabled: 'This account has been disabled.',
    },
  },
  signup: {
    title: 'Create an account',
    intro: (app: string) => `Create an account to continue to ${app}.`,
    submit: 'Create account',
    signIn: 'Already have an account? Sign in',
    errors: {
      username_taken: 'This username is already taken.',
      email_taken: 'This email address is already in use.',
      invalid_username: 'This username cannot be used.',
      invalid_email: 'Enter a valid email address.',
      weak_password: 'Choose a stronger password.',
    },
  },
  forgot: {
    title: 'Reset your password',
    intro: 'Enter your username or email address. If the account has a verified email address, we will send it a link to choose a new password.',
    submit: 'Send reset link',
    invalid: 'Enter your username or email address.',
  },
  forgotSent: {
    title: 'Check your email',
    body: 'If an account matches what you entered and has a verified email address, we have sent it a link to reset the password.',
    spam: 'If no email arrives, check your spam folder.',
  },
  reset: {
    title: 'Choose a new password',
    submit: 'Change password',
    doneTitle: 'Password changed',
    done: 'Your password has been changed. You can now sign in with it.',
    errors: {
      invalid_token: 'This link is invalid or has expired. Ask for a new one from the sign-in page.',
      weak_password: 'Choose a stronger password.',
    },
  },
  consent: {
    title: 'Allow access',
    intro: (app: string) => `${app} would like to:`,
    allow: 'Allow',
    deny: 'Deny',
    scopes: {
      openid: 'Sign you in and know who you are',
      profile: 'See your username',
      email: 'See your email address',
      sessions: 'See and end your sessions, change your password and delete your account',
    } as Record<string, string>,
  },
  errorPage: {
    unknown_client: { title: 'Unknown app', text: 'The app that sent you here is not registered with this service.' },
    bad_redirect_uri: { title: 'Invalid return address', text: 'The app asked to send you back to an address it has not registered, so you were not sent there.' },
    bad_request: { title: 'Invalid request', text: 'The sign-in request is incomplete or malformed. Go back to the app and try again.' },
    unavailable: { title: 'Service unavailable', text: 'The service is temporarily unavailable. Please try again in a moment.' },
    not_found: { title: 'Page not found', text: 'There is nothing at this address.' },
  },
  logout: {
    title: 'Sign out?',
    intro: 'Press the button below to finish signing out.',
    submit: 'Sign out',
  },
  signedOut: {
    title: 'You are signed out',
    text: 'You can close this window.',
  },
};

type Strings = typeof EN;

const KO: Strings = {
  username: '사용자 이름',
  password: '비밀번호',
  newPassword: '새 비밀번호',
  emailOptional: '이메일 (선택)',
  emailHint: '비밀번호를 잊었을 때 재설정하는 데 사용됩니다.',
  passwordRule: `${PASSWORD_MIN_LENGTH}자 이상이어야 하며, 흔히 쓰이는 비밀번호는 사용할 수 없습니다.`,
  usernameOrEmail: '사용자 이름 또는 이메일',
  backToSignIn: '로그인으로 돌아가기',
  common: {
    csrf: '페이지가 만료되었습니다. 다시 시도해 주세요.',
    unavailable: '일시적으로 서비스를 이용할 수 없습니다. 잠시 후 다시 시도해 주세요.',
    throttled: '시도 횟수가 너무 많습니다.',
  },
  retryIn: (amount, unit) => `${amount}${unit === 'minute' ? '분' : '초'} 후에 다시 시도해 주세요.`,
  retryLater: '나중에 다시 시도해 주세요.',
  login: {
    title: '로그인',
    intro: (app) => `${app} 서비스를 이용하려면 로그인해 주세요.`,
    submit: '로그인',
    signup: '계정 만들기',
    forgot: '비밀번호를 잊으셨나요?',
    errors: {
      invalid: '사용자 이름 또는 비밀번호가 올바르지 않습니다.',
      disabled: '사용이 중지된 계정입니다.',
    },
  },
  signup: {
    title: '계정 만들기',
    intro: (app) => `${app} 서비스를 이용하려면 계정을 만들어 주세요.`,
    submit: '계정 만들기',
    signIn: '이미 계정이 있으신가요? 로그인',
    errors: {
      username_taken: '이미 사용 중인 사용자 이름입니다.',
      email_taken: '이미 사용 중인 이메일 주소입니다.',
      invalid_username: '사용할 수 없는 사용자 이름입니다.',
      invalid_email: '올바른 이메일 주소를 입력해 주세요.',
      weak_password: '더 안전한 비밀번호를 선택해 주세요.',
    },
  },
  forgot: {
    title: '비밀번호 재설정',
    intro: '사용자 이름 또는 이메일 주소를 입력해 주세요. 계정에 인증된 이메일 주소가 있으면 새 비밀번호를 설정할 수 있는 링크를 그 주소로 보내 드립니다.',
    submit: '재설정 링크 보내기',
    invalid: '사용자 이름 또는 이메일 주소를 입력해 주세요.',
  },
  forgotSent: {
    title: '이메일을 확인해 주세요',
    body: '입력하신 정보와 일치하는 계정이 있고 인증된 이메일 주소가 등록되어 있다면, 그 주소로 비밀번호 재설정 링크를 보내 드렸습니다.',
    spam: '메일이 오지 않으면 스팸함을 확인해 주세요.',
  },
  reset: {
    title: '새 비밀번호 설정',
    submit: '비밀번호 변경',
    doneTitle: '비밀번호 변경 완료',
    done: '비밀번호가 변경되었습니다. 이제 새 비밀번호로 로그인할 수 있습니다.',
    errors: {
      invalid_token: '링크가 유효하지 않거나 만료되었습니다. 로그인 화면에서 새 링크를 요청해 주세요.',
      weak_password: '더 안전한 비밀번호를 선택해 주세요.',
    },
  },
  consent: {
    title: '접근 허용',
    intro: (app) => `${app}에서 다음 권한을 요청합니다.`,
    allow: '허용',
    deny: '거부',
    scopes: {
      openid: '로그인 및 사용자 확인',
      profile: '사용자 이름 보기',
      email: '이메일 주소 보기',
      sessions: '세션 확인 및 종료, 비밀번호 변경, 계정 삭제',
    },
  },
  errorPage: {
    unknown_client: { title: '알 수 없는 앱', text: '이 페이지로 안내한 앱이 이 서비스에 등록되어 있지 않습니다.' },
    bad_redirect_uri: { title: '잘못된 리디렉션 주소', text: '앱이 등록되지 않은 주소로 돌아가도록 요청하여 이동하지 않았습니다.' },
    bad_request: { title: '잘못된 요청', text: '로그인 요청이 불완전하거나 형식이 올바르지 않습니다. 앱으로 돌아가 다시 시도해 주세요.' },
    unavailable: { title: '서비스를 이용할 수 없음', text: '일시적으로 서비스를 이용할 수 없습니다. 잠시 후 다시 시도해 주세요.' },
    not_found: { title: '페이지를 찾을 수 없음', text: '이 주소에는 페이지가 없습니다.' },
  },
  logout: {
    title: '로그아웃하시겠습니까?',
    intro: '아래 버튼을 눌러 로그아웃을 완료해 주세요.',
    submit: '로그아웃',
  },
  signedOut: {
    title: '로그아웃되었습니다',
    text: '이 창을 닫으셔도 됩니다.',
  },
};

const STRINGS: Record<Locale, Strings> = { en: EN, ko: KO };
const LOCALES = Object.keys(STRINGS) as Locale[];

/**
 * The one style block of every page: its hash goes into the CSP, so it must never vary per page. Colours keep
 * at least 4.5:1 (WCAG 2.2 AA): #1a1a1a and #4b5563 on white, white on #1d4ed8 and #1e40af, #7f1d1d on #fef2f2.
 */
const STYLE = [
  '*,*::before,*::after{box-sizing:border-box}',
  'html{-webkit-text-size-adjust:100%;text-size-adjust:100%}',
  'body{margin:0;color:#1a1a1a;background:#f3f4f6;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Apple SD Gothic Neo","Malgun Gothic","Noto Sans KR",sans-serif;overflow-wrap:anywhere}',
  'main{max-width:28rem;margin:2rem auto;padding:1.5rem;color:#1a1a1a;background:#ffffff;border:1px solid #d1d5db;border-radius:8px}',
  '@media (max-width:32rem){main{margin:0;min-height:100vh;border:0;border-radius:0;padding:1.25rem}}',
  'h1{font-size:1.5rem;line-height:1.25;margin:0 0 1rem}',
  'p{margin:0 0 1rem}',
  'label{display:block;font-weight:600;margin:1rem 0 .25rem}',
  'input{display:block;width:100%;padding:.625rem .75rem;font:inherit;color:#1a1a1a;background:#ffffff;border:1px solid #6b7280;border-radius:6px}',
  'input[aria-invalid="true"]{border:2px solid #b91c1c}',
  '.hint{margin:.25rem 0 0;font-size:.875rem;color:#4b5563}',
  'button{display:block;width:100%;margin:1.5rem 0 0;padding:.75rem 1rem;font:inherit;font-weight:600;color:#ffffff;background:#1d4ed8;border:2px solid #1d4ed8;border-radius:6px;cursor:pointer}',
  'button:hover{color:#ffffff;background:#1e40af}',
  'button.secondary{margin-top:.75rem;color:#1d4ed8;background:#ffffff}',
  'button.secondary:hover{color:#1e40af;background:#eff6ff}',
  'a{color:#1d4ed8}',
  ':focus-visible{outline:3px solid #1d4ed8;outline-offset:2px}',
  'button:focus-visible{outline-color:#1a1a1a}',
  '.alert{margin:0 0 1rem;padding:.75rem 1rem;color:#7f1d1d;background:#fef2f2;border:1px solid #b91c1c;border-left-width:4px;border-radius:6px}',
  '.alert p,.notice p{margin:0}',
  '.alert p+p{margin-top:.5rem}',
  '.notice{margin:0 0 1rem;padding:.75rem 1rem;color:#14532d;background:#f0fdf4;border:1px solid #15803d;border-left-width:4px;border-radius:6px}',
  '.scopes{margin:0 0 1rem;padding-left:1.25rem}',
  '.scopes li{margin:.25rem 0}',
  '.links{list-style:none;margin:1.5rem 0 0;padding:0}',
  '.links li{margin:.5rem 0}',
].join('\n');

const STYLE_SOURCE = `'sha256-${createHash('sha256').update(STYLE, 'utf8').digest('base64')}'`;

// ---------------------------------------------------------------------------------------------------------
// Locale
// ---------------------------------------------------------------------------------------------------------

/** Beyond this, a header is junk or an attack: real ones are a few dozen bytes. */
const MAX_LOCALE_INPUT = 1024;
const LANGUAGE_TAG = /^[a-z]{1,8}(?:-[a-z0-9]{1,8})*$/i;
/** RFC 9110 §12.4.2 qvalue. */
const QVALUE = /^q=(0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/i;

function supported(tag: string): Locale | undefined {
  if (!LANGUAGE_TAG.test(tag)) return undefined;
  const language = tag.split('-')[0]!.toLowerCase();
  return LOCALES.find((locale) => locale === language);
}

/** ui_locales (OIDC: space-separated BCP 47 tags, first supported wins) else Accept-Language (q-values honoured), else 'en'. */
export function chooseLocale(uiLocales: string | undefined, acceptLanguage: string | undefined): Locale {
  if (typeof uiLocales === 'string') {
    for (const tag of uiLocales.slice(0, MAX_LOCALE_INPUT).split(/\s+/)) {
      const locale = supported(tag);
      if (locale) return locale;
    }
  }
  if (typeof acceptLanguage === 'string') {
    let best: { locale: Locale; q: number } | undefined;
    for (const range of acceptLanguage.slice(0, MAX_LOCALE_INPUT).split(',')) {
      const [tag = '', ...parameters] = range.split(';').map((part) => part.trim());
      const locale = supported(tag);
      if (!locale) continue;
      let q = 1;
      for (const parameter of parameters) {
        const weight = QVALUE.exec(parameter.replace(/\s+/g, ''));
        // A range whose weight cannot be read is skipped, not guessed at.
        q = weight ? Number(weight[1]) : -1;
      }
      // Ties go to the earlier range, as the user listed them.
      if (q > 0 && (!best || q > best.q)) best = { locale, q };
    }
    if (best) return best.locale;
  }
  return 'en';
}

// ---------------------------------------------------------------------------------------------------------
// Building blocks
// ---------------------------------------------------------------------------------------------------------

const e = escapeHtml;

/** A locale given by a caller that bypassed the types still renders (in English) rather than throwing. */
function stringsOf(locale: Locale): [Locale, Strings] {
  return Object.hasOwn(STRINGS, locale) ? [locale, STRINGS[locale]] : ['en', EN];
}

function document(locale: Locale, title: string, main: string[]): string {
  return [
    '<!doctype html>',
    `<html lang="${locale}">`,
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="robots" content="noindex">',
    `<title>${e(title)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    '<main>',
    `<h1>${e(title)}</h1>`,
    ...main.filter((part) => part !== ''),
    '</main>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

const ALERT_ID = 'error';

/** The error, before the form so that it is read first; the fields it concerns point to it. */
function alert(messages: (string | undefined)[]): string {
  const lines = messages.filter((message): message is string => message !== undefined && message !== '');
  if (lines.length === 0) return '';
  return `<div class="alert" role="alert" id="${ALERT_ID}">${lines.map((line) => `<p>${e(line)}</p>`).join('')}</div>`;
}

interface Field {
  name: string;
  label: string;
  type: 'text' | 'email' | 'password';
  autocomplete: string;
  required: boolean;
  value?: string | undefined;
  hint?: string;
  /** A new password: the browser checks the length the server also checks. */
  minLength?: number;
  invalid?: boolean;
}

/**
 * Focus goes where the user must type next: an invalid empty field (the password after a failed login),
 * else the invalid field, else the first empty one.
 */
function focusTarget(fields: Field[]): string | undefined {
  const empty = (field: Field) => !field.value;
  return (fields.find((field) => field.invalid && empty(field)) ?? fields.find((field) => field.invalid) ?? fields.find(empty))?.name;
}

function inputs(fields: Field[], hasAlert: boolean): string[] {
  const focus = focusTarget(fields);
  return fields.flatMap((field) => {
    const hintId = `${field.name}-hint`;
    const describedBy = [field.invalid && hasAlert ? ALERT_ID : undefined, field.hint ? hintId : undefined].filter(Boolean).join(' ');
    const attributes = [
      `type="${field.type}"`,
      `id="${field.name}"`,
      `name="${field.name}"`,
      `autocomplete="${field.autocomplete}"`,
      field.name === 'username' ? 'autocapitalize="none" spellcheck="false"' : '',
      field.value ? `value="${e(field.value)}"` : '',
      field.minLength ? `minlength="${field.minLength}"` : '',
      field.required ? 'required' : '',
      describedBy ? `aria-describedby="${describedBy}"` : '',
      field.invalid ? 'aria-invalid="true"' : '',
      field.name === focus ? 'autofocus' : '',
    ].filter(Boolean);
    return [
      `<label for="${field.name}">${e(field.label)}</label>`,
      `<input ${attributes.join(' ')}>`,
      field.hint ? `<p class="hint" id="${hintId}">${e(field.hint)}</p>` : '',
    ];
  });
}

/** Names the forms use themselves: a request parameter of the same name would shadow them, so it is left out. */
const FORM_FIELDS = new Set(['csrf', 'action', 'username', 'password', 'email', 'token', 'new_password']);

function hidden(csrf: string, fields: Record<string, string>): string[] {
  return [
    `<input type="hidden" name="csrf" value="${e(csrf)}">`,
    ...Object.entries(fields)
      .filter(([name, value]) => !FORM_FIELDS.has(name) && typeof value === 'string')
      .map(([name, value]) => `<input type="hidden" name="${e(name)}" value="${e(value)}">`),
  ];
}

function form(action: string, body: string[]): string {
  return [`<form method="post" action="${action}">`, ...body.filter((part) => part !== ''), '</form>'].join('\n');
}

const button = (value: string, label: string, secondary = false) =>
  `<button type="submit" name="action" value="${value}"${secondary ? ' class="secondary"' : ''}>${e(label)}</button>`;

/** A link to another screen of the same request; the query is already URL-encoded, so it is only escaped. */
const href = (path: string, query: string) => e(query ? `${path}?${query}` : path);

function links(items: [path: string, query: string, text: string][]): string {
  return `<ul class="links">${items.map(([path, query, text]) => `<li><a href="${href(path, query)}">${e(text)}</a></li>`).join('')}</ul>`;
}

/** "Try again in 2 minutes": whole minutes, rounded up, from a minute on; seconds below. */
function retryText(t: Strings, retryAfter: number | undefined): string {
  if (retryAfter === undefined || !Number.isFinite(retryAfter) || retryAfter <= 0) return t.retryLater;
  return retryAfter >= 60 ? t.retryIn(Math.ceil(retryAfter / 60), 'minute') : t.retryIn(Math.ceil(retryAfter), 'second');
}

// ---------------------------------------------------------------------------------------------------------
// Pages
// ---------------------------------------------------------------------------------------------------------

/** What every form page of an authorization request shows. */
export interface RequestPage {
  locale: Locale;
  /** The value of the hidden `csrf` field of every form. */
  csrf: string;
  /** The authorization request, rendered as hidden inputs (name -> value) in each form. */
  request: Record<string, string>;
  /** The authorization request as a query string without '?', for the links between screens. */
  query: string;
  /** The app the user signs in to (its name or client id). */
  clientName: string;
}

/** The sign-in form, posting to the authorization endpoint. */
export function renderLogin(page: RequestPage & { username?: string; error?: LoginError; retryAfter?: number }): string {
  const [locale, t] = stringsOf(page.locale);
  const { error } = page;
  const message = error === 'invalid' || error === 'disabled' ? t.login.errors[error]
    : error === 'throttled' ? `${t.common.throttled} ${retryText(t, page.retryAfter)}`
    : error ? t.common[error] : undefined;
  const invalid = error === 'invalid';
  const notice = alert([message]);
  return document(locale, t.login.title, [
    `<p>${e(t.login.intro(page.clientName))}</p>`,
    notice,
    form('authorize', [
      ...hidden(page.csrf, page.request),
      ...inputs([
        { name: 'username', label: t.username, type: 'text', autocomplete: 'username', required: true, value: page.username, invalid },
        { name: 'password', label: t.password, type: 'password', autocomplete: 'current-password', required: true, invalid },
      ], notice !== ''),
      button('login', t.login.submit),
    ]),
    links([
      ['signup', page.query, t.login.signup],
      ['forgot', page.query, t.login.forgot],
    ]),
  ]);
}

/** The fields each signup error is about. */
const SIGNUP_ERROR_FIELD: Partial<Record<SignupError, 'username' | 'email' | 'password'>> = {
  username_taken: 'username',
  invalid_username: 'username',
  email_taken: 'email',
  invalid_email: 'email',
  weak_password: 'password',
};

/** The account creation form. */
export function renderSignup(page: RequestPage & { username?: string; email?: string; error?: SignupError; detail?: string }): string {
  const [locale, t] = stringsOf(page.locale);
  const { error } = page;
  const message = error === 'csrf' || error === 'unavailable' ? t.common[error] : error ? t.signup.errors[error] : undefined;
  const wrong = error ? SIGNUP_ERROR_FIELD[error] : undefined;
  const notice = alert([message, error ? page.detail : undefined]);
  return document(locale, t.signup.title, [
    `<p>${e(t.signup.intro(page.clientName))}</p>`,
    notice,
    form('signup', [
      ...hidden(page.csrf, page.request),
      ...inputs([
        { name: 'username', label: t.username, type: 'text', autocomplete: 'username', required: true, value: page.username, invalid: wrong === 'username' },
        { name: 'email', label: t.emailOptional, type: 'email', autocomplete: 'email', required: false, value: page.email, hint: t.emailHint, invalid: wrong === 'email' },
        {
          name: 'password', label: t.password, type: 'password', autocomplete: 'new-password', required: true,
          hint: t.passwordRule, minLength: PASSWORD_MIN_LENGTH, invalid: wrong === 'password',
        },
      ], notice !== ''),
      button('signup', t.signup.submit),
    ]),
    links([['authorize', page.query, t.signup.signIn]]),
  ]);
}

/** Asks for the account whose password to reset. */
export function renderForgot(page: RequestPage & { error?: ForgotError; retryAfter?: number }): string {
  const [locale, t] = stringsOf(page.locale);
  const { error } = page;
  const message = error === 'invalid' ? t.forgot.invalid
    : error === 'throttled' ? `${t.common.throttled} ${retryText(t, page.retryAfter)}`
    : error ? t.common[error] : undefined;
  const notice = alert([message]);
  return document(locale, t.forgot.title, [
    `<p>${e(t.forgot.intro)}</p>`,
    notice,
    form('forgot', [
      ...hidden(page.csrf, page.request),
      ...inputs([{ name: 'username', label: t.usernameOrEmail, type: 'text', autocomplete: 'username', required: true, invalid: error === 'invalid' }], notice !== ''),
      button('forgot', t.forgot.submit),
    ]),
    links([['authorize', page.query, t.backToSignIn]]),
  ]);
}

/** The same words whether or not the account exists, so the page tells nobody which accounts do. */
export function renderForgotSent(page: RequestPage): string {
  const [locale, t] = stringsOf(page.locale);
  return document(locale, t.forgotSent.title, [
    `<p>${e(t.forgotSent.body)}</p>`,
    `<p>${e(t.forgotSent.spam)}</p>`,
    links([['authorize', page.query, t.backToSignIn]]),
  ]);
}

/**
 * The new-password form a reset link opens. It belongs to no authorization request, so it links nowhere; an
 * invalid token shows no form, since sending it again cannot succeed.
 */
export function renderReset(page: { locale: Locale; csrf: string; token: string; error?: ResetError; detail?: string; done?: boolean }): string {
  const [locale, t] = stringsOf(page.locale);
  if (page.done) {
    return document(locale, t.reset.doneTitle, [`<div class="notice" role="status"><p>${e(t.reset.done)}</p></div>`]);
  }
  const { error } = page;
  const message = error === 'csrf' || error === 'unavailable' ? t.common[error] : error ? t.reset.errors[error] : undefined;
  const notice = alert([message, error ? page.detail : undefined]);
  if (error === 'invalid_token') return document(locale, t.reset.title, [notice]);
  return document(locale, t.reset.title, [
    notice,
    form('reset', [
      `<input type="hidden" name="token" value="${e(page.token)}">`,
      ...hidden(page.csrf, {}),
      ...inputs([{
        name: 'new_password', label: t.newPassword, type: 'password', autocomplete: 'new-password', required: true,
        hint: t.passwordRule, minLength: PASSWORD_MIN_LENGTH, invalid: error === 'weak_password',
      }], notice !== ''),
      button('reset', t.reset.submit),
    ]),
  ]);
}

/** Asks the user to let the client act for them within the listed scopes. */
export function renderConsent(page: RequestPage & { scopes: string[] }): string {
  const [locale, t] = stringsOf(page.locale);
  const known = t.consent.scopes;
  const items = page.scopes.map((scope) =>
    // hasOwn, so that a scope named "constructor" is shown by its name and not looked up on Object.prototype.
    Object.hasOwn(known, scope) ? `<li>${e(known[scope]!)}</li>` : `<li><code>${e(scope)}</code></li>`);
  return document(locale, t.consent.title, [
    `<p>${e(t.consent.intro(page.clientName))}</p>`,
    `<ul class="scopes">${items.join('')}</ul>`,
    form('authorize', [
      ...hidden(page.csrf, page.request),
      button('consent', t.consent.allow),
      button('deny', t.consent.deny, true),
    ]),
  ]);
}

/** An error that cannot go back to the client: it links nowhere, since where to is exactly what is in doubt. */
export function renderError(page: { locale: Locale; title: ErrorTitle; description?: string }): string {
  const [locale, t] = stringsOf(page.locale);
  const words = Object.hasOwn(t.errorPage, page.title) ? t.errorPage[page.title] : t.errorPage.bad_request;
  return document(locale, words.title, [
    `<p>${e(words.text)}</p>`,
    page.description ? `<p>${e(page.description)}</p>` : '',
  ]);
}

/** RP-initiated logout without a valid id_token_hint: the user confirms, so that no site can sign them out. */
export function renderLogoutConfirm(page: { locale: Locale; csrf: string; fields: Record<string, string> }): string {
  const [locale, t] = stringsOf(page.locale);
  return document(locale, t.logout.title, [
    `<p>${e(t.logout.intro)}</p>`,
    form('end-session', [...hidden(page.csrf, page.fields), button('logout', t.logout.submit)]),
  ]);
}

/** After a logout with nowhere registered to return to. */
export function renderSignedOut(page: { locale: Locale }): string {
  const [locale, t] = stringsOf(page.locale);
  return document(locale, t.signedOut.title, [`<p>${e(t.signedOut.text)}</p>`]);
}

// ---------------------------------------------------------------------------------------------------------
// The response
// ---------------------------------------------------------------------------------------------------------

const SCHEME_SOURCE = /^[a-z][a-z0-9+.-]*:$/i;
/** Schemes that run or embed content instead of naming a place to go. */
const UNSAFE_SCHEMES = new Set(['javascript:', 'data:', 'blob:', 'filesystem:', 'vbscript:']);
const HOST_SOURCE = /^https?:\/\/(?:\*\.)?[a-z0-9.-]+(?::\d{1,5})?$|^https?:\/\/\[[0-9a-f:.]+\](?::\d{1,5})?$/i;

/**
 * A redirect URI as a CSP source: browsers check form-action on the redirect that follows a POST, and match
 * only its origin there (CSP3 §6.7.2.8), so the origin is enough; a native app's private-use scheme (RFC 8252
 * §7.1) can only be named as a scheme. Anything else is a programming error: a `;` or a space in a host would
 * start another directive or source, and a `javascript:` source would only widen the policy.
 */
function formSource(target: string): string {
  let source = target;
  if (!SCHEME_SOURCE.test(target) && URL.canParse(target)) {
    const url = new URL(target);
    source = url.protocol === 'http:' || url.protocol === 'https:' ? url.origin : url.protocol;
  }
  const valid = SCHEME_SOURCE.test(source) ? !UNSAFE_SCHEMES.has(source.toLowerCase()) : HOST_SOURCE.test(source);
  if (!valid) {
    throw new RangeError('htmlPage: a form target must be an http(s) URL, an origin or a scheme');
  }
  return source;
}

const HTML_HEADERS = {
  'Content-Type': 'text/html; charset=utf-8',
  'Cache-Control': 'no-store',
  Pragma: 'no-cache',
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
} as const;

/** A page as a Lambda proxy answer: security headers, optional Set-Cookie lines, extra form-action targets. */
export function htmlPage(statusCode: number, html: string, options: { formTargets?: string[]; cookies?: string[]; headers?: Record<string, string> } = {}): HttpResponse {
  const formAction = [...new Set(["'self'", ...(options.formTargets ?? []).map(formSource)])].join(' ');
  const csp = `default-src 'none'; style-src ${STYLE_SOURCE}; form-action ${formAction}; frame-ancestors 'none'; base-uri 'none'`;
  const response: HttpResponse = {
    statusCode,
    headers: { ...HTML_HEADERS, 'Content-Security-Policy': csp, ...options.headers },
    body: html,
  };
  if (options.cookies && options.cookies.length > 0) response.multiValueHeaders = { 'Set-Cookie': [...options.cookies] };
  return response;
}
