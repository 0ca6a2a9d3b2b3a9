/**
 * Credentials under concurrency and abuse, over real HTTP against the local stack, with clients at distinct
 * loopback addresses (127.0.0.2, 127.0.0.3 …): the local gateway hands each function the client's own
 * address, as API Gateway does. The same rules, cheaper and exhaustively: tests/security/throttle.test.ts,
 * tests/functions/password.test.ts.
 */
import { THROTTLE } from '../../lib/throttle';
import type { HttpAnswer } from '../support/offline';
import { sharedServer, type SharedServer } from '../support/shared-servers';
import { expectContractError, PASSWORD, register, sidOf, uniqueName, type Tokens } from './support';

let server: SharedServer;
beforeAll(async () => {
  server = await sharedServer('standard');
}, 130_000);

const NEW_PASSWORD = 'an entirely new passphrase';
const WRONG = 'not the password at all';
/** A loopback address no other test of this file uses: a distinct client. */
let clients = 1;
const client = () => `127.0.${Math.floor((clients += 1) / 250)}.${(clients % 250) + 2}`;

const login = (username: string, password: string, from: string, extra: Record<string, unknown> = {}) =>
  server.request('POST', '/auth/login', { json: { username, password, ...extra }, from });
const refresh = (refreshToken: string, extra: Record<string, unknown> = {}) =>
  server.request('POST', '/auth/refresh', { json: { refresh_token: refreshToken, ...extra } });
const statuses = (answers: HttpAnswer[]) => answers.map((answer) => answer.status).sort();

test('1. after a password change, no refresh token obtained with the old password refreshes, whenever its login ran', async () => {
  // The race must really happen: on a busy machine the change can finish before any of the twenty logins gets
  // its tokens. Then the round proves little, and runs again with a new user (at most five rounds).
  let raced = 0;
  for (let round = 0; round < 5 && raced === 0; round += 1) {
    const { username, tokens: caller } = await register(server);
    const before = (await login(username, PASSWORD, client())).json as Tokens;

    const [changed, ...racing] = await Promise.all([
      server.request('POST', '/auth/password', { json: { password: PASSWORD, new_password: NEW_PASSWORD }, bearer: caller.access_token, from: client() }),
      ...Array.from({ length: 20 }, () => login(username, PASSWORD, client())),
    ]);
    const obtained = [before, ...racing.filter((answer) => answer.status === 200).map((answer) => answer.json as Tokens)];
    const refreshed = await Promise.all(obtained.map((tokens) => refresh(tokens.refresh_token)));
    const own = await refresh(caller.refresh_token);

    expect(changed.status).toBe(204);
    for (const answer of refreshed) expectContractError(answer, 400, 'invalid_grant');
    expect(own.status).toBe(200);
    expect((await login(username, NEW_PASSWORD, client())).status).toBe(200);
    raced = obtained.length - 1;
  }
  expect(raced).toBeGreaterThan(0);
}, 60_000);

test('2. twenty wrong passwords sent at once from one address get at most five checks; the rest 429 with Retry-After', async () => {
  const { username } = await register(server);
  const attacker = client();

  const burst = await Promise.all(Array.from({ length: 20 }, () => login(username, WRONG, attacker)));

  expect(statuses(burst)).toEqual([...Array(THROTTLE.perAccountAddress).fill(400), ...Array(20 - THROTTLE.perAccountAddress).fill(429)]);
  for (const answer of burst.filter((a) => a.status === 429)) {
    expectContractError(answer, 429, 'slow_down');
    expect(Number(answer.headers['retry-after'])).toBeGreaterThan(0);
  }
});

test('3. no stranger locks the owner out: the lock is per account and address; spraying one address across accounts is stopped; unknown names count alike', async () => {
  const { username } = await register(server);
  const attacker = client();
  await Promise.all(Array.from({ length: 20 }, () => login(username, WRONG, attacker)));
  const sprayer = client();
  const victims = await Promise.all(Array.from({ length: THROTTLE.perAddress + 1 }, () => register(server)));
  const nobody = uniqueName('nobody');
  const [knownProbe, unknownProbe] = [client(), client()];

  const attackerWithRightPassword = await login(username, PASSWORD, attacker);
  const owner = await login(username, PASSWORD, client());
  const sprayed = await Promise.all(victims.map((victim) => login(victim.username, WRONG, sprayer)));
  const known: Awaited<ReturnType<typeof login>>[] = [];
  const unknown: typeof known = [];
  for (let i = 0; i <= THROTTLE.perAccountAddress; i += 1) {
    known.push(await login(username, WRONG, knownProbe));
    unknown.push(await login(nobody, WRONG, unknownProbe));
  }

  expectContractError(attackerWithRightPassword, 429, 'slow_down');
  expect(owner.status).toBe(200);
  expect(statuses(sprayed)).toEqual([...Array(THROTTLE.perAddress).fill(400), 429]);
  // Alike but for the clock: a refusal's wait is in whole seconds, and the two probes may be a second apart.
  const alike = (answer: (typeof known)[number]) => [answer.status, JSON.parse(JSON.stringify(answer.json).replace(/retry in \d+ seconds/, 'retry in N seconds'))];
  const waits = (answers: typeof known) => answers.map((answer) => Number(answer.headers['retry-after'] ?? 0));
  expect(unknown.map(alike)).toEqual(known.map(alike));
  waits(unknown).forEach((wait, i) => expect(Math.abs(wait - waits(known)[i]!)).toBeLessThanOrEqual(1));
});

test('4. sensitive actions: the sessions scope, the throttled current password, and the client a session belongs to', async () => {
  const { username, tokens } = await register(server);
  const narrowed = (await refresh(tokens.refresh_token, { scope: 'profile' })).json as Tokens;
  const mobile = (await login(username, PASSWORD, client(), { client_id: 'mobile-app' })).json as Tokens;
  const thief = client();

  const changeWithProfile = await server.request('POST', '/auth/password', { json: { password: PASSWORD, new_password: NEW_PASSWORD }, bearer: narrowed.access_token });
  const logoutAllWithProfile = await server.request('POST', '/auth/logout', { json: { all: true }, bearer: narrowed.access_token });
  const guesses = await Promise.all(
    Array.from({ length: 20 }, () =>
      server.request('POST', '/auth/password', { json: { password: WRONG, new_password: NEW_PASSWORD }, bearer: tokens.access_token, from: thief }),
    ),
  );
  const unnamed = await refresh(mobile.refresh_token);
  const named = await refresh(mobile.refresh_token, { client_id: 'mobile-app' });

  expectContractError(changeWithProfile, 403, 'insufficient_scope');
  expectContractError(logoutAllWithProfile, 403, 'insufficient_scope');
  expect(statuses(guesses)).toEqual([...Array(THROTTLE.perAccountAddress).fill(400), ...Array(20 - THROTTLE.perAccountAddress).fill(429)]);
  expectContractError(unnamed, 400, 'invalid_grant');
  expect(named.status).toBe(200);
});

test('5. a login beyond MAX_SESSIONS_PER_USER (30 on this server) ends the oldest session', async () => {
  const max = Number(server.env.MAX_SESSIONS_PER_USER);
  const { username, tokens: oldest } = await register(server);
  const from = client();
  const logins: Tokens[] = [];
  for (let i = 0; i < max; i += 1) logins.push((await login(username, PASSWORD, from)).json);

  const listed = await server.request('GET', '/sessions', { bearer: logins[max - 1]!.access_token });
  const oldestRefresh = await refresh(oldest.refresh_token);

  expect(listed.json.sessions).toHaveLength(max);
  expect(listed.json.sessions.map((session: { id: string }) => session.id)).not.toContain(sidOf(oldest));
  expectContractError(oldestRefresh, 400, 'invalid_grant');
});

test('6. identifiers and passwords: look-alike and invisible names, and common passwords, are refused; names in one script are welcome', async () => {
  const suffix = String(Date.now() % 1_000_000);
  const attempts = await Promise.all([
    server.request('POST', '/auth/register', { json: { username: `p\u0430ypal${suffix}`, password: PASSWORD } }), // Cyrillic а
    server.request('POST', '/auth/register', { json: { username: `admin\u200B${suffix}`, password: PASSWORD } }), // zero-width space
    server.request('POST', '/auth/register', { json: { username: uniqueName('common'), password: 'qwerty123' } }),
    server.request('POST', '/auth/register', { json: { username: `김민준${suffix}`, password: PASSWORD } }),
    server.request('POST', '/auth/register', { json: { username: `Александр${suffix}`, password: PASSWORD } }),
  ]);

  expect(attempts.map((answer) => [answer.status, answer.json.error])).toEqual([
    [400, 'invalid_request'],
    [400, 'invalid_request'],
    [400, 'invalid_request'],
    [201, undefined],
    [201, undefined],
  ]);
});
