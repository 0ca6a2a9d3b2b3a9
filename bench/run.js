#!/usr/bin/env node
'use strict';
/**
 * `npm run bench`: the four tables of the performance issue, one after the other, each in a process of its
 * own under this one, then every budget's verdict in one table.
 *   1 authorizer  the authorizer, warm, against the floor and the peers        (bench/authorizer.ts)
 *   2 cold-start  each packaged function's cold start against node -e 0       (bench/cold-start.ts)
 *   3 dynamo      refresh and login on dynalite against their floors          (bench/auth-latency.ts)
 *   4 load        autocannon against `npm start` for 30 s                     (bench/load.ts)
 * Usage: npm run bench [-- TABLE…] [--quick] [--write] [--package-dir DIR] [--duration SECONDS]
 *   --quick   fewer rounds and a 9 s load test: a minute instead of a few
 *   --write   write bench/RESULTS.md (its hand-written analysis is kept), bench/results.svg and bench/results.json
 * Exit status: 1 when a table could not run; a budget that fails is reported, not an error.
 */
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { renderChart } = require('./chart');

const ROOT = path.resolve(__dirname, '..');
const TABLES = [
  { name: 'authorizer', file: 'bench/authorizer.ts', aliases: ['1', 'authorizer'] },
  { name: 'cold-start', file: 'bench/cold-start.ts', aliases: ['2', 'cold', 'cold-start'] },
  { name: 'dynamo', file: 'bench/auth-latency.ts', aliases: ['3', 'dynamo', 'auth', 'refresh', 'login'] },
  { name: 'load', file: 'bench/load.ts', aliases: ['4', 'load'] },
];
const PASSED_ON = ['--quick', '--package-dir', '--duration'];

function parseArgs(argv) {
  const chosen = [];
  const passOn = [];
  let write = false;
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === '--write') write = true;
    else if (PASSED_ON.includes(arg)) {
      passOn.push(arg);
      if (arg !== '--quick') passOn.push(argv[(i += 1)]);
    } else {
      const table = TABLES.find((candidate) => candidate.aliases.includes(arg));
      if (!table) {
        console.error(`unknown table or option "${arg}"; tables: ${TABLES.map((t) => t.name).join(', ')}`);
        process.exit(2);
      }
      if (!chosen.includes(table)) chosen.push(table);
    }
  }
  return { tables: chosen.length > 0 ? TABLES.filter((t) => chosen.includes(t)) : TABLES, passOn, write, quick: passOn.includes('--quick') };
}

function git(args) {
  const { spawnSync } = require('node:child_process');
  const run = spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' });
  return run.status === 0 ? run.stdout.trim() : undefined;
}

/** The machine, from the bench itself. */
function machine() {
  const cpus = os.cpus();
  const dirty = git(['status', '--porcelain', '--', 'lib', 'functions', 'serverless.yml', 'scripts', 'package.json']);
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGb: os.totalmem() / 1024 ** 3,
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    commit: `${git(['rev-parse', '--short', 'HEAD']) ?? 'no git'}${dirty ? ' + uncommitted changes in lib/, functions/, scripts/ or serverless.yml' : ''}`,
    loadBefore: os.loadavg(),
    started: new Date().toISOString(),
  };
}

function runTable(table, passOn, resultFile) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, ['scripts/run-ts.js', table.file, ...passOn], {
      cwd: ROOT,
      stdio: ['ignore', 'inherit', 'inherit'],
      // Lambda runs Node 22; the SDK's notice about Node 20 is not for a benchmark. The handlers measured in
      // this process write no log lines or metrics here (they would bury the tables); the cold starts (table
      // 2) and `npm start` (table 4) run with the logging their deployed environment gives them.
      env: {
        ...process.env,
        BENCH_RESULT_FILE: resultFile,
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        POWERTOOLS_LOG_LEVEL: 'SILENT',
        POWERTOOLS_METRICS_DISABLED: 'true',
      },
    });
    const forward = (signal) => child.kill(signal);
    process.once('SIGINT', forward);
    process.once('SIGTERM', forward);
    child.once('exit', (code, signal) => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      const seconds = (Date.now() - started) / 1000;
      if (code !== 0 || !fs.existsSync(resultFile)) {
        resolve({ table: table.name, failed: `exit ${code ?? signal}`, seconds });
        return;
      }
      resolve({ ...JSON.parse(fs.readFileSync(resultFile, 'utf8')), seconds });
    });
  });
}

function markdownTable(headers, rows) {
  const widths = headers.map((header, i) => Math.max(header.length, ...rows.map((row) => String(row[i]).length)));
  const line = (row) => `| ${row.map((cell, i) => String(cell).padEnd(widths[i])).join(' | ')} |`;
  return [line(headers), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

const ANALYSIS = /<!-- analysis -->[\s\S]*?<!-- \/analysis -->/;

function writeResults(info, results, command) {
  const byName = Object.fromEntries(results.filter((r) => !r.failed).map((r) => [r.table, r]));
  const describe = `${info.cpu}, ${info.cores} cores, ${info.memoryGb.toFixed(0)} GB, Node ${info.node}, ${info.os}`;
  const chartData = { authorizer: byName.authorizer?.data, coldStart: byName['cold-start']?.data, machine: `${describe}; ${info.started.slice(0, 10)}` };
  fs.writeFileSync(path.join(__dirname, 'results.svg'), renderChart(chartData));
  // Every number of the run, for the chart (node bench/chart.js draws it again) and the cost estimate.
  fs.writeFileSync(path.join(__dirname, 'results.json'), `${JSON.stringify({ machine: info, command, chart: chartData, results }, null, 1)}\n`);
  const file = path.join(__dirname, 'RESULTS.md');
  const previous = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  const analysis = ANALYSIS.exec(previous)?.[0] ?? '<!-- analysis -->\n<!-- /analysis -->';
  const text = [
    '# Benchmark results',
    '',
    `Written by \`${command}\` on ${info.started} (the tables below are that run's output; the analysis at the end is written by hand for it).`,
    '',
    '## Machine',
    '',
    `- CPU: ${info.cpu}, ${info.cores} cores; ${info.memoryGb.toFixed(1)} GB of memory`,
    `- Node ${info.node} on ${info.os}`,
    `- Commit: ${info.commit}`,
    `- Load average (1, 5, 15 min) before the run: ${info.loadBefore.map((l) => l.toFixed(2)).join(', ')}; after: ${info.loadAfter.map((l) => l.toFixed(2)).join(', ')}. A shared machine: absolute times are noise, the ratios within a table are what each budget reads.`,
    '',
    '## Commands',
    '',
    '```sh',
    'npm run bench                       # the four tables, a few minutes',
    'npm run bench -- authorizer         # one table: authorizer, cold-start, dynamo or load',
    'npm run bench -- --quick            # fewer rounds, a 9 s load test',
    'npm run bench -- --write            # also rewrites this file, bench/results.svg and bench/results.json',
    'node bench/cost.js                  # the cost estimate of bench/README-section.md, from bench/results.json',
    'node bench/chart.js                 # draws bench/results.svg again from bench/results.json',
    '```',
    '',
    '## Chart',
    '',
    '![Cold start and warm cost per function against the peers](results.svg)',
    '',
    '## Budgets',
    '',
    summaryTable(results),
    '',
    ...results.filter((r) => !r.failed).flatMap((r) => [r.markdown.replace(/^### /, '## '), '']),
    analysis,
    '',
  ].join('\n');
  fs.writeFileSync(file, text);
}

function summaryTable(results) {
  const rows = [];
  for (const result of results) {
    if (result.failed) rows.push([result.table, 'the table did not run', result.failed, '', 'FAIL']);
    else for (const budget of result.budgets) rows.push([result.table, budget.name, budget.measured, budget.limit, budget.pass ? 'PASS' : 'FAIL']);
  }
  return markdownTable(['table', 'budget', 'measured', 'limit', 'verdict'], rows);
}

async function main() {
  const { tables, passOn, write } = parseArgs(process.argv.slice(2));
  const info = machine();
  console.log(`# npm run bench: ${tables.map((t) => t.name).join(', ')}${passOn.length ? ` (${passOn.join(' ')})` : ''}`);
  console.log(`${info.cpu}, ${info.cores} cores, ${info.memoryGb.toFixed(1)} GB; Node ${info.node}; ${info.os}; commit ${info.commit}; load average ${info.loadBefore.map((l) => l.toFixed(2)).join(' ')}\n`);
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-results-'));
  const results = [];
  try {
    for (const table of tables) {
      const result = await runTable(table, passOn, path.join(scratch, `${table.name}.json`));
      results.push(result);
      console.log(`(${table.name}: ${result.seconds.toFixed(0)} s${result.failed ? `, FAILED: ${result.failed}` : ''})\n`);
    }
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
  info.loadAfter = os.loadavg();
  console.log('## Budgets\n');
  console.log(summaryTable(results));
  if (write) {
    writeResults(info, results, `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`);
    console.log('\nWrote bench/RESULTS.md, bench/results.svg and bench/results.json');
  }
  process.exitCode = results.some((r) => r.failed) ? 1 : 0;
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
