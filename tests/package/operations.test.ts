/**
 * What an operator gets from the packaged stacks: every function logs and counts under its stage's service
 * name, and prod (not dev) deploys the alarms, each on a metric the code really emits, to one SNS topic.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { packaged, resourcesOfType, type CfnResource, type PackagedService } from '../support/package';
import { ROOT } from '../support/root';

let dev: PackagedService;
let prod: PackagedService;
beforeAll(async () => {
  [dev, prod] = await Promise.all([packaged('dev'), packaged('prod')]);
}, 250_000);

const alarmsOf = (service: PackagedService) => new Map(resourcesOfType(service.resources, 'AWS::CloudWatch::Alarm'));
interface Metric { Namespace: string; MetricName: string; Dimensions: { Name: string; Value: unknown }[] }
/** The metrics an alarm reads: its own, or those of its metric-math expression. */
const metricsOf = (alarm: CfnResource): Metric[] =>
  alarm.Properties.MetricName
    ? [{ Namespace: alarm.Properties.Namespace, MetricName: alarm.Properties.MetricName, Dimensions: alarm.Properties.Dimensions }]
    : (alarm.Properties.Metrics as { MetricStat?: { Metric: Metric } }[]).flatMap((entry) => (entry.MetricStat ? [entry.MetricStat.Metric] : []));
const watchedBy = (alarm: CfnResource) => metricsOf(alarm).map((metric) => metric.MetricName).sort();
const reasonsOf = (alarm: CfnResource) => metricsOf(alarm).map((metric) => metric.Dimensions.find((dimension) => dimension.Name === 'Reason')?.Value).sort();
/** The metric names the code counts: lib/metrics.ts's MetricName, and the authorizer's two. */
const emitted = () => {
  const metrics = readFileSync(path.join(ROOT, 'lib/metrics.ts'), 'utf8');
  const union = /export type MetricName =([^;]+);/.exec(metrics)![1]!;
  return [...union.matchAll(/'(\w+)'/g)].map((match) => match[1]!).concat('AuthorizerAllows', 'AuthorizerDenies');
};

it('names every function’s logs and metrics by service and stage, at the configured level', () => {
  for (const [service, stage] of [[dev, 'dev'], [prod, 'prod']] as const) {
    for (const [, fn] of resourcesOfType(service.resources, 'AWS::Lambda::Function')) {
      expect(fn.Properties.Environment.Variables).toMatchObject({ POWERTOOLS_SERVICE_NAME: `jwt-auth-${stage}`, POWERTOOLS_LOG_LEVEL: 'INFO', POWERTOOLS_LOGGER_SAMPLE_RATE: '0' });
      expect(fn.Properties.TracingConfig).toBeUndefined(); // X-Ray is an option, off by default
    }
  }
});

it('deploys the alarms and their topic in prod only, by a condition that is true there and false in dev', () => {
  expect(prod.conditions.HasAlarms).toEqual({ 'Fn::Equals': ['true', 'true'] });
  expect(dev.conditions.HasAlarms).toEqual({ 'Fn::Equals': ['false', 'true'] });
  const guarded = (service: PackagedService) =>
    Object.entries(service.resources).filter(([, resource]) => ['AWS::CloudWatch::Alarm', 'AWS::SNS::Topic'].includes(resource.Type));
  for (const [, resource] of [...guarded(prod), ...guarded(dev)]) expect((resource as CfnResource & { Condition?: string }).Condition).toBe('HasAlarms');
  expect(prod.outputs.AlarmTopicArn).toMatchObject({ Condition: 'HasAlarms', Value: { Ref: 'AlarmTopic' } });
});

it('alarms on reuse (any), failed-login bursts, authorizer denials, API 5xx and DynamoDB throttling, each to the topic', () => {
  const alarms = alarmsOf(prod);
  expect([...alarms.keys()].sort()).toEqual(['Api5xxAlarm', 'AuthorizationCodeReplayAlarm', 'AuthorizerDenyAlarm', 'DynamoDBThrottleAlarm', 'FailedLoginBurstAlarm', 'RefreshTokenReuseAlarm']);
  for (const [, alarm] of alarms) {
    expect(alarm.Properties.AlarmActions).toEqual([{ Ref: 'AlarmTopic' }]);
    expect(alarm.Properties.TreatMissingData).toBe('notBreaching');
  }
  expect(alarms.get('RefreshTokenReuseAlarm')!.Properties).toMatchObject({ MetricName: 'RefreshTokenReuse', Statistic: 'Sum', Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
  expect(alarms.get('AuthorizationCodeReplayAlarm')!.Properties).toMatchObject({ MetricName: 'CodeReplayed', Statistic: 'Sum', Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
  // Failed and throttled logins together (the guard turns a burst of failures into throttled attempts).
  expect(watchedBy(alarms.get('FailedLoginBurstAlarm')!)).toEqual(['FailedLogins', 'ThrottledLogins']);
  expect(alarms.get('FailedLoginBurstAlarm')!.Properties).toMatchObject({ Threshold: 100 });
  // Denials that mean an attack, not the expiries every client meets before it refreshes.
  expect(reasonsOf(alarms.get('AuthorizerDenyAlarm')!)).toEqual(['bad_signature', 'invalid_claims', 'malformed']);
  expect(alarms.get('AuthorizerDenyAlarm')!.Properties).toMatchObject({ Threshold: 500 });
  expect(alarms.get('Api5xxAlarm')!.Properties).toMatchObject({
    Namespace: 'AWS/ApiGateway',
    MetricName: '5XXError',
    Dimensions: [{ Name: 'ApiName', Value: 'prod-jwt-auth' }, { Name: 'Stage', Value: 'prod' }],
  });
  // The REST API is named so: the 5xx alarm watches this stack's API.
  expect(resourcesOfType(prod.resources, 'AWS::ApiGateway::RestApi').map(([, api]) => api.Properties.Name)).toEqual(['prod-jwt-auth']);
});

it('watches metrics the code emits, in its namespace and with this stage’s service dimension', () => {
  let checked = 0;
  for (const [name, alarm] of alarmsOf(prod)) {
    for (const metric of metricsOf(alarm).filter((candidate) => candidate.Namespace === 'jwt-auth')) {
      checked += 1;
      expect({ name, metric: metric.MetricName, emitted: emitted().includes(metric.MetricName) }).toEqual({ name, metric: metric.MetricName, emitted: true });
      expect(metric.Dimensions[0]).toEqual({ Name: 'service', Value: 'jwt-auth-prod' });
    }
  }
  expect(checked).toBe(7); // reuse; a replayed code; failed and throttled logins; three reasons of denial
});

it('counts throttling of every table, reads and writes', () => {
  const metrics = alarmsOf(prod).get('DynamoDBThrottleAlarm')!.Properties.Metrics as { Id: string; MetricStat?: { Metric: { MetricName: string; Dimensions: { Value: unknown }[] } } }[];
  const watched = metrics.flatMap((entry) => (entry.MetricStat ? [`${JSON.stringify(entry.MetricStat.Metric.Dimensions[0]!.Value)} ${entry.MetricStat.Metric.MetricName}`] : []));
  const tables = resourcesOfType(prod.resources, 'AWS::DynamoDB::Table').map(([id]) => id);
  expect(watched.sort()).toEqual(tables.flatMap((table) => ['ReadThrottleEvents', 'WriteThrottleEvents'].map((metric) => `${JSON.stringify({ Ref: table })} ${metric}`)).sort());
});

it('subscribes no address unless one is given (ALARM_EMAIL)', () => {
  expect(prod.resources.AlarmEmailSubscription).toMatchObject({ Condition: 'HasAlarmEmail' });
  expect(prod.conditions.HasAlarmEmail).toEqual({ 'Fn::And': [{ Condition: 'HasAlarms' }, { 'Fn::Not': [{ 'Fn::Equals': ['', ''] }] }] });
});
