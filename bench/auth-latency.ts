/**
 * What a login and a refresh cost on the real service code and an embedded DynamoDB (dynalite), each next
 * to its floor in the same run: a refresh against one GetItem plus the signing of an access token, a login
 * against one password verification plus its round trips. Prints medians, p99s and the DynamoDB requests
 * each operation sends. Run: npm run bench:auth [-- ROUNDS] [--json]
 * With --baseline REF, bench/compare-auth.js runs this same file on another commit too, for ratios.
 */
import { performance } from 'node:perf_hooks';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { hashPassword, verifyPassword } from '../lib/argon2';
import { createTestApp } from '../tests/support/app';
import { countRequests, startDynalite } from '../tests/support/dynalite';

const PASSWORD = 'correct horse battery staple';

function summary(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { median: at(0.5), p99: at(0.99) };
}

async function timed(rounds: number, work: (i: number) => Promise<unknown>): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < rounds; i += 1) {
    const started = performance.now();
    await work(i);
    samples.push(performance.now() - started);
  }
  return samples;
}

async function main() {
  const args = process.argv.slice(2);
  const rounds = Number(args.find((arg) => /^\d+$/.test(arg)) ?? 200);
  const dynamo = await startDynalite();
  // The real clock: the password guard's windows pass as they do in production.
  const app = await createTestApp(dynamo, {}, { now: Date.now, seconds: () => Math.floor(Date.now() / 1000), advance: () => undefined });
  const username = `bench-${Date.now()}`;
  const first = await app.auth.register({ username, password: PASSWORD });
  const stored = await hashPassword(PASSWORD);
  const address = (i: number) => `198.18.${Math.floor(i / 250)}.${(i % 250) + 1}`; // RFC 2544 benchmarking addresses
  const counter = countRequests(dynamo.doc);
  const requests: Record<string, Record<string, number>> = {};
  const count = async (name: string, work: () => Promise<unknown>) => {
    counter.reset();
    await work();
    requests[name] = { ...counter.counts };
  };

  // Warm every path once, and record the requests one of each sends.
  let refreshToken = first.refreshToken;
  await count('refresh', async () => {
    refreshToken = (await app.auth.refresh(refreshToken)).refreshToken;
  });
  await count('login', () => app.auth.login({ username, password: PASSWORD, sourceIp: address(0) }));

  const getItem = await timed(rounds, () => dynamo.doc.send(new GetCommand({ TableName: dynamo.tables.SessionsTable, Key: { id: 'none' }, ConsistentRead: true })));
  const sign = await timed(rounds, () => app.tokens.issue({ sub: 'bench', scope: 'profile', sid: 'bench', clientId: 'default' }));
  const refresh = await timed(rounds, async () => {
    refreshToken = (await app.auth.refresh(refreshToken)).refreshToken;
  });
  const loginRounds = Math.max(20, Math.floor(rounds / 4));
  const verify = await timed(loginRounds, () => verifyPassword(stored, PASSWORD));
  const login = await timed(loginRounds, (i) => app.auth.login({ username, password: PASSWORD, sourceIp: address(i + 1) }));
  counter.remove();

  const result = {
    rounds,
    getItem: summary(getItem),
    sign: summary(sign),
    refresh: summary(refresh),
    verify: summary(verify),
    login: summary(login),
    requests,
  };
  await dynamo.stop();

  if (args.includes('--json')) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  const row = (name: string, { median, p99 }: { median: number; p99: number }, floor?: number) =>
    `  ${name.padEnd(34)} ${median.toFixed(2).padStart(8)} ms ${p99.toFixed(2).padStart(8)} ms${floor === undefined ? '' : `   ${(median / floor).toFixed(2)}x the floor`}`;
  console.log(`${rounds} refreshes, ${loginRounds} logins, on dynalite (median, p99):`);
  console.log(row('GetItem (consistent)', result.getItem));
  console.log(row('sign an access token', result.sign));
  console.log(row('refresh', result.refresh, result.getItem.median + result.sign.median));
  console.log(row('verify a password (argon2id)', result.verify));
  console.log(row('login', result.login, result.verify.median));
  console.log('DynamoDB requests:', JSON.stringify(requests));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
