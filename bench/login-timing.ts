/**
 * Does a login reveal whether a username exists? Times failed logins for unknown users against wrong
 * passwords for real users, interleaved, on the real service code and a real (embedded) DynamoDB, and
 * prints both medians and their ratio. Run: npm run bench:login [-- ROUNDS]
 */
import { performance } from 'node:perf_hooks';
import { AuthError } from '../lib/errors';
import { createTestApp } from '../tests/support/app';
import { startDynalite } from '../tests/support/dynalite';

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

async function main() {
  const rounds = Number(process.argv[2] ?? 100);
  const dynamo = await startDynalite();
  // The real clock: the throttle's windows must pass as they do in production.
  const { auth } = await createTestApp(dynamo, {}, { now: Date.now, seconds: () => Math.floor(Date.now() / 1000), advance: () => undefined });

  // One real user per round, so no username is ever throttled and both sides do the same work.
  for (let i = 0; i < rounds; i += 1) await auth.register({ username: `user${i}`, password: 'correct horse battery' });

  const time = async (username: string) => {
    const started = performance.now();
    const outcome = await auth.login({ username, password: 'wrong password!' }).catch((error: unknown) => error);
    const elapsed = performance.now() - started;
    if (!(outcome instanceof AuthError) || outcome.code !== 'invalid_grant') throw new Error(`unexpected outcome for ${username}`);
    return elapsed;
  };
  await time('warm-up-unknown');
  const unknown: number[] = [];
  const wrong: number[] = [];
  for (let i = 0; i < rounds; i += 1) {
    // Interleaved, alternating which goes first, so drift and warm-up hit both alike.
    if (i % 2) {
      unknown.push(await time(`nobody${i}`));
      wrong.push(await time(`user${i}`));
    } else {
      wrong.push(await time(`user${i}`));
      unknown.push(await time(`nobody${i}`));
    }
  }
  const [u, w] = [median(unknown), median(wrong)];
  console.log(`failed logins, ${rounds} of each (median):`);
  console.log(`  unknown user    ${u.toFixed(2)} ms`);
  console.log(`  wrong password  ${w.toFixed(2)} ms`);
  console.log(`  ratio unknown/wrong = ${(u / w).toFixed(3)}`);
  await dynamo.stop();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
