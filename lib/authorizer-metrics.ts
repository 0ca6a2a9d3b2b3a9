import type { RefusalReason } from './tokens';

/**
 * The authorizer's verdicts as CloudWatch metrics, one embedded-metric-format line an invocation, written
 * straight to stdout as Powertools Metrics would (its package would cost the authorizer's bundle more than
 * this file does). Namespace and `service` dimension are Powertools': one alarm set watches both.
 * `AuthorizerAllows`, and `AuthorizerDenies` by `Reason` and in total; a request without a token counts
 * as a deny for `missing`. With POWERTOOLS_METRICS_DISABLED=true nothing is written.
 */
export type Verdict = { allowed: true } | { allowed: false; reason: RefusalReason | 'missing' };

export const METRIC_NAMESPACE = 'jwt-auth';

export function emitVerdict(verdict: Verdict, write: (line: string) => void = (line) => process.stdout.write(`${line}\n`)): void {
  if (process.env.POWERTOOLS_METRICS_DISABLED === 'true') return;
  const service = process.env.POWERTOOLS_SERVICE_NAME ?? 'jwt-auth';
  const name = verdict.allowed ? 'AuthorizerAllows' : 'AuthorizerDenies';
  const dimensions = verdict.allowed ? [['service']] : [['service'], ['service', 'Reason']];
  write(JSON.stringify({
    _aws: {
      Timestamp: Date.now(),
      CloudWatchMetrics: [{ Namespace: METRIC_NAMESPACE, Dimensions: dimensions, Metrics: [{ Name: name, Unit: 'Count' }] }],
    },
    service,
    ...(verdict.allowed ? {} : { Reason: verdict.reason }),
    [name]: 1,
  }));
}
