#!/usr/bin/env node
'use strict';
/**
 * How long a cold process takes to load each packaged function: the authorizer (jose only) against a
 * handler that loads the AWS SDK, each against an empty Node process as the baseline, in the same run.
 * Run after `npx serverless package`: npm run bench:cold-start [-- ROUNDS]
 */
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const rounds = Number(process.argv[2] || 15);
const packaged = path.resolve(__dirname, '..', '.serverless');
if (!fs.existsSync(path.join(packaged, 'authorizer.zip'))) {
  console.error('No .serverless/authorizer.zip: run `npx serverless package` first.');
  process.exit(2);
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cold-start-'));
const load = (fn) => {
  const dir = path.join(work, fn);
  execFileSync('unzip', ['-q', path.join(packaged, `${fn}.zip`), '-d', dir]);
  return `require(${JSON.stringify(path.join(dir, 'functions', `${fn}.js`))})`;
};
const subjects = { 'empty node': '', authorizer: load('authorizer'), login: load('login') };

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const times = Object.fromEntries(Object.keys(subjects).map((name) => [name, []]));
for (let round = 0; round < rounds; round += 1) {
  // Interleaved, so that whatever else the machine does falls on every subject alike.
  for (const [name, code] of Object.entries(subjects)) {
    const started = process.hrtime.bigint();
    const run = spawnSync(process.execPath, ['-e', code], { env: { ...process.env, AWS_REGION: 'us-east-1' } });
    if (run.status !== 0) throw new Error(`${name} failed: ${run.stderr}`);
    times[name].push(Number(process.hrtime.bigint() - started) / 1e6);
  }
}
fs.rmSync(work, { recursive: true, force: true });

const base = median(times['empty node']);
console.log(`cold process start, median of ${rounds} (load only, no invocation):`);
for (const name of Object.keys(subjects)) {
  const ms = median(times[name]);
  console.log(`  ${name.padEnd(11)} ${ms.toFixed(1).padStart(7)} ms   ${(ms / base).toFixed(2)}× empty node   +${(ms - base).toFixed(1)} ms`);
}
