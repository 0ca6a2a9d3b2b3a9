/**
 * The hosted sign-in page in a real headless Chromium, driven from the demo page (examples/demo), which signs
 * in through it as the first-party client `demo` with its own PKCE code: in English and in Korean, single
 * sign-on for a second app of the same browser (at a loopback redirect URI, so through the consent screen that
 * RFC 8252 §8.6 asks for), the demo's end session, and the page's refusal to be framed.
 * Screenshots of the sign-in page go to test-artifacts/ (the README shows copies of them, in examples/screenshots/:
 * a test never writes to the sources).
 *
 * As tests/e2e/browser.test.ts: Debian's `chromium` (CHROMIUM_PATH to use another build), required in CI.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page, type Response as Navigation } from 'playwright-core';
import { decodeJwtPart, ROOT } from '../support/offline';
import { authorizationQuery, pkce } from '../support/oidc';
import { demoOrigin, demoPort, sharedServer, type SharedServer } from '../support/shared-servers';
import { PASSWORD, register, uniqueName } from './support';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const LAUNCH_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'];
const ARTIFACTS = path.join(ROOT, 'test-artifacts');

const available = fs.existsSync(CHROMIUM);
if (!available && process.env.CI) throw new Error(`no Chromium at ${CHROMIUM}: CI must install Debian's chromium (see .ci/run)`);
if (!available) console.warn(`tests/e2e/browser-oidc.test.ts skipped: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);
const inBrowser = available ? describe : describe.skip;

// A plain CommonJS script (npm run demo): required, not imported, as it has no types.
const { startDemoServer } = require('../../scripts/demo.js') as {
  startDemoServer(options: { port?: number; host?: string; apiUrl?: string }): Promise<{ url: string; close(): Promise<void> }>;
};

/** What a user of each language reads on the demo and on the hosted sign-in and consent pages (lib/pages.ts). */
const LANGUAGES = {
  en: { choice: 'English', heading: 'Sign in', username: 'Username', password: 'Password', consent: 'Allow access', allow: 'Allow', deny: 'Deny' },
  ko: { choice: '한국어', heading: '로그인', username: '사용자 이름', password: '비밀번호', consent: '접근 허용', allow: '허용', deny: '거부' },
} as const;
type Language = keyof typeof LANGUAGES;

/** The second app of tests/support/oidc.ts (port 80, which Chromium's resolver sends to this file's stand-in). */
const SECOND_APP = 'http://127.0.0.1/second';

inBrowser('the hosted sign-in page in Chromium, from the demo page', () => {
  let server: SharedServer;
  let browser: Browser;
  let demo: { url: string; close(): Promise<void> };
  let pageUrl: string;
  /** The second app's stand-in: what it was asked for (code, state and iss arrive in its query). */
  let secondServer: http.Server;
  const secondHits: string[] = [];

  beforeAll(async () => {
    server = await sharedServer('short');
    // The demo on localhost and its API on localhost too, as browser.test.ts has them; the hosted pages are at the
    // issuer, http://127.0.0.1:<port>, the address discovery names: another site, as a real provider is.
    demo = await startDemoServer({ port: 0, apiUrl: server.baseUrl.replace('127.0.0.1', 'localhost') });
    pageUrl = `${demoOrigin(demoPort())}/`;
    secondServer = http.createServer((request, response) => {
      secondHits.push(request.url ?? '');
      response.writeHead(200, { 'content-type': 'text/plain' }).end('the second app');
    });
    await new Promise<void>((resolve) => secondServer.listen(0, '127.0.0.1', resolve));
    // The `demo` client's redirect URI names the reserved port, where browser.test.ts may be serving its own demo
    // right now, and the second app's is on port 80: Chromium's resolver sends both to this file's servers, on
    // loopback all the same. (Playwright's routes cannot stand in: they never see the target of a redirect.)
    const rules = [`MAP localhost:${demoPort()} ${new URL(demo.url).host}`, `MAP 127.0.0.1:80 127.0.0.1:${(secondServer.address() as AddressInfo).port}`];
    browser = await chromium.launch({ executablePath: CHROMIUM, args: [...LAUNCH_ARGS, `--host-resolver-rules=${rules.join(', ')}`] });
    fs.mkdirSync(ARTIFACTS, { recursive: true });
  }, 130_000);
  afterAll(async () => {
    await browser?.close();
    await demo?.close();
    secondServer?.closeAllConnections();
    await new Promise((resolve) => (secondServer ? secondServer.close(resolve) : resolve(undefined)));
  });

  async function openDemo(context: BrowserContext): Promise<Page> {
    const page = await context.newPage();
    page.on('pageerror', (error) => {
      throw error;
    });
    await page.goto(pageUrl);
    return page;
  }

  /** The text of #id once it says `settled` or shows an error, so that a failure fails with the page's own words. */
  async function outcome(page: Page, id: string, settled: string): Promise<string> {
    await page.locator(`#${id}`).filter({ hasText: settled }).or(page.locator(`#${id}.error`)).waitFor();
    return page.locator(`#${id}`).innerText();
  }

  /** From the demo's button to the hosted page, in `language`: the page's lang, its heading, and its answer. */
  async function toHostedPage(page: Page, language: Language) {
    await page.getByLabel(LANGUAGES[language].choice).check();
    const [response] = await Promise.all([
      page.waitForResponse((answer) => answer.url().startsWith(`${server.issuer}/oauth/authorize?`) && answer.request().isNavigationRequest()),
      page.getByRole('button', { name: 'Sign in with the hosted page' }).click(),
    ]);
    await page.waitForLoadState('load');
    return {
      response,
      lang: await page.locator('html').getAttribute('lang'),
      heading: await page.getByRole('heading', { level: 1 }).innerText(),
    };
  }

  /** Types the password on the hosted page, by its labels, and presses Enter; back on the demo, signed in. */
  async function signIn(page: Page, language: Language, username: string): Promise<string> {
    await page.getByLabel(LANGUAGES[language].username, { exact: true }).fill(username);
    await page.getByLabel(LANGUAGES[language].password, { exact: true }).fill(PASSWORD);
    await page.getByLabel(LANGUAGES[language].password, { exact: true }).press('Enter');
    return outcome(page, 'oidc-status', `Signed in as ${username}`);
  }

  /** The requests a navigation's answer took, first to last, each as "METHOD url". */
  function hopsOf(response: Navigation | null): string[] {
    const hops: string[] = [];
    for (let request = response?.request() ?? null; request; request = request.redirectedFrom()) hops.unshift(`${request.method()} ${request.url()}`);
    return hops;
  }

  /** The second app's authorization request, in `page` (another tab of the same browser): where it lands. */
  async function secondApp(page: Page, extra: Record<string, string> = {}) {
    const { verifier, challenge } = pkce();
    const state = uniqueName('state');
    const query = authorizationQuery({
      response_type: 'code', client_id: 'oidc-second', redirect_uri: SECOND_APP, scope: 'openid', state, code_challenge: challenge, code_challenge_method: 'S256', ...extra,
    });
    const response = await page.goto(`${server.issuer}/oauth/authorize?${query}`);
    return { status: response?.status(), landed: new URL(page.url()), hops: hopsOf(response), verifier, state };
  }

  /** Presses "Allow" on the consent screen in `page`, by its role and name in `language`: where the browser lands. */
  async function allow(page: Page, language: Language) {
    const [response] = await Promise.all([
      page.waitForResponse((answer) => answer.url().startsWith(`${SECOND_APP}?`) && answer.request().isNavigationRequest()),
      page.getByRole('button', { name: LANGUAGES[language].allow, exact: true }).click(),
    ]);
    return { landed: new URL(page.url()), hops: hopsOf(response) };
  }

  const ssoCookie = async (context: BrowserContext) => (await context.cookies(`${server.issuer}/oauth/authorize`)).find((cookie) => cookie.name === 'jwt_auth_sso');

  test.each(['en', 'ko'] as const)('in %s: the demo sends the user to the hosted page in that language, and gets them back signed in', async (language) => {
    const { username } = await register(server, uniqueName('oidc'));
    const context = await browser.newContext({ viewport: { width: 720, height: 640 } });
    const page = await openDemo(context);

    const hostedPage = await toHostedPage(page, language);
    await page.screenshot({ path: path.join(ARTIFACTS, `login-${language}.png`), fullPage: true });
    const signedIn = await signIn(page, language, username);

    expect(hostedPage.response.status()).toBe(200);
    expect(new URL(hostedPage.response.url()).searchParams.get('ui_locales')).toBe(language);
    expect(hostedPage.lang).toBe(language); // ui_locales wins over the browser's en-US Accept-Language
    expect(hostedPage.heading).toBe(LANGUAGES[language].heading);
    expect(signedIn).toBe(`Signed in as ${username} through the hosted page.`);
    expect(page.url()).toBe(pageUrl); // the code is out of the address bar
    expect(JSON.parse(await page.locator('#oidc-userinfo').innerText())).toMatchObject({ preferred_username: username });
    expect(await page.evaluate<number>('sessionStorage.length')).toBe(0); // the verifier is spent and gone
    await page.screenshot({ path: path.join(ARTIFACTS, `demo-oidc-${language}.png`), fullPage: true });
    await context.close();
  }, 60_000);

  test('single sign-on: a second app of the browser, at a loopback redirect URI, signs in without the password once the user allows it (RFC 8252 §8.6), until the demo signs out everywhere', async () => {
    const { username, tokens } = await register(server, uniqueName('oidc'));
    const context = await browser.newContext();
    const demoTab = await openDemo(context);
    await toHostedPage(demoTab, 'en');
    await signIn(demoTab, 'en', username);
    const cookie = await ssoCookie(context);
    const appTab = await context.newPage();

    // Signed in already, and a redirect URI any app on the device could listen at: the consent screen, no password.
    const second = await secondApp(appTab);
    const screen = {
      lang: await appTab.locator('html').getAttribute('lang'),
      heading: await appTab.getByRole('heading', { level: 1 }).innerText(),
      deny: await appTab.getByRole('button', { name: LANGUAGES.en.deny, exact: true }).count(),
      passwordFields: await appTab.locator('input[type="password"]').count(),
      reachedApp: secondHits.some((hit) => hit.includes(second.state)),
    };
    const allowed = await allow(appTab, 'en');
    const code = allowed.landed.searchParams.get('code') ?? '';
    const exchanged = await server.request('POST', '/oauth/token', {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: SECOND_APP, client_id: 'oidc-second', code_verifier: second.verifier }).toString(),
    });
    const silentSignedIn = await secondApp(appTab, { prompt: 'none' });
    await demoTab.getByRole('button', { name: 'Sign out everywhere (end session)' }).click();
    const ended = await outcome(demoTab, 'oidc-status', 'Signed out everywhere');
    const cookieAfter = await ssoCookie(context);
    const silent = await secondApp(appTab, { prompt: 'none' });
    const refreshed = await server.request('POST', '/oauth/token', {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: String(exchanged.json?.refresh_token), client_id: 'oidc-second' }).toString(),
    });

    // Chromium keeps a Secure cookie of http://127.0.0.1 (a potentially trustworthy origin), as the SSO needs.
    expect(cookie && [cookie.name, cookie.domain, cookie.path, cookie.httpOnly, cookie.secure, cookie.sameSite]).toEqual(['jwt_auth_sso', '127.0.0.1', '/oauth', true, true, 'Lax']);
    // The consent screen at the provider, not a redirect: no code went to the loopback address before the user's say.
    expect(second.status).toBe(200);
    expect(second.hops).toEqual([expect.stringMatching(/^GET http:\/\/127\.0\.0\.1:\d+\/oauth\/authorize\?/)]);
    expect(`${second.landed.origin}${second.landed.pathname}`).toBe(`${server.issuer}/oauth/authorize`);
    expect(screen).toEqual({ lang: 'en', heading: LANGUAGES.en.consent, deny: 1, passwordFields: 0, reachedApp: false });
    // "Allow": the form's POST, then straight to the second app with a code; no password typed, still single sign-on.
    expect(allowed.hops).toEqual([expect.stringMatching(/^POST http:\/\/127\.0\.0\.1:\d+\/oauth\/authorize$/), expect.stringMatching(/^GET http:\/\/127\.0\.0\.1\/second\?/)]);
    expect(`${allowed.landed.origin}${allowed.landed.pathname}`).toBe(SECOND_APP);
    expect(secondHits).toContain(`${allowed.landed.pathname}${allowed.landed.search}`); // the app itself got the code
    expect(Object.fromEntries(allowed.landed.searchParams)).toEqual({ code: expect.any(String), state: second.state, iss: server.issuer });
    expect(exchanged.status).toBe(200);
    expect(exchanged.json.refresh_token).toEqual(expect.any(String));
    expect(decodeJwtPart(exchanged.json.id_token as string, 1)).toMatchObject({ aud: 'oidc-second', sub: decodeJwtPart(tokens.access_token, 1).sub });
    // prompt=none cannot show that screen: interaction_required while signed in, login_required once signed out.
    expect(Object.fromEntries(silentSignedIn.landed.searchParams)).toMatchObject({ error: 'interaction_required', state: silentSignedIn.state, iss: server.issuer });
    // The demo's end session: the browser's sign-in is over, and so is every session it started for any app.
    expect(ended).toBe('Signed out everywhere: the hosted page has forgotten this browser, and the sessions it started have ended.');
    expect(demoTab.url()).toBe(pageUrl);
    expect(cookieAfter).toBeUndefined();
    expect(Object.fromEntries(silent.landed.searchParams)).toMatchObject({ error: 'login_required', state: silent.state, iss: server.issuer });
    expect(refreshed.status).toBe(400);
    expect(refreshed.json.error).toBe('invalid_grant');
    await context.close();
  }, 60_000);

  test('the sign-in page forbids framing, and a page that frames it shows nothing of it', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const { challenge } = pkce();
    const url = `${server.issuer}/oauth/authorize?${authorizationQuery({
      response_type: 'code', client_id: 'oidc-second', redirect_uri: SECOND_APP, scope: 'openid', state: 's', code_challenge: challenge, code_challenge_method: 'S256',
    })}`;

    const response = await page.goto(url);
    const framer = await context.newPage();
    const [framed] = await Promise.all([
      framer.waitForResponse((answer) => answer.url() === url),
      framer.setContent(`<h1>Not the provider</h1><iframe src="${url.replace(/&/g, '&amp;')}" title="sign-in"></iframe>`),
    ]);

    expect(response?.status()).toBe(200);
    expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe('Sign in');
    expect(response?.headers()['x-frame-options']).toBe('DENY');
    expect(response?.headers()['content-security-policy']).toMatch(/(?:^|;)\s*frame-ancestors 'none'\s*(?:;|$)/);
    expect(framed.status()).toBe(200); // the server answered; the browser refused to show it in a frame
    // Chromium puts its own error page in the frame instead.
    expect(framer.frames().map((frame) => frame.url())).toEqual(['about:blank', 'chrome-error://chromewebdata/']);
    expect(await framer.frameLocator('iframe').locator('input, form').count()).toBe(0);
    await context.close();
  }, 30_000);
});
