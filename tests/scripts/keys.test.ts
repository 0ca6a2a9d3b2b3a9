import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { JWK } from 'jose';
import type { SigningAlg } from '../../lib/config';
import { loadKeyRing } from '../../lib/keys';
import { run } from '../../scripts/keys';
import { expectedKid, signingJwks, signingKeysJson } from '../support/keys';

const ROOT = join(__dirname, '..', '..');
const ALGORITHMS: SigningAlg[] = ['ES256', 'RS256', 'EdDSA', 'HS256'];
const ASYMMETRIC: SigningAlg[] = ['ES256', 'RS256', 'EdDSA'];
const KTY: Record<SigningAlg, string> = { ES256: 'EC', RS256: 'RSA', EdDSA: 'OKP', HS256: 'oct' };
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let dir: string;
let files = 0;
beforeAll(() => {
  // A space in the path: every printed command must quote it.
  dir = mkdtempSync(join(tmpdir(), 'keys cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * `npm run keys -- …args`, run in this process from the temp folder, with only the variables in `env` (no
 * key set, algorithm or data folder of this process's own); resolves with the exit code whatever it is.
 */
async function keys(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const output = { stdout: '', stderr: '' };
  const code = await run(args, {
    env,
    cwd: dir,
    stdout: { write: (text: string) => (output.stdout += text) },
    stderr: { write: (text: string) => (output.stderr += text) },
  });
  return { code, ...output };
}

/** A real shell, in the repo root unless told, as a user types the README's commands; pipefail, so a pipe keeps a failure. */
function shell(command: string, cwd = ROOT): Promise<Run> {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  // Whatever npm run started this test run is not the npm run under test.
  for (const name of ['SIGNING_KEYS', 'SIGNING_ALG', 'DATA_DIR', 'INIT_CWD', 'npm_lifecycle_event', 'npm_lifecycle_script']) delete env[name];
  return new Promise((resolve) => {
    execFile('bash', ['-o', 'pipefail', '-c', command], { cwd, env, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** A path as one shell word. */
const quoted = (path: string) => `'${path.replace(/'/g, `'\\''`)}'`;

const keysOf = (text: string) => (JSON.parse(text) as { keys: JWK[] }).keys;
const kidOf = expectedKid;
const kidsOf = (jwks: JWK[]) => Promise.all(jwks.map(kidOf));

/** A key-set file in the temp folder, holding `jwks`; its name is relative to the CLI's working directory. */
function keyFile(jwks: JWK[]): { name: string; path: string } {
  const name = `set-${(files += 1)}.json`;
  writeFileSync(join(dir, name), signingKeysJson(jwks));
  return { name, path: join(dir, name) };
}

const pools = new Map<SigningAlg, Promise<JWK[]>>();
/**
 * The first `count` (at most 3) of three keys for `alg`, made once per file: an input set needs real keys,
 * not new ones, and making RSA keys is the slowest step here.
 */
async function inputJwks(alg: SigningAlg, count = 1): Promise<JWK[]> {
  if (!pools.has(alg)) pools.set(alg, signingJwks(alg, 3));
  return (await pools.get(alg)!).slice(0, count);
}

/** Every private member's value in `jwks`: none may appear where the set is not meant to go. */
const secretsOf = (jwks: JWK[]) => jwks.flatMap((jwk) => PRIVATE_MEMBERS.map((member) => jwk[member as keyof JWK]).filter((value): value is string => typeof value === 'string'));

describe('npm run keys -- generate', () => {
  it.each(ALGORITHMS)('--alg %s prints a one-key set that the service loads', async (alg) => {
    const args = ['generate', '--alg', alg];

    const result = await keys(args);

    expect(result).toMatchObject({ code: 0 }); // on failure, shows the CLI's stderr too
    const set = keysOf(result.stdout);
    expect(set).toHaveLength(1);
    expect(set[0]!.kty).toBe(KTY[alg]);
    const ring = await loadKeyRing(result.stdout, alg);
    expect(ring.signing.kid).toBe(await kidOf(set[0]!));
    expect(result.stderr).toContain(ring.signing.kid);
    for (const secret of secretsOf(set)) expect(result.stderr).not.toContain(secret);
  });

  it('defaults to ES256', async () => {
    const args = ['generate'];

    const result = await keys(args);

    expect(result).toMatchObject({ code: 0 }); // on failure, shows the CLI's stderr too
    expect(keysOf(result.stdout)[0]).toMatchObject({ kty: 'EC', crv: 'P-256' });
  });

  it('takes SIGNING_ALG when there is no --alg', async () => {
    const env = { SIGNING_ALG: 'EdDSA' };

    const result = await keys(['generate'], env);

    expect(result).toMatchObject({ code: 0 }); // on failure, shows the CLI's stderr too
    expect(keysOf(result.stdout)[0]).toMatchObject({ kty: 'OKP', crv: 'Ed25519' });
  });

  it('makes a different key each time', async () => {
    const args = ['generate', '--alg', 'EdDSA'];

    const [first, second] = await Promise.all([keys(args), keys(args)]);

    expect(keysOf(first.stdout)[0]!.d).not.toBe(keysOf(second.stdout)[0]!.d);
  });

  it('--file writes the set to a new file, relative to the working directory, readable by its owner only, and prints no key', async () => {
    const name = join('new', 'generated.json');

    const result = await keys(['generate', '--alg', 'ES256', '--file', name]);

    expect(result).toMatchObject({ code: 0 }); // on failure, shows the CLI's stderr too
    expect(result.stdout).toBe('');
    const set = keysOf(readFileSync(join(dir, name), 'utf8'));
    expect(set).toHaveLength(1);
    expect(statSync(join(dir, name)).mode & 0o077).toBe(0);
    expect(result.stderr).not.toContain(set[0]!.d as string);
  });

  it('--file never overwrites an existing set, which may be the only copy of keys in use', async () => {
    const file = keyFile(await inputJwks('ES256'));
    const before = readFileSync(file.path, 'utf8');

    const result = await keys(['generate', '--file', file.name]);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${file.name} already exists`);
    expect(readFileSync(file.path, 'utf8')).toBe(before);
  });
});

describe('npm run keys -- add', () => {
  it.each(ALGORITHMS)('--alg %s --file appends a new key after the others: accepted, not signing; no secret on stderr', async (alg) => {
    const old = await inputJwks(alg, 2);
    const file = keyFile(old);

    const result = await keys(['add', '--alg', alg, '--file', file.name]);

    expect(result).toMatchObject({ code: 0 }); // on failure, shows the CLI's stderr too
    const set = keysOf(readFileSync(file.path, 'utf8'));
    expect(set).toHaveLength(3);
    expect(set.slice(0, 2)).toEqual(old);
    const ring = await loadKeyRing(readFileSync(file.path, 'utf8'), alg);
    expect(ring.signing.kid).toBe(await kidOf(old[0]!));
    expect([...ring.verification.keys()]).toEqual(await kidsOf(set));
    for (const secret of secretsOf(set)) expect(result.stderr).not.toContain(secret);
  });

  it('names the new key and the promote command that makes it sign', async () => {
    const file = keyFile(await inputJwks('ES256'));

    const result = await keys(['add', '--file', file.name]);

    expect(result).toMatchObject({ code: 0 }); // on failure, shows the CLI's stderr too
    const added = await kidOf(keysOf(readFileSync(file.path, 'utf8'))[1]!);
    expect(result.stderr).toContain(`  npm run keys -- promote --file ${file.name} --kid ${added}\n`);
  });

  it('without --file, reads SIGNING_KEYS and prints the longer set', async () => {
    const jwks = await inputJwks('EdDSA');

    const result = await keys(['add'], { SIGNING_KEYS: signingKeysJson(jwks) });

    expect(result).toMatchObject({ code: 0 }); // on failure, shows the CLI's stderr too
    const set = keysOf(result.stdout);
    expect(set).toHaveLength(2);
    expect(set[0]).toEqual(jwks[0]);
    expect(set[1]).toMatchObject({ kty: 'OKP', crv: 'Ed25519' });
  });

  it('refuses a file that is not a key set, naming the file, and leaves it as it was', async () => {
    const name = 'not-json.json';
    writeFileSync(join(dir, name), '{"keys": [');

    const result = await keys(['add', '--file', name]);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${name} is not JSON`);
    expect(readFileSync(join(dir, name), 'utf8')).toBe('{"keys": [');
  });
});

describe('npm run keys -- promote', () => {
  it('moves the key --kid to the front, where it signs, and keeps the others in order', async () => {
    const jwks = await inputJwks('ES256', 3);
    const file = keyFile(jwks);

    const result = await keys(['promote', '--file', file.name, '--kid', await kidOf(jwks[2]!)]);

    expect(result).toMatchObject({ code: 0 }); // on failure, shows the CLI's stderr too
    expect(keysOf(readFileSync(file.path, 'utf8'))).toEqual([jwks[2], jwks[0], jwks[1]]);
    const ring = await loadKeyRing(readFileSync(file.path, 'utf8'), 'ES256');
    expect(ring.signing.kid).toBe(await kidOf(jwks[2]!));
  });

  it('after add, makes the added key the signing key and names the command that retires the previous one', async () => {
    const [first] = await inputJwks('EdDSA');
    const file = keyFile([first!]);
    await keys(['add', '--file', file.name]);
    const added = await kidOf(keysOf(readFileSync(file.path, 'utf8'))[1]!);

    const result = await keys(['promote', '--file', file.name, '--kid', added]);

    expect(result).toMatchObject({ code: 0 }); // on failure, shows the CLI's stderr too
    expect(await kidsOf(keysOf(readFileSync(file.path, 'utf8')))).toEqual([added, await kidOf(first!)]);
    expect(result.stderr).toContain(`  npm run keys -- retire --file ${file.name} --kid ${await kidOf(first!)}\n`);
  });

  it('refuses an unknown kid, naming the kids the set has, and leaves the file as it was', async () => {
    const jwks = await inputJwks('ES256', 2);
    const file = keyFile(jwks);
    const before = readFileSync(file.path, 'utf8');

    const result = await keys(['promote', '--file', file.name, '--kid', 'no-such-kid']);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('no key with kid no-such-kid');
    expect(result.stderr).toContain(await kidOf(jwks[1]!));
    expect(readFileSync(file.path, 'utf8')).toBe(before);
  });

  it('of the signing key is a no-op: exit 0, the file untouched, and says so', async () => {
    const jwks = await inputJwks('ES256', 2);
    const file = keyFile(jwks);
    const before = statSync(file.path).mtimeMs;
    const signing = await kidOf(jwks[0]!);

    const result = await keys(['promote', '--file', file.name, '--kid', signing]);

    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`${signing} is already the signing key: the set is unchanged.`);
    expect(result.stderr).not.toContain('aws ');
    expect(statSync(file.path).mtimeMs).toBe(before);
    expect(keysOf(readFileSync(file.path, 'utf8'))).toEqual(jwks);
  });

  it('of the signing key from SIGNING_KEYS prints the same set, so a redirect still gets a valid one', async () => {
    const jwks = await inputJwks('ES256', 2);

    const result = await keys(['promote', '--kid', await kidOf(jwks[0]!)], { SIGNING_KEYS: signingKeysJson(jwks) });

    expect(result.code).toBe(0);
    expect(keysOf(result.stdout)).toEqual(jwks);
  });

  it('needs --kid', async () => {
    const file = keyFile(await inputJwks('ES256', 2));

    const result = await keys(['promote', '--file', file.name]);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('promote needs --kid KID');
  });
});

describe('npm run keys -- rotate', () => {
  it.each(ALGORITHMS)('--alg %s --file puts a new key first and keeps the old one; no secret on stderr', async (alg) => {
    const [old] = await inputJwks(alg);
    const file = keyFile([old!]);

    const result = await keys(['rotate', '--alg', alg, '--file', file.name]);

    expect(result).toMatchObject({ code: 0 }); // on failure, shows the CLI's stderr too
    const set = keysOf(readFileSync(file.path, 'utf8'));
    expect(set).toHaveLength(2);
    expect(set[1]).toEqual(old);
    expect(await kidOf(set[0]!)).not.toBe(await kidOf(old!));
    const ring = await loadKeyRing(readFileSync(file.path, 'utf8'), alg);
    expect(ring.signing.kid).toBe(await kidOf(set[0]!));
    expect([...ring.verification.keys()]).toEqual([await kidOf(set[0]!), await kidOf(old!)]);
    for (const secret of secretsOf(set)) expect(result.stderr).not.toContain(secret);
  });

  it('without --alg, takes the algorithm of the set it reads', async () => {
    const [old] = await inputJwks('EdDSA');
    const file = keyFile([old!]);

    const result = await keys(['rotate', '--file', file.name]);

    expect(result).toMatchObject({ code: 0 }); // on failure, shows the CLI's stderr too
    expect(keysOf(readFileSync(file.path, 'utf8'))[0]).toMatchObject({ kty: 'OKP', crv: 'Ed25519' });
    expect(result.stderr).toContain('(EdDSA)');
  });

  it('without --file, reads SIGNING_KEYS and prints the rotated set', async () => {
    const jwks = await inputJwks('ES256', 2);

    const result = await keys(['rotate'], { SIGNING_KEYS: signingKeysJson(jwks) });

    expect(result).toMatchObject({ code: 0 }); // on failure, shows the CLI's stderr too
    const set = keysOf(result.stdout);
    expect(set).toHaveLength(3);
    expect(set.slice(1)).toEqual(jwks);
  });

  it("refuses --alg other than the set's, naming the file and the set's algorithm, and leaves the file as it was", async () => {
    const file = keyFile(await inputJwks('EdDSA'));
    const before = readFileSync(file.path, 'utf8');

    const result = await keys(['rotate', '--alg', 'ES256', '--file', file.name]);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(file.name);
    expect(result.stderr).toContain('pass --alg EdDSA');
    expect(readFileSync(file.path, 'utf8')).toBe(before);
  });

  it('refuses to run with no current set, saying where one comes from', async () => {
    const args = ['rotate'];

    const result = await keys(args);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('SIGNING_KEYS');
    expect(result.stdout).toBe('');
  });

  it('refuses a --file that does not exist', async () => {
    const name = 'missing.json';

    const result = await keys(['rotate', '--file', name]);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${name} does not exist`);
    expect(existsSync(join(dir, name))).toBe(false);
  });
});

describe('npm run keys -- retire', () => {
  it('--kid takes a kid that begins with "-" (base64url allows it) as the value, not as an option', async () => {
    let dashed: JWK | undefined;
    while (!dashed) {
      const [candidate] = await signingJwks('ES256');
      if ((await kidOf(candidate!)).startsWith('-')) dashed = candidate;
    }
    const [newest] = await signingJwks('ES256');
    const file = keyFile([newest!, dashed]);

    const result = await keys(['retire', '--file', file.name, '--kid', await kidOf(dashed)]);

    expect(result).toMatchObject({ code: 0 }); // on failure, shows the CLI's stderr too
    expect(keysOf(readFileSync(file.path, 'utf8'))).toEqual([newest]);
  });

  it('--file --kid removes that key and keeps the others in order', async () => {
    const jwks = await inputJwks('ES256', 3);
    const file = keyFile(jwks);
    const retired = await kidOf(jwks[1]!);

    const result = await keys(['retire', '--file', file.name, '--kid', retired]);

    expect(result).toMatchObject({ code: 0 }); // on failure, shows the CLI's stderr too
    expect(keysOf(readFileSync(file.path, 'utf8'))).toEqual([jwks[0], jwks[2]]);
    expect(result.stderr).toContain(`Retired: ${retired}\n`);
    expect(result.stderr).toMatch(new RegExp(`accepted: ${await kidOf(jwks[0]!)}, ${await kidOf(jwks[2]!)}\\n`));
  });

  it('retires an HS256 key by its own kid', async () => {
    const jwks = await inputJwks('HS256', 2);
    const file = keyFile(jwks);

    const result = await keys(['retire', '--alg', 'HS256', '--file', file.name, '--kid', jwks[1]!.kid as string]);

    expect(result).toMatchObject({ code: 0 }); // on failure, shows the CLI's stderr too
    expect(keysOf(readFileSync(file.path, 'utf8'))).toEqual([jwks[0]]);
  });

  it('without --kid, keeps only the signing key', async () => {
    const jwks = await inputJwks('EdDSA', 3);
    const file = keyFile(jwks);

    const result = await keys(['retire', '--alg', 'EdDSA', '--file', file.name]);

    expect(result).toMatchObject({ code: 0 }); // on failure, shows the CLI's stderr too
    expect(keysOf(readFileSync(file.path, 'utf8'))).toEqual([jwks[0]]);
  });

  it('refuses to retire the signing key, and leaves the file as it was', async () => {
    const jwks = await inputJwks('ES256', 2);
    const file = keyFile(jwks);
    const before = readFileSync(file.path, 'utf8');

    const result = await keys(['retire', '--file', file.name, '--kid', await kidOf(jwks[0]!)]);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('is the signing key; promote another key first');
    expect(readFileSync(file.path, 'utf8')).toBe(before);
  });

  it('refuses an unknown kid, naming the kids the set has', async () => {
    const jwks = await inputJwks('ES256', 2);
    const file = keyFile(jwks);
    const before = readFileSync(file.path, 'utf8');

    const result = await keys(['retire', '--file', file.name, '--kid', 'no-such-kid']);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(await kidOf(jwks[1]!));
    expect(readFileSync(file.path, 'utf8')).toBe(before);
  });
});

describe('npm run keys -- public', () => {
  it.each(ASYMMETRIC)('prints the public JWK Set of a %s set, signing key first, with no private member', async (alg) => {
    const jwks = await inputJwks(alg, 2);
    const file = keyFile(jwks);

    const result = await keys(['public', '--file', file.name]);

    expect(result).toMatchObject({ code: 0 }); // on failure, shows the CLI's stderr too
    const published = keysOf(result.stdout);
    expect(published.map((key) => key.kid)).toEqual(await kidsOf(jwks));
    for (const key of published) {
      expect(key).toMatchObject({ kty: KTY[alg], alg, use: 'sig' });
      for (const member of PRIVATE_MEMBERS) expect(key).not.toHaveProperty(member);
    }
    for (const secret of secretsOf(jwks)) expect(result.stdout + result.stderr).not.toContain(secret);
  });

  it('prints {"keys":[]} for HS256, whose keys are all secret', async () => {
    const jwks = await inputJwks('HS256');

    const result = await keys(['public'], { SIGNING_KEYS: signingKeysJson(jwks) });

    expect(result).toMatchObject({ code: 0 }); // on failure, shows the CLI's stderr too
    expect(result.stdout).toBe('{"keys":[]}\n');
    expect(result.stderr).not.toContain(jwks[0]!.k as string);
  });

  it('prints what the service publishes: the jwks of `show`', async () => {
    const file = keyFile(await inputJwks('ES256', 2));

    const [shown, published] = [await keys(['show', '--file', file.name]), await keys(['public', '--file', file.name])];

    expect(JSON.parse(published.stdout)).toEqual((JSON.parse(shown.stdout) as { jwks: unknown }).jwks);
  });
});

describe('npm run keys -- show', () => {
  it('prints the signing kid, the accepted kids and the public JWKS, with no private member', async () => {
    const jwks = await inputJwks('RS256', 2);
    const file = keyFile(jwks);
    const kids = await kidsOf(jwks);

    const result = await keys(['show', '--alg', 'RS256', '--file', file.name]);

    expect(result).toMatchObject({ code: 0 }); // on failure, shows the CLI's stderr too
    const shown = JSON.parse(result.stdout) as { signing: string; accepted: string[]; jwks: { keys: JWK[] } };
    expect(shown.signing).toBe(kids[0]);
    expect(shown.accepted).toEqual(kids);
    expect(shown.jwks.keys.map((key) => key.kid)).toEqual(kids);
    for (const key of shown.jwks.keys) {
      expect(key).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig' });
      for (const member of PRIVATE_MEMBERS) expect(key).not.toHaveProperty(member);
    }
    for (const jwk of jwks) expect(result.stdout).not.toContain(jwk.d as string);
  });

  it('shows an HS256 set by kid and publishes no key, nor its secret', async () => {
    const jwks = await inputJwks('HS256', 1);

    const result = await keys(['show', '--alg', 'HS256'], { SIGNING_KEYS: signingKeysJson(jwks) });

    expect(result).toMatchObject({ code: 0 }); // on failure, shows the CLI's stderr too
    expect(JSON.parse(result.stdout)).toEqual({ signing: jwks[0]!.kid, accepted: [jwks[0]!.kid], jwks: { keys: [] } });
    expect(result.stdout).not.toContain(jwks[0]!.k as string);
  });

  it('--local reads the file `npm start` uses, in DATA_DIR even when that is an absolute path', async () => {
    const dataDir = join(dir, 'data');
    mkdirSync(dataDir);
    const jwks = await inputJwks('ES256');
    writeFileSync(join(dataDir, 'signing-keys.ES256.json'), signingKeysJson(jwks));

    const result = await keys(['show', '--local'], { DATA_DIR: dataDir });

    expect(result).toMatchObject({ code: 0 }); // on failure, shows the CLI's stderr too
    expect(JSON.parse(result.stdout)).toMatchObject({ signing: await kidOf(jwks[0]!) });
  });

  it('--local takes a relative DATA_DIR from the repo root, not from the working directory', async () => {
    const dataDir = join(dir, 'relative-data');
    mkdirSync(dataDir);
    const jwks = await inputJwks('EdDSA');
    writeFileSync(join(dataDir, 'signing-keys.EdDSA.json'), signingKeysJson(jwks));

    const result = await keys(['show', '--local', '--alg', 'EdDSA'], { DATA_DIR: relative(ROOT, dataDir) });

    expect(result).toMatchObject({ code: 0 }); // on failure, shows the CLI's stderr too
    expect(JSON.parse(result.stdout)).toMatchObject({ signing: await kidOf(jwks[0]!) });
  });
});

describe('npm run keys: the AWS commands for a set meant for deployment', () => {
  const secretCommands = (stage: string, setFile: string) => [
    `  aws secretsmanager create-secret --name jwt-auth/${stage}/signing-keys --secret-string ${setFile}\n`,
    `  aws secretsmanager put-secret-value --secret-id jwt-auth/${stage}/signing-keys --secret-string ${setFile}\n`,
  ];
  const publishCommand = (stage: string, script: string, setFile: string) =>
    `  aws ssm put-parameter --name /jwt-auth/${stage}/public-jwks --type String --overwrite --value "$(node ${script} public --file ${setFile})"\n`;
  const script = join(ROOT, 'scripts', 'keys.js');

  it('after generate to stdout, for the default stage prod, with keys.json as the suggested file', async () => {
    const args = ['generate'];

    const result = await keys(args);

    expect(result).toMatchObject({ code: 0 }); // on failure, shows the CLI's stderr too
    for (const line of secretCommands('prod', 'file://keys.json')) expect(result.stderr).toContain(line);
    expect(result.stderr).toContain(publishCommand('prod', script, 'keys.json'));
    expect(result.stderr).toContain('  npx serverless deploy --stage prod\n');
    expect(result.stderr).toContain('create-secret the first time, put-secret-value once the secret exists');
  });

  it('after add --stage dev --file, with that file, quoted when it needs to be', async () => {
    const file = keyFile(await inputJwks('ES256'));
    const spaced = 'my keys.json';
    writeFileSync(join(dir, spaced), readFileSync(file.path));

    const result = await keys(['add', '--stage', 'dev', '--file', spaced]);

    expect(result).toMatchObject({ code: 0 }); // on failure, shows the CLI's stderr too
    for (const line of secretCommands('dev', "'file://my keys.json'")) expect(result.stderr).toContain(line);
    expect(result.stderr).toContain(publishCommand('dev', script, "'my keys.json'"));
    expect(result.stderr).toContain('  npx serverless deploy --stage dev\n');
    expect(result.stderr).not.toContain('/prod/');
  });

  it('after promote, only the secret: the public keys did not change', async () => {
    const jwks = await inputJwks('ES256', 2);
    const file = keyFile(jwks);

    const result = await keys(['promote', '--file', file.name, '--kid', await kidOf(jwks[1]!), '--stage', 'dev']);

    expect(result).toMatchObject({ code: 0 }); // on failure, shows the CLI's stderr too
    for (const line of secretCommands('dev', `file://${file.name}`)) expect(result.stderr).toContain(line);
    expect(result.stderr).not.toContain('aws ssm');
    expect(result.stderr).not.toContain('serverless deploy');
  });

  it('after rotate, the public keys and the deploy before the secret, which switches signers to the new key', async () => {
    const file = keyFile(await inputJwks('ES256'));

    const result = await keys(['rotate', '--file', file.name]);

    expect(result).toMatchObject({ code: 0 }); // on failure, shows the CLI's stderr too
    const [createSecret] = secretCommands('prod', `file://${file.name}`);
    const publish = result.stderr.indexOf(publishCommand('prod', script, file.name));
    const deploy = result.stderr.indexOf('  npx serverless deploy --stage prod\n');
    expect(publish).toBeGreaterThan(-1);
    expect(deploy).toBeGreaterThan(publish);
    expect(result.stderr.indexOf(createSecret!)).toBeGreaterThan(deploy);
  });

  it('after retire, the secret, the public keys and the deploy', async () => {
    const jwks = await inputJwks('EdDSA', 2);
    const file = keyFile(jwks);

    const result = await keys(['retire', '--file', file.name, '--kid', await kidOf(jwks[1]!), '--stage', 'dev']);

    expect(result).toMatchObject({ code: 0 }); // on failure, shows the CLI's stderr too
    for (const line of secretCommands('dev', `file://${file.name}`)) expect(result.stderr).toContain(line);
    expect(result.stderr).toContain(publishCommand('dev', script, file.name));
  });

  it('for HS256, no public keys to publish', async () => {
    const args = ['generate', '--alg', 'HS256'];

    const result = await keys(args);

    expect(result).toMatchObject({ code: 0 }); // on failure, shows the CLI's stderr too
    expect(result.stderr).toContain('aws secretsmanager create-secret --name jwt-auth/prod/signing-keys');
    expect(result.stderr).not.toContain('aws ssm');
  });

  it('none for --local, the key `npm start` uses', async () => {
    const dataDir = join(dir, 'local-data');
    const env = { DATA_DIR: dataDir };

    const result = await keys(['generate', '--local'], env);

    expect(result).toMatchObject({ code: 0 }); // on failure, shows the CLI's stderr too
    expect(keysOf(readFileSync(join(dataDir, 'signing-keys.ES256.json'), 'utf8'))).toHaveLength(1);
    expect(result.stderr).toContain('Restart `npm start` to use it.');
    expect(result.stderr).not.toContain('aws ');
  });

  // generate, add and rotate check their own stderr above, with the keys they make.
  it.each(ALGORITHMS)('never print a private member of a %s set on stderr from promote, retire, show or public', async (alg) => {
    const jwks = await inputJwks(alg, 3);
    const env = { SIGNING_KEYS: signingKeysJson(jwks) };
    const kids = await kidsOf(jwks);

    const runs = [
      await keys(['promote', '--kid', kids[2]!], env),
      await keys(['retire', '--kid', kids[1]!], env),
      await keys(['retire'], env),
      await keys(['show'], env),
      await keys(['public'], env),
    ];

    expect(runs.map((result) => result.code)).toEqual([0, 0, 0, 0, 0]);
    const stderr = runs.map((result) => result.stderr).join('');
    expect(stderr).toContain(`Signing key: ${kids[2]}`);
    expect(secretsOf(jwks).length).toBeGreaterThanOrEqual(3);
    for (const secret of secretsOf(jwks)) expect(stderr).not.toContain(secret);
  });
});

describe('npm run keys with a bad command line', () => {
  it.each([
    ['an unknown command', ['bogus']],
    ['no command', []],
    ['an unknown option', ['generate', '--bogus']],
    ['an extra argument', ['generate', 'ES256']],
    ['both --file and --local', ['show', '--file', 'keys.json', '--local']],
    ['--kid where no key is chosen', ['add', '--file', 'keys.json', '--kid', 'x']],
    ['--stage for the local key', ['rotate', '--local', '--stage', 'dev']],
    ['a stage name that is no stage name', ['generate', '--stage', 'prod;rm -rf']],
  ])('answers %s with exit 2 and the usage', async (_case, args) => {
    const result = await keys(args);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('usage: npm run keys');
    expect(result.stdout).toBe('');
  });

  it('refuses an algorithm it does not know, naming it', async () => {
    const args = ['generate', '--alg', 'HS512'];

    const result = await keys(args);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('HS512');
    expect(result.stdout).toBe('');
  });

  it('--help prints the usage and exits 0', async () => {
    const args = ['--help'];

    const result = await keys(args);

    expect(result.code).toBe(0);
    expect(result.stderr).toContain('usage: npm run keys');
    expect(result.stdout).toBe('');
  });
});

describe('npm run keys, run for real through npm and a shell', () => {
  it.concurrent("the README's rotation: generate > keys.json, add, promote, public > public.json; each file valid JSON", async () => {
    const keysFile = join(dir, 'readme', 'keys.json');
    const publicFile = join(dir, 'readme', 'public.json');
    mkdirSync(join(dir, 'readme'));

    const generated = await shell(`npm run keys -- generate --alg ES256 > ${quoted(keysFile)}`);
    const first = keysOf(readFileSync(keysFile, 'utf8'));
    const added = await shell(`npm run keys -- add --file ${quoted(keysFile)}`);
    const both = keysOf(readFileSync(keysFile, 'utf8'));
    const newKid = await kidOf(both[1]!);
    const promoted = await shell(`npm run keys -- promote --file ${quoted(keysFile)} --kid ${newKid}`);
    const promotedSet = keysOf(readFileSync(keysFile, 'utf8'));
    const published = await shell(`node scripts/keys.js public --file ${quoted(keysFile)} > ${quoted(publicFile)}`);

    expect([generated.code, added.code, promoted.code, published.code]).toEqual([0, 0, 0, 0]);
    expect(first).toHaveLength(1);
    expect(both).toEqual([first[0], both[1]]);
    expect(promotedSet).toEqual([both[1], first[0]]);
    const publicKeys = keysOf(readFileSync(publicFile, 'utf8'));
    expect(publicKeys.map((key) => key.kid)).toEqual([newKid, await kidOf(first[0]!)]);
    for (const key of publicKeys) expect(Object.keys(key).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
  });

  it.concurrent('the printed put-parameter command, run by a shell where the CLI ran, passes the public set as its value', async () => {
    const name = 'my set.json';
    writeFileSync(join(dir, name), signingKeysJson(await inputJwks('EdDSA', 2)));
    const argsFile = join(dir, 'aws-args');
    const added = await keys(['add', '--file', name]);
    const command = added.stderr.split('\n').find((line) => line.includes('aws ssm put-parameter'))!;

    // A stand-in for the AWS CLI that records its arguments, one per NUL-terminated string.
    const ran = await shell(`aws() { printf '%s\\0' "$@" > ${quoted(argsFile)}; }; ${command}`, dir);

    expect(ran).toMatchObject({ code: 0 }); // on failure, shows the shell's stderr too
    const args = readFileSync(argsFile, 'utf8').split('\0');
    expect(args.slice(0, 8)).toEqual(['ssm', 'put-parameter', '--name', '/jwt-auth/prod/public-jwks', '--type', 'String', '--overwrite', '--value']);
    expect(keysOf(args[8]!).map((key) => key.kid)).toEqual(await kidsOf(keysOf(readFileSync(join(dir, name), 'utf8'))));
  });

  it.concurrent.each([
    ['npm run --silent keys -- generate', 'silent.json'],
    ['node scripts/keys.js generate', 'node.json'],
  ])('`%s > file` writes only the JSON', async (command, name) => {
    const file = join(dir, name);

    const result = await shell(`${command} > ${quoted(file)}`);

    expect(result).toMatchObject({ code: 0 }); // on failure, shows the shell's stderr too
    expect(keysOf(readFileSync(file, 'utf8'))).toHaveLength(1);
  });

  it.concurrent('`npm run keys -- generate | cat` fails, since npm wrote its banner into the pipe, and says what to run instead', async () => {
    const file = join(dir, 'piped.json');

    const result = await shell(`npm run keys -- generate | cat > ${quoted(file)}`);

    expect(result.code).toBe(3);
    expect(readFileSync(file, 'utf8')).toMatch(/^\n> jwt-auth-service@[^\n]* keys\n/);
    expect(result.stderr).toContain('banner into the same pipe');
    expect(result.stderr).toContain('  npm run --silent keys -- generate\n');
    expect(result.stderr).toContain('  node scripts/keys.js generate\n');
  });

  it.concurrent('never truncates a file it appends to (>>), even one that holds only npm\'s banner', async () => {
    const viaNode = join(dir, 'appended-node.txt');
    const viaNpm = join(dir, 'appended-npm.txt');
    writeFileSync(viaNode, 'kept\n');

    const [node, npm] = await Promise.all([
      shell(`node scripts/keys.js generate >> ${quoted(viaNode)}`),
      shell(`npm run keys -- generate >> ${quoted(viaNpm)}`),
    ]);

    expect(node).toMatchObject({ code: 0 }); // on failure, shows the shell's stderr too
    const [kept, json] = readFileSync(viaNode, 'utf8').split('\n');
    expect(kept).toBe('kept');
    expect(keysOf(json!)).toHaveLength(1);
    expect(readFileSync(viaNpm, 'utf8')).toMatch(/^\n> jwt-auth-service@[^\n]* keys\n.*\n\n\{"keys":/);
    expect(npm.code).toBe(3);
    expect(npm.stderr).toContain('banner into the file this appends to (>>)');
  });

});
