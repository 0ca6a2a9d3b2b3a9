#!/usr/bin/env node
'use strict';
/**
 * npm run keys -- <command> [options]: makes and rotates the signing keys (SIGNING_KEYS, a JSON JWK Set of
 * private keys, newest first). The new set goes to stdout (or back into --file); advice goes to stderr.
 */
const fs = require('node:fs');
const path = require('node:path');
const { parseArgs } = require('node:util');
const { loadTs } = require('./local-gateway/load-ts');

const USAGE = `usage: npm run keys -- <command> [--alg ES256|RS256|EdDSA|HS256] [--file PATH | --local] [--kid KID]

commands
  generate   a new key set with one key
  rotate     add a new key in front: new tokens are signed with it, older keys keep verifying
  retire     drop the key --kid KID (or every key but the newest, with no --kid)
  show       the kids and the public JWKS of a key set

where the current set comes from
  --file PATH   a JSON file, rewritten in place by rotate and retire
  --local       the key file that \`npm start\` uses (.data/signing-keys.<alg>.json)
  (neither)     the SIGNING_KEYS environment variable; the new set is printed`;

function fail(message) {
  process.stderr.write(`${message}\n\n${USAGE}\n`);
  process.exit(2);
}

/** ["--kid", "-x"] → ["--kid=-x"] for the options that take a value. */
function joinValues(args, valueOptions) {
  const joined = [];
  for (let i = 0; i < args.length; i += 1) {
    if (valueOptions.includes(args[i]) && i + 1 < args.length) {
      joined.push(`${args[i]}=${args[i + 1]}`);
      i += 1;
    } else joined.push(args[i]);
  }
  return joined;
}

async function main() {
  const { values, positionals } = parseArgs({
    // A kid is base64url and may begin with "-", which parseArgs would take for an option: glue values on.
    args: joinValues(process.argv.slice(2), ['--alg', '--file', '--kid']),
    allowPositionals: true,
    options: { alg: { type: 'string' }, file: { type: 'string' }, local: { type: 'boolean' }, kid: { type: 'string' }, help: { type: 'boolean' } },
  });
  const [command] = positionals;
  if (values.help || !command) fail('');
  const root = path.resolve(__dirname, '..');
  const keys = loadTs(path.join(root, 'lib/keys.ts'));
  const alg = values.alg || process.env.SIGNING_ALG || 'ES256';
  if (!keys.SIGNING_ALGORITHMS.includes(alg)) fail(`unknown algorithm "${alg}"; use one of ${keys.SIGNING_ALGORITHMS.join(', ')}`);
  // The same place `npm start` uses (scripts/local-gateway/plugin.js).
  const dataDir = path.resolve(root, process.env.DATA_DIR || '.data');
  const file = values.local ? path.join(dataDir, `signing-keys.${alg}.json`) : values.file;

  const current = () => {
    const text = file ? (fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : fail(`${file} does not exist`)) : process.env.SIGNING_KEYS;
    if (!text) fail('no current key set: pass --file, --local, or set SIGNING_KEYS');
    return JSON.parse(text).keys;
  };

  let next;
  if (command === 'generate') next = [await keys.generateSigningJwk(alg)];
  else if (command === 'rotate') next = [await keys.generateSigningJwk(alg), ...current()];
  else if (command === 'retire') {
    const set = current();
    const ring = await keys.loadKeyRing(JSON.stringify({ keys: set }), alg);
    const kids = [...ring.verification.keys()];
    if (values.kid && !kids.includes(values.kid)) fail(`no key with kid ${values.kid}; the set has ${kids.join(', ')}`);
    if (values.kid === kids[0]) fail('that is the signing key; rotate first, then retire it once its tokens have expired');
    next = set.filter((_, index) => (values.kid ? kids[index] !== values.kid : index === 0));
  } else if (command === 'show') {
    const ring = await keys.loadKeyRing(JSON.stringify({ keys: current() }), alg);
    process.stdout.write(`${JSON.stringify({ signing: ring.signing.kid, accepted: [...ring.verification.keys()], jwks: { keys: ring.publicJwks } }, null, 2)}\n`);
    return;
  } else fail(`unknown command "${command}"`);

  const ring = await keys.loadKeyRing(JSON.stringify({ keys: next }), alg); // validates what we hand out
  const text = JSON.stringify({ keys: next });
  if (file) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text, { mode: 0o600 });
  } else {
    process.stdout.write(`${text}\n`);
  }
  process.stderr.write(
    [
      '',
      `Signing key: ${ring.signing.kid} (${alg}); accepted: ${[...ring.verification.keys()].join(', ')}`,
      file
        ? `Written to ${path.relative(process.cwd(), file)}. Restart \`npm start\` to use it.`
        : 'Store the JSON above as SIGNING_KEYS (it holds private keys: a secret store or a protected CI variable,',
      file ? '' : 'never git), then deploy: SIGNING_KEYS="$(cat keys.json)" npx serverless deploy',
      'After a rotation, keep the previous key until every token it signed has expired (ACCESS_TOKEN_TTL) and',
      'verifiers have refreshed the JWKS (max-age 300 s); then `retire` it.',
      '',
    ].join('\n'),
  );
}

main().catch((error) => {
  process.stderr.write(`npm run keys: ${error.message}\n`);
  process.exit(1);
});
