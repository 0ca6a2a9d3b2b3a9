/**
 * Table 3: refresh and login on dynalite, through the real handlers (functions/refresh.ts, functions/login.ts),
 * each next to its floor in the same run: a refresh against one GetItem plus the signing of an access token,
 * a login against one argon2id verification plus its round trips (its own requests, replayed in their order and
 * overlap to replicas of the tables, with none of our code in between). Prints medians and
 * p99s, and what every operation asks of DynamoDB: requests, round trips on its critical path, and the
 * request units DynamoDB on-demand would bill.
 * Budgets: a refresh within 1.5x of one GetItem plus the signing; a login within 1.1x of its hash plus its
 * round trips. Run: npm run bench -- dynamo [--quick], or node scripts/run-ts.js bench/auth-latency.ts [ROUNDS] [--json]
 * (--json: the numbers bench/compare-auth.js reads).
 */
import { performance } from 'node:perf_hooks';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { hashPassword, verifyPassword } from '../lib/argon2';
import type { HttpResponse } from '../lib/http';
import { authorizerFor, bodyOf, createTestApp, httpHandlers, proxyEvent } from '../tests/support/app';
import { budgetTable, fixed, main, quick, report, summary, table, times, type Budget, type Summary } from './support/bench';
import { asLocalDynamo, startDynaliteProcess } from './support/dynalite-process';
import { createTables } from '../scripts/local-gateway/tables';
import { manifestResources } from '../tests/support/dynalite';
import { meterDynamo, replay, requestList, seedReplicas, timeInDynamo, type OperationCost } from './support/dynamo-meter';

const PASSWORD = 'correct horse battery staple';
/** RFC 2544 benchmarking addresses: one per login, so no bucket of the password guard ever fills. */
const address = (i: number) => `198.18.${Math.floor(i / 250) % 250}.${(i % 250) + 1}`;

function expectStatus(response: HttpResponse, status: number, what: string): HttpResponse {
  if (response.statusCode !== status) throw new Error(`${what}: ${response.statusCode} ${response.body}`);
  return response;
}

main(async () => {
  const json = process.argv.includes('--json');
  const rounds = Number(process.argv.find((arg) => /^\d+$/.test(arg)) ?? (quick() ? 60 : 300));
  const loginRounds = Math.max(20, Math.floor(rounds / 5));
  const dynamo = await startDynaliteProcess();
  try {
    // The real clock: the password guard's windows pass as they do in production.
    const app = await createTestApp(asLocalDynamo(dynamo), {}, { now: Date.now, seconds: () => Math.floor(Date.now() / 1000), advance: () => undefined });
    const handlers = httpHandlers(app.deps);
    const username = `bench-${Date.now()}`;
    const registered = bodyOf(expectStatus(await handlers.register(proxyEvent({ body: { username, password: PASSWORD } })), 201, 'register'));
    let refreshToken = registered.refresh_token as string;
    const refresh = async () => {
      const answer = expectStatus(await handlers.refresh(proxyEvent({ body: { refresh_token: refreshToken } })), 200, 'refresh');
      refreshToken = bodyOf(answer).refresh_token as string;
    };
    let logins = 0;
    const login = async (name = username, password = PASSWORD, status = 200) =>
      expectStatus(await handlers.login(proxyEvent({ body: { username: name, password }, sourceIp: address((logins += 1)) })), status, 'login');
    const stored = await hashPassword(PASSWORD);
    const getItem = () => dynamo.doc.send(new GetCommand({ TableName: dynamo.tables.SessionsTable, Key: { id: 'none' }, ConsistentRead: true }));
    const sign = () => app.tokens.issue({ sub: 'bench', scope: 'profile', sid: 'bench', clientId: 'default' });

    // What each operation asks of DynamoDB, counted once each on a warm app (every path has run before).
    const meter = meterDynamo(dynamo.doc, { indexedTables: [dynamo.tables.SessionsTable] });
    const costs: Record<string, OperationCost> = {};
    const count = async (name: string, work: () => Promise<unknown>) => {
      await work(); // warm
      costs[name] = await meter.measure(work);
    };
    await count('refresh (POST /auth/refresh)', refresh);
    await count('login (POST /auth/login)', () => login());
    await count('login, wrong password', () => login(username, 'not the password at all', 400));
    await count('login, unknown user', () => login(`nobody-${logins}`, PASSWORD, 400));
    let registrations = 0;
    await count('register (POST /auth/register)', async () =>
      expectStatus(await handlers.register(proxyEvent({ body: { username: `${username}-${(registrations += 1)}`, password: PASSWORD } })), 201, 'register'));
    const session = bodyOf(await login());
    const who = authorizerFor(session.access_token as string);
    await count('GET /me', async () => expectStatus(await handlers.me(proxyEvent({ httpMethod: 'GET', authorizer: who })), 200, 'me'));
    await count('GET /sessions', async () => expectStatus(await handlers.list(proxyEvent({ httpMethod: 'GET', authorizer: who })), 200, 'sessions'));
    // A logout needs a token of its own: the login that makes it is not counted.
    const { refresh_token: logoutToken } = bodyOf(await login());
    costs['POST /auth/logout (one session)'] = await meter.measure(async () =>
      expectStatus(await handlers.logout(proxyEvent({ body: { refresh_token: logoutToken } })), 204, 'logout'));
    meter.remove();

    const refreshCost = costs['refresh (POST /auth/refresh)']!;
    const loginCost = costs['login (POST /auth/login)']!;
    // Replays go to replicas of the tables (same schema, seeded with what the originals read), never to live items.
    const replicaNames = Object.fromEntries(Object.entries(dynamo.tables).map(([id, table]) => [id, `${table}-replay`]));
    await createTables(dynamo.endpoint, manifestResources(), replicaNames);
    const replicas = new Map(Object.entries(dynamo.tables).map(([id, table]) => [table!, replicaNames[id]!]));
    await seedReplicas(dynamo.doc, refreshCost.recorded, replicas);
    await seedReplicas(dynamo.doc, loginCost.recorded, replicas);

    // Timed: interleaved, so that drift falls on the floors and the operations alike, and paired: each iteration's
    // operation is divided by the floor measured in the same iteration. "Its requests alone" replays the requests
    // one warm run sent, in their order and overlap, with none of our code in between. The operations are timed
    // with a counter of the time a DynamoDB request is in flight (a middleware: two clock reads a request).
    const samples = {
      getItem: [] as number[], sign: [] as number[], refresh: [] as number[], refreshRequests: [] as number[],
      verify: [] as number[], login: [] as number[], loginRequests: [] as number[],
    };
    const inFlight = { refresh: [] as number[], login: [] as number[] };
    const time = async (into: number[], work: () => Promise<unknown>) => {
      const started = performance.now();
      await work();
      into.push(performance.now() - started);
    };
    const timeOperation = async <T>(name: 'refresh' | 'login', work: () => Promise<T>): Promise<T> => {
      const { result, inFlightMs, totalMs } = await timeInDynamo(dynamo.doc, work);
      samples[name].push(totalMs);
      inFlight[name].push(inFlightMs);
      return result;
    };
    // Each timed login's session ends after it (untimed): the user keeps the number of sessions the recorded
    // login saw, so that the query for sessions beyond the limit reads as much in every round.
    const loginThenLogout = async () => {
      const { refresh_token: token } = bodyOf(await timeOperation('login', () => login()));
      expectStatus(await handlers.logout(proxyEvent({ body: { refresh_token: token } })), 204, 'logout');
    };
    const inTurn = async (i: number, order: (() => Promise<unknown>)[]) => {
      for (const work of i % 2 ? order : [...order].reverse()) await work();
    };
    for (let i = 0; i < rounds; i += 1) {
      await inTurn(i, [
        () => time(samples.getItem, getItem),
        () => time(samples.sign, sign),
        () => timeOperation('refresh', refresh),
        () => time(samples.refreshRequests, () => replay(dynamo.doc, refreshCost.recorded, replicas)),
      ]);
    }
    for (let i = 0; i < loginRounds; i += 1) {
      await inTurn(i, [
        () => time(samples.verify, () => verifyPassword(stored, PASSWORD)),
        loginThenLogout,
        () => time(samples.loginRequests, () => replay(dynamo.doc, loginCost.recorded, replicas)),
      ]);
    }
    const s = Object.fromEntries(Object.entries(samples).map(([name, values]) => [name, summary(values)])) as Record<keyof typeof samples, Summary>;
    const part = (values: number[]) => summary(values).median;
    /** The median over iterations of the operation's time over its floor's, both measured in that iteration. */
    const paired = (operation: number[], floor: (i: number) => number) => part(operation.map((value, i) => value / floor(i)));
    const split = {
      refresh: { dynamo: part(inFlight.refresh), rest: part(samples.refresh.map((total, i) => total - inFlight.refresh[i]!)) },
      login: { dynamo: part(inFlight.login), rest: part(samples.login.map((total, i) => total - inFlight.login[i]!)) },
    };

    if (json) {
      // The shape bench/compare-auth.js reads (also from older commits' runs of this file).
      const requests = Object.fromEntries(Object.entries(costs).map(([name, cost]) => [name, cost.requests]));
      process.stdout.write(`${JSON.stringify({ rounds, ...s, requests })}\n`);
      return;
    }

    const refreshFloor = s.getItem.median + s.sign.median;
    const refreshOwnFloor = s.refreshRequests.median + s.sign.median;
    const loginFloor = s.verify.median + s.loginRequests.median;
    const loginGetItemFloor = s.verify.median + loginCost.roundTrips * s.getItem.median;
    const ratios = {
      refresh: paired(samples.refresh, (i) => samples.getItem[i]! + samples.sign[i]!),
      refreshOwn: paired(samples.refresh, (i) => samples.refreshRequests[i]! + samples.sign[i]!),
      login: paired(samples.login, (i) => samples.verify[i]! + samples.loginRequests[i]!),
      loginGetItem: paired(samples.login, (i) => samples.verify[i]! + loginCost.roundTrips * samples.getItem[i]!),
    };
    const row = (name: string, v: Summary, floor?: number, ratio?: number) => [name, fixed(v.median), fixed(v.p99), floor === undefined ? '' : fixed(floor), ratio === undefined ? '' : times(ratio)];
    const budgets: Budget[] = [
      { name: 'refresh / (one GetItem + signing)', measured: times(ratios.refresh), limit: '≤ 1.5x', pass: ratios.refresh <= 1.5 },
      { name: `login / (argon2id verify + its ${loginCost.roundTrips} round trips)`, measured: times(ratios.login), limit: '≤ 1.1x', pass: ratios.login <= 1.1 },
    ];
    const unknown = costs['login, unknown user']!;
    const wrong = costs['login, wrong password']!;
    const markdown = [
      `### Table 3. Refresh and login on dynalite (${rounds} refreshes, ${loginRounds} logins, through the real handlers, ms)`,
      '',
      table(['operation', 'median', 'p99', 'floor (median)', 'paired ratio'], [
        row('GetItem (consistent, one item)', s.getItem),
        row('sign an access token (ES256)', s.sign),
        row('refresh: its 2 requests alone (replayed)', s.refreshRequests),
        row('refresh, against one GetItem + signing', s.refresh, refreshFloor, ratios.refresh),
        row('refresh, against its own requests + signing', s.refresh, refreshOwnFloor, ratios.refreshOwn),
        row('argon2id verify (m=19 MiB, t=2, p=1)', s.verify),
        row(`login: its ${loginCost.total} requests alone (replayed)`, s.loginRequests),
        row('login, against verify + its requests', s.login, loginFloor, ratios.login),
        row(`login, against verify + ${loginCost.roundTrips} × GetItem`, s.login, loginGetItemFloor, ratios.loginGetItem),
      ], [1, 2, 3, 4]),
      '',
      '"paired ratio": the median, over iterations, of the operation\'s time divided by its floor\'s measured in the same iteration (next to each other, in alternating order), so that a moment of a busy machine falls on both.',
      '',
      `Floors: one GetItem and the signing of an access token, in the same run. "Its requests alone" sends the very requests one warm refresh or login sent to replicas of the tables (seeded with what they read; writes without their conditions, so that each writes as it did), in their order and overlap (${loginCost.roundTrips} round trips for a login), with none of our code and no hash in between: the time its round trips take on this emulator. dynalite is single-threaded: requests sent in parallel wait for each other there, which DynamoDB's partitions do not, and its writes cost it more than a GetItem.`,
      '',
      `Where the time goes (medians, from the timed runs): a refresh spends ${fixed(split.refresh.dynamo)} ms with a DynamoDB request in flight (the SDK client's own work included) and ${fixed(split.refresh.rest)} ms outside, in our code and the signing; a login ${fixed(split.login.dynamo)} ms with a request in flight and ${fixed(split.login.rest)} ms outside, of which the argon2id verification alone takes ${fixed(s.verify.median)} ms.`,
      '',
      'What each operation asks of DynamoDB (one warm run each; request units as DynamoDB on-demand bills them: a consistent read of an item under 4 KB is 1 RRU, a GSI query 0.5 RRU per 4 KB, a write 1 WRU per KB and 1 more on the bySub index for a session, a failed condition 1 WRU):',
      '',
      table(['operation', 'requests', 'total', 'round trips', 'RRU', 'WRU'], Object.entries(costs).map(([name, cost]) => [
        name, requestList(cost.requests), cost.total, cost.roundTrips, fixed(cost.readUnits, 1), fixed(cost.writeUnits, 1),
      ]), [2, 3, 4, 5]),
      '',
      `An unknown user and a wrong password ask the same of DynamoDB: ${requestList(unknown.requests)} against ${requestList(wrong.requests)}, ${unknown.roundTrips} against ${wrong.roundTrips} round trips.`,
      '',
      budgetTable(budgets),
      '',
    ].join('\n');
    report({ table: 'dynamo', title: 'Refresh and login on dynalite', markdown, budgets, data: { rounds, loginRounds, timings: s, ratios, split, costs: Object.fromEntries(Object.entries(costs).map(([name, { recorded, ...cost }]) => [name, cost])) } });
  } finally {
    await dynamo.stop();
  }
});
