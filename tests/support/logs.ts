/**
 * What the service writes, as it would reach CloudWatch: for each test of the file that calls
 * `captureOutput()`, the log level is DEBUG, the EMF output is on, and every line written to stdout or
 * stderr (and to console.*) is recorded instead of printed. Lines that are JSON are parsed.
 */
import { inspect } from 'node:util';
import { logger } from '../../lib/log';
import { remakeMetrics } from '../../lib/metrics';

export interface Captured {
  /** Every line, as written. */
  lines(): string[];
  /** The JSON lines, parsed. */
  records(): Record<string, unknown>[];
  /** The log records (not the EMF ones), optionally those with this `event`. */
  logs(event?: string): Record<string, unknown>[];
  /** The metrics of the EMF lines, summed by name (each line counts once per metric it carries). */
  metrics(): Record<string, number>;
  clear(): void;
}

export function captureOutput(): Captured {
  let written: string[] = [];
  const record = (text: string) => written.push(...text.split('\n').filter((line) => line.trim() !== ''));

  beforeEach(() => {
    written = [];
    logger.setLevel('DEBUG');
    process.env.POWERTOOLS_METRICS_DISABLED = 'false';
    remakeMetrics();
    for (const stream of [process.stdout, process.stderr]) {
      jest.spyOn(stream, 'write').mockImplementation(((chunk: unknown) => {
        record(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
        return true;
      }) as typeof stream.write);
    }
    for (const method of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const) {
      jest.spyOn(console, method).mockImplementation((...args: unknown[]) => {
        record(args.map((arg) => (typeof arg === 'string' ? arg : inspect(arg, { depth: 10 }))).join(' '));
      });
    }
  });
  afterEach(() => {
    jest.restoreAllMocks();
    logger.setLevel('SILENT');
    process.env.POWERTOOLS_METRICS_DISABLED = 'true';
    remakeMetrics();
  });

  const records = () =>
    written.flatMap((line) => {
      try {
        const parsed: unknown = JSON.parse(line);
        return parsed !== null && typeof parsed === 'object' ? [parsed as Record<string, unknown>] : [];
      } catch {
        return [];
      }
    });
  const isEmf = (entry: Record<string, unknown>) => '_aws' in entry;

  return {
    lines: () => [...written],
    records,
    logs: (event) => records().filter((entry) => !isEmf(entry) && (event === undefined || entry.event === event)),
    metrics: () => {
      const totals: Record<string, number> = {};
      for (const entry of records().filter(isEmf)) {
        const names = (entry._aws as { CloudWatchMetrics: { Metrics: { Name: string }[] }[] }).CloudWatchMetrics.flatMap((set) => set.Metrics.map((metric) => metric.Name));
        for (const name of names) totals[name] = (totals[name] ?? 0) + Number(entry[name]);
      }
      return totals;
    },
    clear: () => {
      written = [];
    },
  };
}
