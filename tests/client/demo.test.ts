interface Demo {
  url: string;
  apiUrl: string;
  close(): Promise<void>;
}
// A plain CommonJS script (npm run demo): required, not imported, as it has no types.
const { startDemoServer } = require('../../scripts/demo.js') as {
  startDemoServer(options: { port?: number; host?: string; apiUrl?: string }): Promise<Demo>;
};

describe('demo server', () => {
  let demo: Demo;
  beforeAll(async () => {
    demo = await startDemoServer({ port: 0, apiUrl: 'http://localhost:4999/' });
  }, 60_000);
  afterAll(() => demo.close());

  test('serves the page on loopback, with the API URL filled in and a strict content security policy', async () => {
    const response = await fetch(demo.url);
    const html = await response.text();

    expect(demo.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(html).toContain('<meta name="api-url" content="http://localhost:4999">');
    // Every form control has a label.
    const ids = [...html.matchAll(/<input id="([^"]+)"/g)].map((match) => match[1]);
    expect(ids.length).toBeGreaterThan(4);
    for (const id of ids) expect(html).toContain(`<label for="${id}"`);
  });

  test('serves the page\'s script, its stylesheet and the built client as modules', async () => {
    const get = (file: string) => fetch(new URL(file, demo.url));
    const [app, style, client] = await Promise.all([get('app.js'), get('style.css'), get('client.js')]);

    expect([app.status, style.status, client.status]).toEqual([200, 200, 200]);
    expect(await app.text()).toContain("from './client.js'");
    expect(style.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(await client.text()).toMatch(/export\s*\{[^}]*createAuthClient/);
  });

  test('serves the same page at the paths of the API\'s message links, with its policy, and reflects nothing of the query', async () => {
    const home = await (await fetch(demo.url)).text();
    const links = ['/verify-email?token=abc%3Cscript%3E', '/reset-password?token=%22%3E%3Cb%3E'];
    const responses = await Promise.all(links.map((link) => fetch(new URL(link, demo.url))));

    for (const response of responses) {
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(response.headers.get('content-security-policy')).toContain("default-src 'none'; script-src 'self'");
      expect(response.headers.get('referrer-policy')).toBe('no-referrer'); // the token in the URL goes nowhere
      expect(await response.text()).toBe(home);
    }
    // Absolute, so that the page loads its script and style from any of its paths.
    expect(home).toContain('<script type="module" src="/app.js">');
    expect(home).toContain('<link rel="stylesheet" href="/style.css">');
  });

  test('answers nothing else: no other file, no other method', async () => {
    const others = ['/../package.json', '/verify-email/', '/reset-password/x', '/reset-password.html', '/index.html', '/scripts/demo.js'];
    const outside = await Promise.all(others.map((other) => fetch(new URL(other, demo.url))));
    const posts = await Promise.all(['/', '/verify-email', '/reset-password'].map((route) => fetch(new URL(route, demo.url), { method: 'POST' })));

    expect(outside.map((response) => response.status)).toEqual(others.map(() => 404));
    expect(posts.map((response) => response.status)).toEqual([405, 405, 405]);
  });

  test('refuses an API URL that is not http(s)', async () => {
    await expect(startDemoServer({ port: 0, apiUrl: 'javascript:alert(1)' })).rejects.toThrow(/API_URL/);
  });
});
