/**
 * The demo page (examples/demo, `npm run demo`) in a real headless Chromium, served from another origin
 * than the API (the shared server with 2 s access tokens, whose CORS_ORIGINS name the demo's port): CORS
 * end to end with preflights and credentials, the gateway's own 401 read by the page, cookie mode's
 * HttpOnly cookie, two tabs sharing one refresh, and an account's recovery through the links of the messages
 * the server writes to its outbox. Screenshots go to test-artifacts/.
 *
 * Debian's `chromium` (CHROMIUM_PATH to use another build); `.ci/run` installs it. Without it this file
 * fails in CI and is skipped, with a warning, elsewhere.
 */
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { ROOT } from '../support/offline';
import { createOutbox } from '../support/outbox';
import { demoPort, sharedServer, type SharedServer } from '../support/shared-servers';
import { PASSWORD, uniqueName } from './support';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const LAUNCH_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'];
const ARTIFACTS = path.join(ROOT, 'test-artifacts');
const TTL_MS = 2000;

const available = fs.existsSync(CHROMIUM);
if (!available && process.env.CI) throw new Error(`no Chromium at ${CHROMIUM}: CI must install Debian's chromium (see .ci/run)`);
if (!available) console.warn(`tests/e2e/browser.test.ts skipped: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);
const inBrowser = available ? describe : describe.skip;

// A plain CommonJS script (npm run demo): required, not imported, as it has no types.
const { startDemoServer } = require('../../scripts/demo.js') as {
  startDemoServer(options: { port?: number; host?: string; apiUrl?: string }): Promise<{ url: string; close(): Promise<void> }>;
};

/**
 * What the page asked of the API, as the browser sent it. (Chromium does not report CORS preflights to
 * Playwright: that a cross-origin request with Authorization or Refresh-Token-Transport was sent at all is
 * what shows its preflight passed.)
 */
interface Traffic {
  refreshes: { body: string | null; headers: Record<string, string> }[];
  refusedMe: number;
}

function watch(context: BrowserContext, apiUrl: string): Traffic {
  const traffic: Traffic = { refreshes: [], refusedMe: 0 };
  context.on('request', (request) => {
    if (!request.url().startsWith(apiUrl)) return;
    const route = new URL(request.url()).pathname;
    if (request.method() === 'POST' && route === '/auth/refresh') traffic.refreshes.push({ body: request.postData(), headers: request.headers() });
  });
  context.on('response', (response) => {
    if (response.url() === `${apiUrl}/me` && response.status() === 401) traffic.refusedMe += 1;
  });
  return traffic;
}

inBrowser('the demo page in Chromium, on another origin than the API', () => {
  let server: SharedServer;
  let browser: Browser;
  let demo: { url: string; close(): Promise<void> };
  let apiUrl: string;
  let pageUrl: string;

  beforeAll(async () => {
    server = await sharedServer('short');
    // Same site, other origins: the page on localhost:<demo>, the API on localhost:<api> (cookie mode needs one site).
    apiUrl = server.baseUrl.replace('127.0.0.1', 'localhost');
    demo = await startDemoServer({ port: demoPort(), apiUrl });
    pageUrl = `http://localhost:${demoPort()}/`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
    fs.mkdirSync(ARTIFACTS, { recursive: true });
  }, 130_000);
  afterAll(async () => {
    await browser?.close();
    await demo?.close();
  });

  const text = (page: Page, id: string) => page.locator(`#${id}`).innerText();
  async function openDemo(context: BrowserContext, settings?: { mode: 'header' | 'cookie'; skew: number }): Promise<Page> {
    const page = await context.newPage();
    page.on('pageerror', (error) => {
      throw error;
    });
    await page.goto(pageUrl);
    if (settings) {
      await page.locator(`input[name="mode"][value="${settings.mode}"]`).check();
      await page.locator('#skew').fill(String(settings.skew));
      await page.getByRole('button', { name: 'Apply' }).click();
      await page.locator('#status').filter({ hasText: `${settings.mode} mode` }).waitFor();
    }
    return page;
  }
  async function register(page: Page, email?: string): Promise<string> {
    const username = uniqueName('browser');
    await page.locator('#username').fill(username);
    await page.locator('#password').fill(PASSWORD);
    if (email) await page.locator('#email').fill(email);
    await page.getByRole('button', { name: 'Register' }).click();
    await page.locator('#status').filter({ hasText: 'Registered and signed in' }).waitFor();
    return username;
  }
  /**
   * The text of #id once it says `settled` or shows an error, so that a failure fails with the page's own
   * words rather than a timeout. With an action: what it says after that action, not before.
   */
  async function outcome(page: Page, id: string, settled: string | RegExp, action?: () => Promise<void>): Promise<string> {
    if (action) {
      await page.locator(`#${id}`).evaluate((element) => {
        element.textContent = '';
        element.classList.remove('error');
      });
      await action();
    }
    await page.locator(`#${id}`).filter({ hasText: settled }).or(page.locator(`#${id}.error`)).waitFor();
    return text(page, id);
  }
  /** Clicks GET /me and waits for its answer on the page. */
  async function callMe(page: Page, username: string): Promise<void> {
    await page.locator('#me-result').evaluate((element) => {
      element.textContent = '';
    });
    await page.locator('#me').click();
    await page.locator('#me-result').filter({ hasText: /\S/ }).waitFor();
    expect(await text(page, 'me-result')).toContain(`"username": "${username}"`);
  }

  test.each(['header', 'cookie'] as const)(
    '%s mode: registers, calls /me, and across an expiry reads the gateway\'s 401 and refreshes once',
    async (mode) => {
      const context = await browser.newContext();
      const traffic = watch(context, apiUrl);
      // A negative skew uses the token past its expiry: the API refuses it, and the page must read that 401.
      const page = await openDemo(context, { mode, skew: -5 });
      const username = await register(page);
      await callMe(page, username);
      // Counted from here: on a slow machine the first token may already have run out before that first call.
      traffic.refreshes.length = 0;
      traffic.refusedMe = 0;
      await page.waitForTimeout(TTL_MS + 500);

      await callMe(page, username);

      expect(traffic.refusedMe).toBe(1); // the gateway's own 401, readable cross-origin
      expect(traffic.refreshes).toHaveLength(1);
      expect(await text(page, 'log')).toContain('Reactive refresh');
      // Page code, as strings: the tests are compiled without the DOM's types.
      const stored = await page.evaluate<string | null>(`localStorage.getItem(${JSON.stringify(`jwt-auth-demo:${mode}:${apiUrl}`)})`);
      if (mode === 'cookie') {
        const cookies = await context.cookies(apiUrl + '/auth/refresh');
        expect(cookies.map((cookie) => [cookie.name, cookie.httpOnly, cookie.secure, cookie.sameSite, cookie.path])).toEqual([
          ['jwt_auth_refresh', true, true, 'Strict', '/auth/refresh'],
        ]);
        expect(traffic.refreshes[0]!.headers['refresh-token-transport']).toBe('cookie');
        expect(traffic.refreshes[0]!.body).not.toContain('refresh_token');
        expect(await page.evaluate<string>('document.cookie')).toBe(''); // HttpOnly: the page's script cannot see it
        expect(JSON.parse(stored ?? '{}')).toEqual({ session: true, id: expect.any(String), at: expect.any(Number) }); // a flag, never the token
      } else {
        expect(JSON.parse(traffic.refreshes[0]!.body ?? '{}')).toHaveProperty('refresh_token');
        expect(JSON.parse(stored ?? '{}')).toHaveProperty('refresh_token');
        expect(await context.cookies(apiUrl)).toEqual([]);
      }
      await page.screenshot({ path: path.join(ARTIFACTS, `demo-${mode}-mode.png`), fullPage: true });
      await context.close();
    },
    60_000,
  );

  test('two tabs across an expiry spend one refresh token between them', async () => {
    const context = await browser.newContext();
    const traffic = watch(context, apiUrl);
    // Tokens used until the API refuses them: both tabs then need a new one at once, whatever the timing.
    const first = await openDemo(context, { mode: 'header', skew: -5 });
    const username = await register(first);
    const second = await openDemo(context); // same settings and storage: it picks the session up
    await second.locator('#who').filter({ hasText: 'Signed in' }).waitFor();
    await first.waitForTimeout(TTL_MS + 500);
    traffic.refreshes.length = 0;
    traffic.refusedMe = 0;

    await Promise.all([callMe(first, username), callMe(second, username)]);

    // The expired token is refused once or twice (the second tab may ask only after the first's new token
    // reached it), and one refresh serves both: no refresh token is ever presented twice. (On a busy machine
    // the new 2 s token may itself expire before both calls are done; its own refresh then spends the next
    // token, once.)
    const spent = traffic.refreshes.map((request) => (JSON.parse(request.body ?? '{}') as { refresh_token?: string }).refresh_token);
    expect(traffic.refusedMe).toBeGreaterThanOrEqual(1);
    expect(spent.length).toBeGreaterThanOrEqual(1);
    expect(new Set(spent).size).toBe(spent.length);
    expect(`${await text(first, 'log')}\n${await text(second, 'log')}`).toContain('Token from another tab');
    await context.close();
  }, 60_000);

  test('recovery through the page: verify the address from the message\'s link, forget the password, reset it from the link, log in with it, delete the account', async () => {
    const outbox = createOutbox(path.join(server.dataDir, 'outbox'));
    // The messages link to the demo of the server's configuration (localhost:3100 by default): this one runs elsewhere.
    const linkTo = (route: string, token: string) => `http://localhost:${demoPort()}${route}?token=${encodeURIComponent(token)}`;
    const newPassword = 'a brand new passphrase';
    const email = `${uniqueName('browser')}@example.com`;
    const context = await browser.newContext();
    const page = await openDemo(context);
    const username = await register(page, email);
    const verification = await outbox.latest(email, 'verify_email');

    await page.goto(linkTo('/verify-email', verification.token));
    const verified = await outcome(page, 'link-status', 'Email address verified');
    const verifiedUrl = page.url();
    const verifiedHtml = await page.content();

    // Signed out, as someone who forgot their password is. (Still signed in, the client's refresh at page load,
    // which first waits up to a second for another tab's token, can fail after the new login and end it too.)
    const loggedOut = await outcome(page, 'status', 'Logged out', () => page.getByRole('button', { name: 'Log out', exact: true }).click());
    await page.locator('#username').fill(username);
    const forgot = await outcome(page, 'status', /\S/, () => page.getByRole('button', { name: 'Forgot password' }).click());
    const reset = await outbox.latest(email, 'reset_password');
    await page.goto(linkTo('/reset-password', reset.token));
    await page.locator('#new-password').fill(newPassword);
    const changed = await outcome(page, 'link-status', 'log in with your new password', () =>
      page.getByRole('button', { name: 'Set the new password' }).click(),
    );
    const resetUrl = page.url();

    await page.locator('#username').fill(username);
    await page.locator('#password').fill(newPassword);
    const loggedIn = await outcome(page, 'status', 'Signed in as', () => page.getByRole('button', { name: 'Log in' }).click());
    await callMe(page, username);
    const me = await text(page, 'me-result');

    await page.getByRole('button', { name: 'Delete account' }).click();
    await page.locator('#delete-password').fill(newPassword);
    const deleted = await outcome(page, 'status', 'Account deleted', () => page.getByRole('button', { name: 'Delete it for good' }).click());

    expect(new URL(verification.link).pathname).toBe('/verify-email'); // the paths the demo serves
    expect(new URL(reset.link).pathname).toBe('/reset-password');
    expect(verified).toContain('Email address verified');
    // Read, then gone from the address bar and the page.
    expect(verifiedUrl).toBe(`http://localhost:${demoPort()}/verify-email`);
    expect(verifiedHtml).not.toContain(verification.token);
    expect(loggedOut).toBe('Logged out.');
    // The server's one answer to every reset request, passed on as it is.
    const answer = await server.request('POST', '/auth/password/forgot', { json: { username: uniqueName('nobody') } });
    expect(forgot).toBe(answer.json.message);
    expect(changed).toContain('Password changed');
    expect(resetUrl).toBe(`http://localhost:${demoPort()}/reset-password`);
    expect(loggedIn).toBe(`Signed in as ${username}.`);
    expect(me).toContain('"email_verified": true');
    expect(deleted).toContain('Account deleted');
    expect(await text(page, 'who')).toBe('Not signed in (the account was deleted).');
    expect(await page.evaluate<string | null>(`localStorage.getItem(${JSON.stringify(`jwt-auth-demo:header:${apiUrl}`)})`)).toBeNull();
    expect((await server.request('POST', '/auth/login', { json: { username, password: newPassword } })).status).toBe(400);
    await page.screenshot({ path: path.join(ARTIFACTS, 'demo-recovery.png'), fullPage: true });
    await context.close();
  }, 60_000);
});
