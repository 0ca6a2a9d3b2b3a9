/**
 * Does a login reveal whether a username exists? Times failed logins for unknown users against wrong
 * passwords for real users, interleaved, on the real service code and a real (embedded) DynamoDB, and
 * prints both medians and their ratio. Run: npm run bench:login [-- ROUNDS]
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parse } from 'yaml';
import { createAuthService } from '../lib/auth';
import { createDocumentClient } from '../lib/dynamo';
import { AuthError } from '../lib/errors';
import { generateSigningJwk, loadKeyRing } from '../lib/keys';
import { createSessionStore } from '../lib/sessions';
import { createLoginGuard } from '../lib/throttle';
import { createTokenService } from '../lib/tokens';
import { createUserStore } from '../lib/users';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { createTables } = require('../scripts/local-gateway/tables.js');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dynalite = require('dynalite');

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

async function main() {
  const rounds = Number(process.argv[2] ?? 100);
  const server = dynalite({ createTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${server.address().port}`;
  const resources = parse(readFileSync(path.join(__dirname, '..', 'serverless.yml'), 'utf8')).resources.Resources;
  const names = { UsersTable: 'bench-users', SessionsTable: 'bench-sessions', LoginAttemptsTable: 'bench-attempts' } as Record<string, string>;
  for (const [id, resource] of Object.entries<{ Properties: { TableName: string } }>(resources)) {
    if (names[id]) resource.Properties.TableName = names[id]!;
  }
  await createTables(endpoint, resources);

  const doc = createDocumentClient({ region: 'us-east-1', dynamodbEndpoint: endpoint });
  const config = { issuer: 'http://bench', audience: 'http://bench', accessTokenTtl: 900, clockSkew: 0, defaultScopes: ['profile'] };
  const keys = await loadKeyRing(JSON.stringify({ keys: [await generateSigningJwk('ES256')] }), 'ES256');
  const auth = createAuthService({
    config,
    users: createUserStore(doc, names.UsersTable!),
    sessions: createSessionStore(doc, names.SessionsTable!, { idleTtl: 3600, absoluteTtl: 7200, reuseGrace: 30 }),
    tokens: createTokenService(config, keys),
    guard: createLoginGuard(doc, { users: names.UsersTable!, attempts: names.LoginAttemptsTable! }),
  });

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
  doc.destroy();
  await new Promise((resolve) => server.close(resolve));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
