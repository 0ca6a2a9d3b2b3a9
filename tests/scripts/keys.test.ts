import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JWK } from 'jose';
import type { SigningAlg } from '../../lib/config';
import { loadKeyRing } from '../../lib/keys';
import { expectedKid, signingJwks, signingKeysJson } from '../support/keys';

const ROOT = join(__dirname, '..', '..');
const SCRIPT = join(ROOT, 'scripts', 'keys.js');
const ALGORITHMS: SigningAlg[] = ['ES256', 'RS256', 'EdDSA', 'HS256'];
const KTY: Record<SigningAlg, string> = { ES256: 'EC', RS256: 'RSA', EdDSA: 'OKP', HS256: 'oct' };
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The environment of the CLI: this one, without any key set, algorithm or data folder of its own. */
function cliEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', ...extra };
  for (const name of ['SIGNING_KEYS', 'SIGNING_ALG', 'DATA_DIR']) if (!(name in extra)) delete env[name];
  return env;
}

/** `npm run keys -- …args`, as `node scripts/keys.js`; resolves with the exit code whatever it is. */
function keys(args: string[], extra: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [SCRIPT, ...args], { cwd: ROOT, env: cliEnv(extra), timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

const keysOf = (text: string) => (JSON.parse(text) as { keys: JWK[] }).keys;

const kidOf = expectedKid;

let dir: string;
let files = 0;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'keys-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A key-set file in the temp folder, holding `jwks`. */
function keyFile(jwks: JWK[]): string {
  const file = join(dir, `set-${(files += 1)}.json`);
  writeFileSync(file, signingKeysJson(jwks));
  return file;
}

describe('npm run keys -- generate', () => {
  it.each(ALGORITHMS)('--alg %s prints a one-key set that the service loads', async (alg) => {
    const args = ['generate', '--alg', alg];

    const run = await keys(args);

    expect(run).toMatchObject({ code: 0 }); // on failure, shows the CLI's stderr too
    const set = keysOf(run.stdout);
    expect(set).toHaveLength(1);
    expect(set[0]!.kty).toBe(KTY[alg]);
    const ring = await loadKeyRing(run.stdout, alg);
    expect(ring.signing.kid).toBe(await kidOf(set[0]!));
    expect(run.stderr).toContain(ring.signing.kid);
  });

  it('defaults to ES256', async () => {
    const args = ['generate'];

    const run = await keys(args);

    expect(run).toMatchObject({ code: 0 }); // on failure, shows the CLI's stderr too
    expect(keysOf(run.stdout)[0]).toMatchObject({ kty: 'EC', crv: 'P-256' });
  });

  it('makes a different key each time', async () => {
    const args = ['generate', '--alg', 'EdDSA'];

    const [first, second] = await Promise.all([keys(args), keys(args)]);

    expect(keysOf(first.stdout)[0]!.d).not.toBe(keysOf(second.stdout)[0]!.d);
  });

  it('--file writes the set to a new file readable by its owner only, and prints no key', async () => {
    const file = join(dir, 'new', 'generated.json');

    const run = await keys(['generate', '--alg', 'ES256', '--file', file]);

    expect(run).toMatchObject({ code: 0 }); // on failure, shows the CLI's stderr too
    expect(run.stdout).toBe('');
    const set = keysOf(readFileSync(file, 'utf8'));
    expect(set).toHaveLength(1);
    expect(statSync(file).mode & 0o077).toBe(0);
    expect(run.stderr).not.toContain(set[0]!.d as string);
  });
});

describe('npm run keys -- rotate', () => {
  it.each(ALGORITHMS)('--alg %s --file puts a new key first and keeps the old one', async (alg) => {
    const [old] = await signingJwks(alg);
    const file = keyFile([old!]);

    const run = await keys(['rotate', '--alg', alg, '--file', file]);

    expect(run).toMatchObject({ code: 0 }); // on failure, shows the CLI's stderr too
    const set = keysOf(readFileSync(file, 'utf8'));
    expect(set).toHaveLength(2);
    expect(set[1]).toEqual(old);
    expect(await kidOf(set[0]!)).not.toBe(await kidOf(old!));
    const ring = await loadKeyRing(readFileSync(file, 'utf8'), alg);
    expect(ring.signing.kid).toBe(await kidOf(set[0]!));
    expect([...ring.verification.keys()]).toEqual([await kidOf(set[0]!), await kidOf(old!)]);
  });

  it('without --file, reads SIGNING_KEYS and prints the rotated set', async () => {
    const jwks = await signingJwks('ES256', 2);

    const run = await keys(['rotate'], { SIGNING_KEYS: signingKeysJson(jwks) });

    expect(run).toMatchObject({ code: 0 }); // on failure, shows the CLI's stderr too
    const set = keysOf(run.stdout);
    expect(set).toHaveLength(3);
    expect(set.slice(1)).toEqual(jwks);
  });

  it('refuses a new key of another algorithm than the set\'s, and leaves the file as it was', async () => {
    const file = keyFile(await signingJwks('EdDSA'));
    const before = readFileSync(file, 'utf8');

    const run = await keys(['rotate', '--alg', 'ES256', '--file', file]);

    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('SIGNING_KEYS');
    expect(readFileSync(file, 'utf8')).toBe(before);
  });

  it('refuses to run with no current set, saying where one comes from', async () => {
    const args = ['rotate'];

    const run = await keys(args);

    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('SIGNING_KEYS');
    expect(run.stdout).toBe('');
  });

  it('refuses a --file that does not exist', async () => {
    const file = join(dir, 'missing.json');

    const run = await keys(['rotate', '--file', file]);

    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('does not exist');
    expect(existsSync(file)).toBe(false);
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

    const run = await keys(['retire', '--file', file, '--kid', await kidOf(dashed)]);

    expect(run).toMatchObject({ code: 0 }); // on failure, shows the CLI's stderr too
    expect(keysOf(readFileSync(file, 'utf8'))).toEqual([newest]);
  });

  it('--file --kid removes that key and keeps the others in order', async () => {
    const jwks = await signingJwks('ES256', 3);
    const file = keyFile(jwks);
    const retired = await kidOf(jwks[1]!);

    const run = await keys(['retire', '--file', file, '--kid', retired]);

    expect(run).toMatchObject({ code: 0 }); // on failure, shows the CLI's stderr too
    expect(keysOf(readFileSync(file, 'utf8'))).toEqual([jwks[0], jwks[2]]);
    expect(run.stderr).not.toContain(retired);
  });

  it('retires an HS256 key by its own kid', async () => {
    const jwks = await signingJwks('HS256', 2);
    const file = keyFile(jwks);

    const run = await keys(['retire', '--alg', 'HS256', '--file', file, '--kid', jwks[1]!.kid as string]);

    expect(run).toMatchObject({ code: 0 }); // on failure, shows the CLI's stderr too
    expect(keysOf(readFileSync(file, 'utf8'))).toEqual([jwks[0]]);
  });

  it('without --kid, keeps only the newest key', async () => {
    const jwks = await signingJwks('EdDSA', 3);
    const file = keyFile(jwks);

    const run = await keys(['retire', '--alg', 'EdDSA', '--file', file]);

    expect(run).toMatchObject({ code: 0 }); // on failure, shows the CLI's stderr too
    expect(keysOf(readFileSync(file, 'utf8'))).toEqual([jwks[0]]);
  });

  it('refuses to retire the signing key, and leaves the file as it was', async () => {
    const jwks = await signingJwks('ES256', 2);
    const file = keyFile(jwks);
    const before = readFileSync(file, 'utf8');

    const run = await keys(['retire', '--file', file, '--kid', await kidOf(jwks[0]!)]);

    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('signing key');
    expect(readFileSync(file, 'utf8')).toBe(before);
  });

  it('refuses an unknown kid, naming the kids the set has', async () => {
    const jwks = await signingJwks('ES256', 2);
    const file = keyFile(jwks);
    const before = readFileSync(file, 'utf8');

    const run = await keys(['retire', '--file', file, '--kid', 'no-such-kid']);

    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain(await kidOf(jwks[1]!));
    expect(readFileSync(file, 'utf8')).toBe(before);
  });
});

describe('npm run keys -- show', () => {
  it('prints the signing kid, the accepted kids and the public JWKS, with no private member', async () => {
    const jwks = await signingJwks('RS256', 2);
    const file = keyFile(jwks);
    const kids = [await kidOf(jwks[0]!), await kidOf(jwks[1]!)];

    const run = await keys(['show', '--alg', 'RS256', '--file', file]);

    expect(run).toMatchObject({ code: 0 }); // on failure, shows the CLI's stderr too
    const shown = JSON.parse(run.stdout) as { signing: string; accepted: string[]; jwks: { keys: JWK[] } };
    expect(shown.signing).toBe(kids[0]);
    expect(shown.accepted).toEqual(kids);
    expect(shown.jwks.keys.map((key) => key.kid)).toEqual(kids);
    for (const key of shown.jwks.keys) {
      expect(key).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig' });
      for (const member of PRIVATE_MEMBERS) expect(key).not.toHaveProperty(member);
    }
    for (const jwk of jwks) expect(run.stdout).not.toContain(jwk.d as string);
  });

  it('shows an HS256 set by kid and publishes no key, nor its secret', async () => {
    const jwks = await signingJwks('HS256', 1);

    const run = await keys(['show', '--alg', 'HS256'], { SIGNING_KEYS: signingKeysJson(jwks) });

    expect(run).toMatchObject({ code: 0 }); // on failure, shows the CLI's stderr too
    expect(JSON.parse(run.stdout)).toEqual({ signing: jwks[0]!.kid, accepted: [jwks[0]!.kid], jwks: { keys: [] } });
    expect(run.stdout).not.toContain(jwks[0]!.k as string);
  });

  it('--local reads the file `npm start` uses, in DATA_DIR even when that is an absolute path', async () => {
    const dataDir = join(dir, 'data');
    mkdirSync(dataDir);
    const jwks = await signingJwks('ES256');
    writeFileSync(join(dataDir, 'signing-keys.ES256.json'), signingKeysJson(jwks));

    const run = await keys(['show', '--local'], { DATA_DIR: dataDir });

    expect(run).toMatchObject({ code: 0 }); // on failure, shows the CLI's stderr too
    expect(JSON.parse(run.stdout)).toMatchObject({ signing: await kidOf(jwks[0]!) });
  });
});

describe('npm run keys with a bad command line', () => {
  it.each([
    ['an unknown command', ['bogus']],
    ['no command', []],
  ])('answers %s with a non-zero exit and the usage', async (_case, args) => {
    const run = await keys(args);

    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('usage: npm run keys');
    expect(run.stdout).toBe('');
  });

  it('refuses an algorithm it does not know, naming it', async () => {
    const args = ['generate', '--alg', 'HS512'];

    const run = await keys(args);

    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('HS512');
    expect(run.stdout).toBe('');
  });
});
