#!/usr/bin/env node
'use strict';
/**
 * Runs table 3 (bench/auth-latency.ts) on this tree and on another commit (REF, checked out into a temporary
 * git worktree that shares this node_modules, with this bench/auth-latency.ts and bench/support/ copied in),
 * one after the other in the same command, and prints each operation's median on both and their ratio.
 * Run: npm run bench:auth:compare -- --baseline REF [ROUNDS]
 */
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const args = process.argv.slice(2);
const at = args.indexOf('--baseline');
const ref = args[at + 1];
const rounds = args.find((arg) => /^\d+$/.test(arg)) || '200';
if (at === -1 || !ref) {
  console.error('usage: node bench/compare-auth.js --baseline <git ref> [ROUNDS]');
  process.exit(2);
}

const run = (cwd) =>
  JSON.parse(execFileSync(process.execPath, ['scripts/run-ts.js', 'bench/auth-latency.ts', rounds, '--json'], {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  }));

const worktree = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-baseline-'));
try {
  execFileSync('git', ['worktree', 'add', '--detach', worktree, ref], { cwd: root, stdio: 'ignore' });
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(worktree, 'node_modules'), 'dir');
  fs.mkdirSync(path.join(worktree, 'bench'), { recursive: true });
  fs.copyFileSync(path.join(root, 'bench', 'auth-latency.ts'), path.join(worktree, 'bench', 'auth-latency.ts'));
  fs.cpSync(path.join(root, 'bench', 'support'), path.join(worktree, 'bench', 'support'), { recursive: true });
  const baseline = run(worktree);
  const current = run(root);
  console.log(`median of ${rounds} refreshes / ${Math.max(20, Math.floor(rounds / 5))} logins on dynalite, through the handlers: ${ref} against this tree`);
  for (const name of ['getItem', 'sign', 'refresh', 'refreshRequests', 'verify', 'login', 'loginRequests']) {
    if (!baseline[name] || !current[name]) continue;
    const [before, after] = [baseline[name].median, current[name].median];
    console.log(`  ${name.padEnd(16)} ${before.toFixed(2).padStart(8)} ms  ${after.toFixed(2).padStart(8)} ms   ${(after / before).toFixed(2)}x`);
  }
  console.log(`requests ${ref}: ${JSON.stringify(baseline.requests)}`);
  console.log(`requests now: ${JSON.stringify(current.requests)}`);
} finally {
  execFileSync('git', ['worktree', 'remove', '--force', worktree], { cwd: root, stdio: 'ignore' });
}
