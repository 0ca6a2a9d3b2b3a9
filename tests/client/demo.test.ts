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

  test('answers nothing else: no other file, no other method', async () => {
    const outside = await fetch(new URL('/../package.json', demo.url));
    const post = await fetch(demo.url, { method: 'POST' });

    expect(outside.status).toBe(404);
    expect(post.status).toBe(405);
  });

  test('refuses an API URL that is not http(s)', async () => {
    await expect(startDemoServer({ port: 0, apiUrl: 'javascript:alert(1)' })).rejects.toThrow(/API_URL/);
  });
});
