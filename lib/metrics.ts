import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { METRIC_NAMESPACE } from './authorizer-metrics';

/**
 * Counters in CloudWatch's embedded metric format (AWS Lambda Powertools Metrics): written to the log as
 * JSON, turned into metrics by CloudWatch, no extra API call. Namespace `jwt-auth`, dimension `service`;
 * the alarms of serverless.yml watch them. The authorizer counts its own verdicts with a smaller writer
 * (lib/authorizer-metrics.ts), in the same namespace to stay within its bundle budget.
 */
export { METRIC_NAMESPACE };

export type MetricName =
  | 'Registrations'
  | 'Logins'
  | 'FailedLogins'
  | 'ThrottledLogins'
  | 'Refreshes'
  | 'RefreshTokenReuse'
  | 'CodeExchanges'
  | 'CodeReplayed'
  | 'PasswordResetRequests'
  | 'PasswordResets'
  | 'AccountsDeleted'
  | 'DynamoDBUnavailable'
  | 'MailQueueUnavailable';

const makeMetrics = () => new Metrics({ namespace: METRIC_NAMESPACE, serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'jwt-auth' });
let metrics = makeMetrics();

/** Makes the writer again, reading POWERTOOLS_METRICS_DISABLED anew (tests turn the EMF output on and off). */
export function remakeMetrics(): void {
  metrics = makeMetrics();
}

/** Tests listen here: every count, whether or not the EMF output is switched on. */
type Listener = (name: MetricName) => void;
const listeners = new Set<Listener>();

export function count(name: MetricName): void {
  for (const listener of listeners) listener(name);
  metrics.addMetric(name, MetricUnit.Count, 1);
}

/** Writes what this invocation counted (once per invocation, by the route wrapper). */
export function publishMetrics(): void {
  if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
}

/** Records every count until `stop()`, for tests. */
export function recordMetrics(): { counted: MetricName[]; stop(): void } {
  const counted: MetricName[] = [];
  const listener: Listener = (name) => counted.push(name);
  listeners.add(listener);
  return { counted, stop: () => listeners.delete(listener) };
}
