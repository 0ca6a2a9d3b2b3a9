/**
 * CORS and cookie mode on the wire of the local server (the gateway in scripts/local-gateway in front of
 * serverless-offline), without a browser: what a configured origin gets, what any other origin does not,
 * and the Set-Cookie headers as they leave the server. tests/e2e/browser.test.ts shows a real browser
 * acting on them.
 */
import { parseSetCookie } from 'cookie';
import { demoOrigin, demoPort, sharedServer, type SharedServer } from '../support/shared-servers';
import { PASSWORD, uniqueName } from './support';

let server: SharedServer;
let allowed: string;
beforeAll(async () => {
  server = await sharedServer('short');
  allowed = demoOrigin(demoPort());
}, 130_000);

const FOREIGN = 'https://evil.example';
const corsHeaders = (headers: Record<string, unknown>) => Object.keys(headers).filter((name) => name.startsWith('access-control-')).sort();
const setCookies = (headers: Record<string, unknown>) => ((headers['set-cookie'] as string[] | undefined) ?? []).map((line) => parseSetCookie(line));

test('a configured origin gets CORS with credentials on answers, preflights and the gateway\'s 401; any other origin none it can use', async () => {
  const requests = (origin: string) =>
    Promise.all([
      server.request('POST', '/auth/login', { json: { username: uniqueName('nobody'), password: PASSWORD }, headers: { origin } }),
      server.request('OPTIONS', '/auth/refresh', {
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,refresh-token-transport' },
      }),
      server.request('GET', '/me', { bearer: 'not-a-token', headers: { origin } }),
    ]);

  const [answer, preflight, refused] = await requests(allowed);
  const foreign = await requests(FOREIGN);

  // (serverless-offline answers every preflight 200 where our preflight function says 204: both let it pass.)
  const statuses = (replies: { status: number }[]) => replies.map(({ status }) => (status === 200 ? 204 : status));
  expect(statuses([answer, preflight, refused])).toEqual([400, 204, 401]);
  for (const { headers } of [answer, preflight, refused]) {
    expect(headers['access-control-allow-origin']).toBe(allowed);
    expect(headers['access-control-allow-credentials']).toBe('true');
  }
  expect(String(preflight.headers['access-control-allow-headers']).toLowerCase()).toContain('refresh-token-transport');
  expect(statuses(foreign)).toEqual([400, 204, 401]);
  expect(foreign.slice(0, 2).map((reply) => corsHeaders(reply.headers))).toEqual([[], []]);
  // A gateway response cannot choose an origin: it names the one configured origin, which a browser on
  // any other origin does not match.
  expect(foreign[2]!.headers['access-control-allow-origin']).toBe(allowed);
});

test('cookie mode: login sets both cookies, refresh rotates them from the cookie, logout clears them', async () => {
  const cookieMode = { 'refresh-token-transport': 'cookie', origin: allowed };
  const registered = await server.request('POST', '/auth/register', { json: { username: uniqueName('cookie'), password: PASSWORD }, headers: cookieMode });
  const issued = setCookies(registered.headers);
  const jar = issued.map(({ name, value }) => `${name}=${value}`).join('; ');

  const refreshed = await server.request('POST', '/auth/refresh', { json: {}, headers: { ...cookieMode, cookie: jar } });
  const rotated = setCookies(refreshed.headers);
  const loggedOut = await server.request('POST', '/auth/logout', {
    json: {},
    headers: { ...cookieMode, cookie: rotated.map(({ name, value }) => `${name}=${value}`).join('; ') },
  });
  const spent = await server.request('POST', '/auth/refresh', { json: {}, headers: { ...cookieMode, cookie: jar } });

  expect(registered.status).toBe(201);
  expect(registered.json).not.toHaveProperty('refresh_token');
  expect(issued.map(({ name, path, httpOnly, secure, sameSite }) => ({ name, path, httpOnly, secure, sameSite }))).toEqual([
    { name: 'jwt_auth_refresh', path: '/auth/refresh', httpOnly: true, secure: true, sameSite: 'strict' },
    { name: 'jwt_auth_logout', path: '/auth/logout', httpOnly: true, secure: true, sameSite: 'strict' },
  ]);
  expect(issued.map(({ maxAge }) => maxAge)).toEqual([1_209_600, 1_209_600]);
  expect(refreshed.status).toBe(200);
  expect(rotated.map(({ value }) => value)).toEqual([rotated[0]!.value, rotated[0]!.value]);
  expect(rotated[0]!.value).not.toBe(issued[0]!.value);
  expect(loggedOut.status).toBe(204);
  expect(setCookies(loggedOut.headers).map(({ name, value, maxAge }) => [name, value, maxAge])).toEqual([
    ['jwt_auth_refresh', '', 0],
    ['jwt_auth_logout', '', 0],
  ]);
  expect(spent.status).toBe(400); // the session is over
});
