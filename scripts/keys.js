#!/usr/bin/env node
'use strict';
/**
 * npm run keys -- <command> [options]: makes and rotates the signing keys, a JSON JWK Set of private keys with
 * the signing key first. Deployed, the set is the SecretString of the Secrets Manager secret
 * `<service>/<stage>/signing-keys`, and its public half (`public`) is what the verifying functions get as
 * PUBLIC_JWKS; locally it is DATA_DIR/signing-keys.<alg>.json. A new set goes to stdout (or back into --file);
 * advice goes to stderr, so stdout only ever holds JSON.
 */
const fs = require('node:fs');
const path = require('node:path');
const { parseArgs } = require('node:util');
const { loadTs } = require('./local-gateway/load-ts');

const ROOT = path.resolve(__dirname, '..');

const USAGE = `usage: npm run keys -- <command> [--alg ES256|RS256|EdDSA|HS256] [--file PATH | --local] [--kid KID] [--stage STAGE]

commands
  generate   a new key set with one key
  add        append a new key: accepted by verifiers, not signing yet
  promote    move the key --kid KID to the front: it signs every new token
  rotate     add a new key in front at once (for a deployed set, add, deploy, then promote instead)
  retire     drop the key --kid KID (or every key but the signing key, with no --kid)
  show       the kids and the public JWKS of a key set
  public     the public JWK Set of a key set: what PUBLIC_JWKS holds

where the current set comes from
  --file PATH   a JSON file, rewritten in place by add, promote, rotate and retire
  --local       the key file that \`npm start\` uses (DATA_DIR/signing-keys.<alg>.json)
  (neither)     the SIGNING_KEYS environment variable; the new set is printed

  --alg         default: SIGNING_ALG, else the algorithm of the current set's keys, else ES256
  --stage       the stage the printed AWS commands are for (default prod)

When stdout goes to a pipe, run \`npm run --silent keys -- …\` or \`node scripts/keys.js …\`: npm prints a banner.`;

const DEFAULT_STAGE = 'prod';
const VALUE_OPTIONS = ['--alg', '--file', '--kid', '--stage'];

/** Exit codes: 1 for a key set that cannot be used as asked, 2 for a bad command line, 3 for npm's banner in a pipe. */
const EXIT = { ok: 0, keySet: 1, usage: 2, banner: 3 };

class CliError extends Error {
  constructor(code, message) {
    super(message);
    this.name = 'CliError';
    this.code = code;
  }
}
const usageError = (message) => new CliError(EXIT.usage, message);
const keySetError = (message) => new CliError(EXIT.keySet, message);

/**
 * Every command in one row: the options it takes, whether it starts from the current set, how it makes the
 * next set, and what a deployed copy of that set then needs. `publish`: the public keys changed, so the
 * PUBLIC_JWKS parameter and a deploy follow the secret; `publishFirst`: the signing key changed to one the
 * verifiers have never seen, so they must learn it (parameter, deploy) before the secret switches signers.
 */
const COMMANDS = {
  generate: { options: ['alg', 'file', 'local', 'stage'], current: false, publish: true, change: async ({ keys, alg }) => ({ next: [await keys.generateSigningJwk(alg)] }) },
  add: {
    options: ['alg', 'file', 'local', 'stage'],
    current: true,
    publish: true,
    change: async ({ keys, alg, set, kids }) => ({ next: [...set, await newKey(keys, alg, kids)], added: true }),
  },
  promote: {
    options: ['alg', 'file', 'local', 'stage', 'kid'],
    needsKid: true,
    current: true,
    publish: false,
    change: async ({ set, kids, kid }) => {
      const index = kids.indexOf(kid);
      if (index < 0) throw keySetError(`no key with kid ${kid}; the set has ${kids.join(', ')}`);
      return { next: [set[index], ...set.filter((_, i) => i !== index)] };
    },
  },
  rotate: {
    options: ['alg', 'file', 'local', 'stage'],
    current: true,
    publish: true,
    publishFirst: true,
    change: async ({ keys, alg, set, kids }) => ({ next: [await newKey(keys, alg, kids), ...set] }),
  },
  retire: {
    options: ['alg', 'file', 'local', 'stage', 'kid'],
    current: true,
    publish: true,
    change: async ({ set, kids, kid }) => {
      if (kid !== undefined && !kids.includes(kid)) throw keySetError(`no key with kid ${kid}; the set has ${kids.join(', ')}`);
      if (kid === kids[0]) throw keySetError(`${kid} is the signing key; promote another key first, then retire this one once its tokens have expired`);
      return { next: set.filter((_, index) => (kid !== undefined ? kids[index] !== kid : index === 0)) };
    },
  },
  show: { options: ['alg', 'file', 'local'], current: true },
  public: { options: ['alg', 'file', 'local'], current: true },
};

/** A new key whose kid the set does not have yet: an HS256 kid comes from the clock, two in one millisecond collide. */
async function newKey(keys, alg, kids) {
  let jwk = await keys.generateSigningJwk(alg);
  while (kids.includes(jwk.kid)) jwk = await keys.generateSigningJwk(alg);
  return jwk;
}

let libKeys;
/** lib/keys.ts, bundled once per process: every command of a test run reuses it. */
function loadLibKeys() {
  libKeys ??= loadTs(path.join(ROOT, 'lib/keys.ts'));
  return libKeys;
}

let serviceName;
/** The top `service:` of serverless.yml, which names the deployed secret and parameter. */
function service() {
  if (serviceName === undefined) {
    const yml = fs.readFileSync(path.join(ROOT, 'serverless.yml'), 'utf8');
    serviceName = /^service:\s*['"]?([\w-]+)/m.exec(yml)?.[1];
    if (!serviceName) throw keySetError('serverless.yml has no top-level "service:", which names the deployed secret');
  }
  return serviceName;
}

/** ["--kid", "-x"] → ["--kid=-x"]: a kid is base64url and may begin with "-", which parseArgs would take for an option. */
function joinValues(args) {
  const joined = [];
  for (let i = 0; i < args.length; i += 1) {
    if (VALUE_OPTIONS.includes(args[i]) && i + 1 < args.length) {
      joined.push(`${args[i]}=${args[i + 1]}`);
      i += 1;
    } else joined.push(args[i]);
  }
  return joined;
}

/** A word as a POSIX shell reads it back unchanged. */
function shellWord(word) {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The alg whose row in lib/keys.ts accepts this key, if any: lib's table decides, not a copy of it here. */
async function algOfKey(keys, jwk) {
  for (const alg of keys.SIGNING_ALGORITHMS) {
    const fits = await keys.loadKeyRing(JSON.stringify({ keys: [jwk] }), alg).then(() => true, () => false);
    if (fits) return alg;
  }
  return undefined;
}

/**
 * Runs the CLI with `argv` (what follows `keys.js`) and returns its exit code. `io` defaults to this process's
 * environment, directory and streams; only the real stdout gets the npm-banner handling.
 */
async function run(argv, io = {}) {
  const env = io.env ?? process.env;
  const cwd = io.cwd ?? process.cwd();
  const stderr = io.stderr ?? process.stderr;
  const out = io.stdout === undefined || io.stdout === process.stdout ? processStdout(argv, env, stderr) : injectedStdout(io.stdout);
  try {
    await main(argv, { env, cwd, stderr, out });
    return out.finish();
  } catch (error) {
    if (error instanceof CliError && error.code === EXIT.usage) stderr.write(`${error.message}\n\n${USAGE}\n`);
    else stderr.write(`npm run keys: ${error.message}\n`);
    return error instanceof CliError ? error.code : EXIT.keySet;
  }
}

async function main(argv, { env, cwd, stderr, out }) {
  let parsed;
  try {
    parsed = parseArgs({
      args: joinValues(argv),
      allowPositionals: true,
      options: {
        alg: { type: 'string' },
        file: { type: 'string' },
        local: { type: 'boolean' },
        kid: { type: 'string' },
        stage: { type: 'string' },
        help: { type: 'boolean' },
      },
    });
  } catch (error) {
    throw usageError(error.message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    stderr.write(`${USAGE}\n`);
    return;
  }
  const [command, ...extra] = positionals;
  if (!command) throw usageError('no command');
  if (!Object.hasOwn(COMMANDS, command)) throw usageError(`unknown command "${command}"`);
  if (extra.length > 0) throw usageError(`unexpected argument "${extra[0]}"`);
  const row = COMMANDS[command];
  for (const option of ['file', 'local', 'kid', 'stage']) {
    if (values[option] !== undefined && !row.options.includes(option)) throw usageError(`${command} takes no --${option}`);
  }
  if (values.file !== undefined && values.local) throw usageError('--file and --local are two places: give one');
  if (values.local && values.stage !== undefined) throw usageError('--stage is for a set meant for deployment; --local is the key `npm start` uses');
  if (row.needsKid && !values.kid) throw usageError(`${command} needs --kid KID`);
  const stage = values.stage ?? DEFAULT_STAGE;
  // Serverless stage names are letters, digits and "-"; anything else would not survive the printed commands.
  if (!/^[A-Za-z0-9-]+$/.test(stage)) throw usageError(`"${stage}" is not a stage name (letters, digits and "-")`);

  const keys = loadLibKeys();
  // Read before anything is written: the advice after the change names the service's secret and parameter.
  const deploying = row.change !== undefined && !values.local;
  if (deploying) service();
  const explicitAlg = values.alg ?? env.SIGNING_ALG;
  if (explicitAlg !== undefined && !keys.SIGNING_ALGORITHMS.includes(explicitAlg)) {
    throw usageError(`unknown algorithm "${explicitAlg}"${values.alg ? '' : ' in SIGNING_ALG'}; use one of ${keys.SIGNING_ALGORITHMS.join(', ')}`);
  }
  // The same place `npm start` uses (scripts/local-gateway/plugin.js).
  const dataDir = path.resolve(ROOT, env.DATA_DIR || '.data');
  const file = values.local ? path.join(dataDir, `signing-keys.${explicitAlg ?? 'ES256'}.json`) : values.file !== undefined ? path.resolve(cwd, values.file) : undefined;
  // Paths in advice are for the user's shell: npm runs scripts from the package root, INIT_CWD is where it was typed.
  const shellCwd = env.INIT_CWD || cwd;
  const shown = (absolute) => {
    const relative = path.relative(shellCwd, absolute);
    return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : absolute;
  };
  const label = file ? shown(file) : 'SIGNING_KEYS';
  // generate never overwrites: the file may hold the only copy of keys that tokens in use were signed with.
  if (command === 'generate' && file && fs.existsSync(file)) throw keySetError(`${label} already exists; use add or rotate to change it, or remove it first`);

  // The local file is per algorithm: its name, not its content, says which.
  const fixedAlg = explicitAlg ?? (values.local ? 'ES256' : undefined);
  let alg = fixedAlg ?? 'ES256';
  let set = [];
  let ring;
  if (row.current) {
    let text;
    if (file) {
      if (!fs.existsSync(file)) throw keySetError(`${label} does not exist`);
      text = fs.readFileSync(file, 'utf8');
    } else {
      text = env.SIGNING_KEYS;
      if (!text) throw usageError('no current key set: pass --file PATH or --local, or set SIGNING_KEYS');
    }
    ({ set, ring, alg } = await loadCurrent(keys, text, fixedAlg, label));
  }
  const kids = ring ? [...ring.verification.keys()] : [];

  if (command === 'show') {
    out.write(`${JSON.stringify({ signing: ring.signing.kid, accepted: kids, jwks: { keys: ring.publicJwks } }, null, 2)}\n`);
    return;
  }
  if (command === 'public') {
    out.write(`${JSON.stringify({ keys: ring.publicJwks })}\n`);
    if (ring.publicJwks.length === 0) stderr.write(`${alg} keys are shared secrets: there is no public key set to publish.\n`);
    return;
  }

  const { next, added } = await row.change({ keys, alg, set, kids, kid: values.kid });
  const text = JSON.stringify({ keys: next });
  const nextRing = await keys.loadKeyRing(text, alg, `${label}:`); // validates what we hand out
  const nextKids = [...nextRing.verification.keys()];
  const unchanged = ring !== undefined && nextKids.join() === kids.join();

  if (file && !unchanged) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text, { mode: 0o600, flag: command === 'generate' ? 'wx' : 'w' });
  } else if (!file) {
    out.write(`${text}\n`);
  }

  const source = values.local ? '--local' : `--file ${shellWord(file ? shown(file) : 'keys.json')}`;
  const lines = [''];
  if (unchanged) {
    lines.push(command === 'promote' ? `${values.kid} is already the signing key: the set is unchanged.` : `Nothing to retire: ${kids[0]} is the only key, and it signs.`);
    if (file) lines.push(`${label} is left as it was.`);
    stderr.write(`${lines.join('\n')}\n`);
    return;
  }
  lines.push(`Signing key: ${nextRing.signing.kid} (${alg}); accepted: ${nextKids.join(', ')}`);
  if (command === 'retire') lines.push(`Retired: ${kids.filter((kid) => !nextKids.includes(kid)).join(', ')}`);
  if (values.local) lines.push(`Written to ${label}. Restart \`npm start\` to use it.`);
  if (deploying) lines.push(...deployAdvice({ row, alg, stage, setFile: file ? shown(file) : 'keys.json', toStdout: !file, script: shown(__filename) }));
  // What comes next in a rotation: add → promote → retire.
  if (added) {
    lines.push(
      '',
      `The new key ${nextKids.at(-1)} is accepted but does not sign yet. Once verifiers have it${values.local ? '' : ' (after the deploy)'}, make it the signing key:`,
      `  npm run keys -- promote ${source} --kid ${nextKids.at(-1)}`,
    );
  }
  if ((command === 'promote' || command === 'rotate') && kids[0] !== nextKids[0]) {
    lines.push(
      '',
      `Keep ${kids[0]} until every token it signed has expired (ACCESS_TOKEN_TTL after the last signer switched) and`,
      'verifiers have refreshed the JWKS (max-age 300 s); then retire it:',
      `  npm run keys -- retire ${source} --kid ${kids[0]}`,
    );
  }
  stderr.write(`${lines.join('\n')}\n`);
}

/** The current set, its key ring, and its algorithm: the one asked for, else the one its first key fits. */
async function loadCurrent(keys, text, explicitAlg, label) {
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw keySetError(`${label} is not JSON; a key set is a JWK Set, {"keys":[…]}`);
  }
  const set = parsed?.keys;
  if (!Array.isArray(set) || set.length === 0) throw keySetError(`${label} holds no key; a key set is a JWK Set, {"keys":[…]}`);
  const alg = explicitAlg ?? (await algOfKey(keys, set[0])) ?? 'ES256';
  try {
    return { set, alg, ring: await keys.loadKeyRing(text, alg, `${label}:`) };
  } catch (error) {
    const actual = explicitAlg !== undefined ? await algOfKey(keys, set[0]) : undefined;
    const hint = actual !== undefined && actual !== alg ? ` (it holds ${actual} keys: pass --alg ${actual})` : '';
    throw keySetError(`${error.message}${hint}`);
  }
}

/** The AWS CLI commands that put a set meant for deployment where the deployed functions read it. */
function deployAdvice({ row, alg, stage, setFile, toStdout, script }) {
  const name = `${service()}/${stage}`;
  const fileArg = shellWord(`file://${setFile}`);
  const secret = [
    'Store it in AWS Secrets Manager: create-secret the first time, put-secret-value once the secret exists:',
    `  aws secretsmanager create-secret --name ${name}/signing-keys --secret-string ${fileArg}`,
    `  aws secretsmanager put-secret-value --secret-id ${name}/signing-keys --secret-string ${fileArg}`,
  ];
  const symmetric = alg === 'HS256';
  const publish = symmetric
    ? [`${alg} keys are shared secrets: there is no public key set to publish.`]
    : [
        'Publish its public keys for the functions that only verify, then deploy so that they get them:',
        `  aws ssm put-parameter --name /${name}/public-jwks --type String --overwrite --value "$(node ${shellWord(script)} public --file ${shellWord(setFile)})"`,
        `  npx serverless deploy --stage ${stage}`,
      ];
  const lines = [
    '',
    `To deploy it to stage ${stage}, with the set ${toStdout ? 'saved as' : 'in'} ${setFile} (private keys: never commit it):`,
  ];
  if (!row.publish) {
    lines.push(...secret);
    lines.push('The public keys are unchanged: no parameter update and no deploy. Signers switch at their next cold start.');
  } else if (row.publishFirst && !symmetric) {
    lines.push('In this order: verifiers must know the new signing key before any signer uses it.');
    lines.push(...publish.map((line, index) => (index === 0 ? `1. ${line}` : line)));
    lines.push(...secret.map((line, index) => (index === 0 ? `2. ${line}` : line)));
  } else {
    lines.push(...secret, ...publish);
  }
  return lines;
}

/** Writes to an injected stream: tests and other in-process callers. */
function injectedStdout(stream) {
  return { write: (text) => stream.write(text), finish: () => EXIT.ok };
}

const O_APPEND = 0o2000;

/**
 * Writes to fd 1, keeping it valid JSON under `npm run`, which prints its banner ("\n> pkg@1.0.0 keys\n> node
 * scripts/keys.js …\n\n") on the same stdout before the script starts. Into a file that the shell truncated
 * (`> keys.json`) the banner is the only content: remove it. Into a pipe it is gone already: warn, exit 3.
 */
function processStdout(argv, env, stderr) {
  let leakedInto;
  return {
    write(text) {
      const target = inspectStdout();
      if (target.kind === 'file' && isNpmBanner(target.content)) {
        replaceBanner(text, target.position);
        return;
      }
      process.stdout.write(text);
      if ((target.kind === 'stream' || target.kind === 'append') && npmBannerWentTo(target.stat, env)) leakedInto = target.kind;
    },
    /** The exit code; the warning comes after the advice, where it is seen. */
    finish() {
      if (!leakedInto) return EXIT.ok;
      const args = argv.map(shellWord).join(' ');
      const where = leakedInto === 'append' ? 'the file this appends to (>>), which is left as it is,' : 'the same pipe';
      stderr.write(
        [
          '',
          `npm run keys: npm printed its "> ${env.npm_package_name}@${env.npm_package_version} ${env.npm_lifecycle_event}" banner into ${where}`,
          'before this script started, so what went there is not valid JSON. Run one of these instead:',
          `  npm run --silent keys -- ${args}`,
          `  node scripts/keys.js ${args}`,
          '',
        ].join('\n'),
      );
      return EXIT.banner;
    },
  };
}

/** What fd 1 is; for a regular file, whether it appends, its offset, and (if small) its content. */
function inspectStdout() {
  let stat;
  try {
    stat = fs.fstatSync(1);
  } catch {
    return { kind: 'other' };
  }
  if (stat.isFIFO() || stat.isSocket()) return { kind: 'stream', stat };
  if (!stat.isFile()) return { kind: 'other' };
  let fdinfo;
  try {
    fdinfo = fs.readFileSync('/proc/self/fdinfo/1', 'utf8');
  } catch {
    return { kind: 'other' }; // not Linux: no way to tell, so no banner handling
  }
  const flags = Number.parseInt(/^flags:\s*([0-7]+)$/m.exec(fdinfo)?.[1] ?? '', 8);
  const position = Number.parseInt(/^pos:\s*(\d+)$/m.exec(fdinfo)?.[1] ?? '', 10);
  if (Number.isNaN(flags)) return { kind: 'other' };
  if (flags & O_APPEND) return { kind: 'append', stat };
  let content = '';
  // A banner is a few lines: a larger file cannot be one, and is not worth reading.
  if (stat.size > 0 && stat.size <= 64 * 1024) {
    try {
      content = fs.readFileSync('/proc/self/fd/1', 'utf8');
    } catch {
      content = ''; // e.g. a write-only file: leave it alone
    }
  }
  return { kind: 'file', stat, position, content };
}

/** npm's `npm run` banner, and nothing else: a blank line, "> …" lines, blank lines. */
function isNpmBanner(text) {
  return text.startsWith('\n> ') && text.split('\n').every((line) => line === '' || line.startsWith('> '));
}

/**
 * Replaces the file's content with `text`. The file offset, shared with npm and the shell, stands at the
 * banner's end: the first bytes go to position 0, the rest through the offset, which then ends at the JSON's
 * end, where anything written later through this stdout belongs.
 */
function replaceBanner(text, position) {
  const bytes = Buffer.from(text);
  const head = Number.isNaN(position) ? bytes.length : Math.min(position, bytes.length);
  fs.ftruncateSync(1, 0);
  for (let done = 0; done < head; ) done += fs.writeSync(1, bytes, done, head - done, done);
  for (let done = head; done < bytes.length; ) done += fs.writeSync(1, bytes, done, bytes.length - done, null);
}

/**
 * Whether npm printed its banner into `stat` (our stdout): npm ran us without --silent, and the shell npm
 * started (`sh -c "node scripts/keys.js …"`) writes to the same file, so the script did not redirect us.
 */
function npmBannerWentTo(stat, env) {
  if (!env.npm_lifecycle_event || env.npm_config_loglevel === 'silent') return false;
  try {
    const parent = fs.statSync(`/proc/${process.ppid}/fd/1`);
    return parent.dev === stat.dev && parent.ino === stat.ino;
  } catch {
    return true; // cannot look: trust npm's variables
  }
}

module.exports = { run };

if (require.main === module) {
  run(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
