/**
 * Table 4: load. autocannon against `npm start` (serverless offline with the local gateway plugin, spawned
 * on free ports with its own DATA_DIR) on GET /me through the authorizer, valid and forged tokens at once,
 * for 30 seconds: requests per second, p99 latency, errors, and the resident memory of the whole process
 * tree (offline, the dynalite and gateway it runs in-process, esbuild's service), sampled from /proc.
 * Then how much of the CPU the tree spent is ours: the authorizer and the /me handler measured alone, in
 * this process, and dynalite's GetItem measured alone, against the tree's CPU per request.
 * Budgets: zero errors; the tree under 1 GB; no more than 10% growth from the first to the last ten seconds.
 * Run: npm run bench -- load [--quick] [--duration SECONDS]
 */
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { decodeProtectedHeader, generateKeyPair, SignJWT } from 'jose';
import { makeAuthorizerHandler } from '../functions/authorizer';
import { loadVerifierConfig } from '../lib/config';
import { generateSigningJwk, loadKeyRing, loadPublicKeyRing } from '../lib/keys';
import { createTokenService } from '../lib/tokens';
import { createVerifierDeps } from '../lib/verifier-deps';
import { authorizerFor, createTestApp, httpHandlers, proxyEvent } from '../tests/support/app';
import { apiRequest } from '../tests/support/offline';
import { budgetTable, fixed, main, median, option, quick, report, table, timeOnce, times, type Budget } from './support/bench';
import { asLocalDynamo, startDynaliteProcess } from './support/dynalite-process';
import { startOffline } from './support/offline-process';
import { cpuSeconds, sampleTree, type TreeSample } from './support/proc';

const MB = 1024 * 1024;
const CONNECTIONS = 5; // per kind of token

/** The authorizer handler alone, in this process, on a valid and on a forged ES256 token (as table 1 times it). */
async function authorizerAlone(calls: number) {
  const issuer = 'https://auth.bench.example';
  const jwk = await generateSigningJwk('ES256');
  const ring = await loadKeyRing(JSON.stringify({ keys: [jwk] }), 'ES256');
  const publicJwks = JSON.stringify({ keys: ring.publicJwks });
  const config = loadVerifierConfig({ ISSUER: issuer, PUBLIC_JWKS: publicJwks });
  const deps = createVerifierDeps({ config, keys: await loadPublicKeyRing(publicJwks, 'ES256') });
  const handler = makeAuthorizerHandler(async () => deps);
  const token = (await createTokenService({ ...config, accessTokenTtl: 900 }, ring).issue({ sub: 's', scope: 'profile', sid: 'x', clientId: 'default' })).accessToken;
  const forged = await forge(token);
  const event = (bearer: string) => ({ type: 'TOKEN' as const, authorizationToken: `Bearer ${bearer}`, methodArn: 'arn:aws:execute-api:us-east-1:1:a/local/GET/me' });
  const [valid, invalid] = [event(token), event(forged)];
  // Call by call in alternation, as table 1 times it: the median of each.
  const result = { valid: [] as number[], invalid: [] as number[] };
  for (let i = 0; i < 200; i += 1) await handler(i % 2 ? valid : invalid);
  for (let i = 0; i < calls; i += 1) {
    result.valid.push(await timeOnce(() => handler(valid)));
    result.invalid.push(await timeOnce(() => handler(invalid)));
  }
  return { valid: median(result.valid) * 1000, invalid: median(result.invalid) * 1000 };
}

/** A token with our header and claims, signed by another key: what the invalid half of the load sends. */
async function forge(token: string): Promise<string> {
  const { kid } = decodeProtectedHeader(token);
  const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
  const attacker = await generateKeyPair('ES256');
  return new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid, typ: 'at+jwt' }).sign(attacker.privateKey);
}

/**
 * GET /me's handler alone, in this process, against dynalite in its own process: the CPU our code and the SDK
 * client spend per call (process.cpuUsage), and the CPU dynalite spends per GetItem (/proc).
 */
async function meAlone(calls: number) {
  const dynamo = await startDynaliteProcess();
  try {
    const app = await createTestApp(asLocalDynamo(dynamo), {}, { now: Date.now, seconds: () => Math.floor(Date.now() / 1000), advance: () => undefined });
    const handlers = httpHandlers(app.deps);
    const tokens = await app.auth.register({ username: `load-${Date.now()}`, password: 'correct horse battery staple' });
    const event = proxyEvent({ httpMethod: 'GET', path: '/me', authorizer: authorizerFor(tokens.accessToken) });
    for (let i = 0; i < 100; i += 1) await handlers.me(event);
    const [cpu, emulator, started] = [process.cpuUsage(), cpuSeconds(dynamo.pid), performance.now()];
    for (let i = 0; i < calls; i += 1) {
      const response = await handlers.me(event);
      if (response.statusCode !== 200) throw new Error(`GET /me answered ${response.statusCode}`);
    }
    const used = process.cpuUsage(cpu);
    return {
      ourCpu: (used.user + used.system) / calls,
      dynaliteCpu: ((cpuSeconds(dynamo.pid) - emulator) * 1e6) / calls,
      wall: ((performance.now() - started) * 1000) / calls,
    };
  } finally {
    await dynamo.stop();
  }
}

interface Timed extends TreeSample {
  /** Seconds since the measured run started (negative: warm-up). */
  t: number;
}

main(async () => {
  const isQuick = quick();
  const duration = Number(option('duration') ?? (isQuick ? 9 : 30));
  const warmUp = isQuick ? 2 : 5;
  const window = Math.min(10, duration / 3);

  // Alone first, while nothing else runs.
  const authorizer = await authorizerAlone(isQuick ? 500 : 2000);
  const me = await meAlone(isQuick ? 200 : 600);

  const server = await startOffline();
  try {
    const registered = await apiRequest(server.baseUrl, 'POST', '/auth/register', { json: { username: `load-${Date.now()}`, password: 'correct horse battery staple' } });
    if (registered.status !== 201) throw new Error(`register answered ${registered.status}: ${registered.text}`);
    const valid = registered.json.access_token as string;
    const forged = await forge(valid);
    const [allowed, refused] = [await apiRequest(server.baseUrl, 'GET', '/me', { bearer: valid }), await apiRequest(server.baseUrl, 'GET', '/me', { bearer: forged })];
    if (allowed.status !== 200 || refused.status !== 401 || refused.json?.error !== 'invalid_token') {
      throw new Error(`GET /me answered ${allowed.status} to a valid token and ${refused.status} ${refused.text} to a forged one`);
    }

    const samples: Timed[] = [];
    let origin = performance.now() + warmUp * 1000;
    const sampler = setInterval(() => samples.push({ t: (performance.now() - origin) / 1000, ...sampleTree(server.pid) }), 250);
    const load = (token: string, seconds: number) =>
      autocannon({ url: `${server.baseUrl}/me`, connections: CONNECTIONS, duration: seconds, headers: { authorization: `Bearer ${token}` } });
    const fire = (seconds: number) => Promise.all([load(valid, seconds), load(forged, seconds)]);
    try {
      await fire(warmUp);
      origin = performance.now();
      const before = sampleTree(server.pid);
      const [v, f] = await fire(duration);
      const after = sampleTree(server.pid);
      clearInterval(sampler);

      const measured = samples.filter((s) => s.t >= 0 && s.t <= duration);
      const mean = (from: number, to: number) => {
        const inside = measured.filter((s) => s.t >= from && s.t < to);
        return inside.reduce((sum, s) => sum + s.rss, 0) / Math.max(1, inside.length);
      };
      const [first, last] = [mean(0, window), mean(duration - window, duration + 1)];
      const peak = Math.max(...measured.map((s) => s.rss));
      const growth = last / first - 1;
      const count = (result: autocannon.Result, status: number) => (result.statusCodeStats as Record<string, { count: number }> | undefined)?.[status]?.count ?? 0;
      const total = (result: autocannon.Result) => result.requests.total;
      const wrong = (result: autocannon.Result, status: number) => total(result) - count(result, status);
      const errors = v.errors + v.timeouts + f.errors + f.timeouts + wrong(v, 200) + wrong(f, 401);

      // Where the tree's CPU went, per request, against what our code costs alone.
      const cpuPerRequest = ((after.cpu - before.cpu) * 1e6) / (total(v) + total(f));
      const cores = (after.cpu - before.cpu) / duration;
      const ours = (total(v) * (authorizer.valid + me.ourCpu) + total(f) * 2 * authorizer.invalid) / (total(v) + total(f));
      const emulated = (total(v) * me.dynaliteCpu) / (total(v) + total(f));
      const rest = cpuPerRequest - ours - emulated;
      const rps = (total(v) + total(f)) / duration;
      const offlineNode = after.processes[0]!;

      const budgets: Budget[] = [
        { name: 'errors (connection errors, timeouts, unexpected statuses)', measured: String(errors), limit: '0', pass: errors === 0 },
        { name: 'peak RSS of the process tree', measured: `${(peak / MB).toFixed(0)} MB`, limit: '< 1024 MB', pass: peak < 1024 * MB },
        {
          name: `RSS growth, first ${window.toFixed(0)} s to last ${window.toFixed(0)} s (means)`,
          measured: `${(100 * growth).toFixed(1)}% (${(first / MB).toFixed(0)} → ${(last / MB).toFixed(0)} MB)`,
          limit: '≤ 10%',
          pass: growth <= 0.1,
        },
      ];
      const markdown = [
        `### Table 4. Load: GET /me through the authorizer on \`npm start\` (serverless offline), ${duration} s, ${CONNECTIONS} connections with a valid token and ${CONNECTIONS} with a forged one at once, after ${warmUp} s of warm-up`,
        '',
        table(['token', 'requests', 'requests / s', 'latency p50 ms', 'p99 ms', 'max ms', 'statuses', 'errors + timeouts'], [v, f].map((result, index) => [
          index === 0 ? 'valid (200)' : 'forged (401)',
          total(result).toLocaleString('en-US'),
          fixed(total(result) / duration, 0),
          fixed(result.latency.p50, 1),
          fixed(result.latency.p99, 1),
          fixed(result.latency.max, 1),
          Object.entries((result.statusCodeStats ?? {}) as Record<string, { count: number }>).map(([status, { count: n }]) => `${status}: ${n}`).join(', '),
          result.errors + result.timeouts,
        ]), [1, 2, 3, 4, 5, 7]),
        '',
        `Memory of the process tree (${after.processes.length} processes: ${after.processes.map((p) => `${p.name} ${(p.rss / MB).toFixed(0)} MB`).join(', ')}): ${(first / MB).toFixed(0)} MB over the first ${window.toFixed(0)} s, ${(last / MB).toFixed(0)} MB over the last ${window.toFixed(0)} s, ${(peak / MB).toFixed(0)} MB at most. The offline process ran ${offlineNode.threads} threads at the end: handlers run in it (useInProcess), not in a worker thread per request. Ready ${(server.readyMs / 1000).toFixed(1)} s after spawn.`,
        '',
        `Where the CPU goes (µs of CPU per request, averaged over both kinds; the tree used ${cores.toFixed(2)} cores for ${rps.toFixed(0)} requests/s):`,
        '',
        table(['part', 'µs CPU / request', 'share'], [
          ['the whole tree (from /proc)', fixed(cpuPerRequest, 0), '100%'],
          ['ours: the authorizer (once per valid request; twice per forged one: offline asks it, then the local gateway asks it again for the gateway response)', fixed(total(v) * authorizer.valid / (total(v) + total(f)) + total(f) * 2 * authorizer.invalid / (total(v) + total(f)), 0), `${(100 * (total(v) * authorizer.valid + total(f) * 2 * authorizer.invalid) / (total(v) + total(f)) / cpuPerRequest).toFixed(0)}%`],
          ['ours: the /me handler with its SDK client (valid requests)', fixed((total(v) * me.ourCpu) / (total(v) + total(f)), 0), `${(100 * ((total(v) * me.ourCpu) / (total(v) + total(f))) / cpuPerRequest).toFixed(0)}%`],
          ['emulated DynamoDB: dynalite\'s GetItem (valid requests)', fixed(emulated, 0), `${(100 * emulated / cpuPerRequest).toFixed(0)}%`],
          ['serverless-offline, the local gateway, HTTP: the rest', fixed(rest, 0), `${(100 * rest / cpuPerRequest).toFixed(0)}%`],
        ], [1, 2]),
        '',
        `Measured alone in this process: the authorizer handler ${fixed(authorizer.valid, 0)} µs on a valid token and ${fixed(authorizer.invalid, 0)} µs on a forged one (${fixed(1e6 / authorizer.valid, 0)} calls/s on one core, as in table 1); the /me handler ${fixed(me.ourCpu, 0)} µs of CPU a call with its SDK client, and dynalite ${fixed(me.dynaliteCpu, 0)} µs of CPU per GetItem. Offline served ${fixed(rps / cores, 0)} requests per second per core it used: ${times((1e6 / authorizer.valid) / (rps / cores), 1)} fewer than the authorizer handler alone does. Locally, ${(100 * (1 - ours / cpuPerRequest)).toFixed(0)}% of the CPU a request costs is not our code.`,
        '',
        budgetTable(budgets),
        '',
      ].join('\n');
      report({
        table: 'load',
        title: 'Load',
        markdown,
        budgets,
        data: {
          duration, warmUp, connections: CONNECTIONS, valid: { requests: total(v), p99: v.latency.p99 }, forged: { requests: total(f), p99: f.latency.p99 },
          memory: { first, last, peak, samples: measured.map((s) => [Number(s.t.toFixed(2)), s.rss]) }, cpuPerRequest, ours, emulated, rest, authorizer, me, rps, cores,
        },
      });
    } finally {
      clearInterval(sampler);
    }
  } finally {
    await server.stop();
  }
});
