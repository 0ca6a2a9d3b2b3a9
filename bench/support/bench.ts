/**
 * What every table of `npm run bench` shares: order statistics, random orders and timing, markdown tables, budget
 * verdicts, and the JSON each table hands bench/run.js (which prints the summary and draws the chart).
 * Benchmarks print numbers; they assert nothing but the correctness of what they time.
 */
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';

export interface Summary {
  n: number;
  median: number;
  p99: number;
  min: number;
  mean: number;
}

/** The q-quantile of sorted values, nearest rank (p99 of 100 samples is the 99th, not an interpolation). */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

export function summary(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const mean = sorted.reduce((sum, value) => sum + value, 0) / Math.max(1, sorted.length);
  return { n: sorted.length, median: quantile(sorted, 0.5), p99: quantile(sorted, 0.99), min: sorted[0] ?? Number.NaN, mean };
}

export const median = (samples: readonly number[]) => summary(samples).median;

/** A new array in random order (Fisher–Yates), so no subject always runs first or right after another. */
export function shuffled<T>(items: readonly T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i -= 1) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

/** Milliseconds one awaited call of `work` takes. */
export async function timeOnce(work: () => unknown): Promise<number> {
  const started = performance.now();
  await work();
  return performance.now() - started;
}

/** A number with a fixed count of decimals, or a dash for a value that does not exist. */
export function fixed(value: number | undefined, digits = 2): string {
  return value === undefined || !Number.isFinite(value) ? '–' : value.toFixed(digits);
}

/** A ratio as "1.23x". */
export const times = (value: number | undefined, digits = 2) => (value === undefined || !Number.isFinite(value) ? '–' : `${value.toFixed(digits)}x`);

/** Bytes as KB (1,000 bytes, as the budgets are written) with one decimal. */
export const kb = (bytes: number) => `${(bytes / 1000).toFixed(1)} KB`;

/** A markdown table, padded so that it reads in a terminal too. */
export function table(headers: string[], rows: (string | number)[][], rightAligned: number[] = []): string {
  const cells = rows.map((row) => row.map(String));
  const widths = headers.map((header, column) => Math.max(header.length, ...cells.map((row) => (row[column] ?? '').length)));
  const pad = (text: string, column: number) => (rightAligned.includes(column) ? text.padStart(widths[column]!) : text.padEnd(widths[column]!));
  const line = (row: string[]) => `| ${row.map((cell, column) => pad(cell, column)).join(' | ')} |`;
  const rule = `|${widths.map((width, column) => (rightAligned.includes(column) ? `${'-'.repeat(width + 1)}:` : '-'.repeat(width + 2))).join('|')}|`;
  return [line(headers), rule, ...cells.map(line)].join('\n');
}

export interface Budget {
  /** What is held to the budget, and against what. */
  name: string;
  /** The measured value, as printed. */
  measured: string;
  /** The limit, as the issue states it. */
  limit: string;
  pass: boolean;
}

export const verdict = (pass: boolean) => (pass ? 'PASS' : 'FAIL');

export function budgetTable(budgets: Budget[]): string {
  return table(['budget', 'measured', 'limit', 'verdict'], budgets.map((b) => [b.name, b.measured, b.limit, verdict(b.pass)]));
}

/** What a table hands bench/run.js: its text as printed, its budgets, and its numbers for the chart. */
export interface TableResult {
  table: string;
  title: string;
  markdown: string;
  budgets: Budget[];
  data: Record<string, unknown>;
}

/** Prints a table's text and, under bench/run.js, writes its result where run.js reads it. */
export function report(result: TableResult): void {
  process.stdout.write(`${result.markdown}\n`);
  const file = process.env.BENCH_RESULT_FILE;
  if (file) fs.writeFileSync(file, JSON.stringify(result));
}

/** `--quick` on the command line (run.js passes it on). */
export const quick = () => process.argv.includes('--quick');

/** The value of `--name VALUE` on the command line. */
export function option(name: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at === -1 ? undefined : process.argv[at + 1];
}

const cleanups = new Set<() => Promise<void>>();

/**
 * Registers what must be stopped however the table ends (a server, a child process): run when `stop` is
 * called, or on SIGINT/SIGTERM. Returns `stop`, which runs it once.
 */
export function onExit(cleanup: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  const stop = () => {
    cleanups.delete(stop);
    return (done ??= cleanup());
  };
  cleanups.add(stop);
  return stop;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    Promise.allSettled([...cleanups].map((stop) => stop())).finally(() => process.exit(130));
  });
}

/** Runs a table's main function: an error ends the process with status 1 and its stack on stderr. */
export function main(run: () => Promise<void>): void {
  run().then(
    () => process.exit(0),
    async (error: unknown) => {
      console.error(error);
      await Promise.allSettled([...cleanups].map((stop) => stop()));
      process.exit(1);
    },
  );
}
