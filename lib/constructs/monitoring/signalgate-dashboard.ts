// The environment's one dashboard: traffic, verdicts, queue, ingest, database, WAF and rotation, top to bottom in request order.
import { Duration, Stack } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as rds from 'aws-cdk-lib/aws-rds';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { MetricName } from '../../../lambda/shared/names.js';
import { customMetric } from './on-call-alarm.js';

export interface SignalgateDashboardProps {
  /** Value of the `Environment` dimension of the custom metrics. */
  readonly environment: string;
  /** @default `signalgate-<environment>` */
  readonly dashboardName?: string;
  readonly apiStage: apigateway.Stage;
  readonly queue: sqs.IQueue;
  readonly deadLetterQueue: sqs.IQueue;
  /** Name of the stage's web ACL. @default - no WAF graph (no web ACL) */
  readonly webAclName?: string;
  readonly database: rds.IDatabaseInstance;
  /** @default - no RDS Proxy graph (the functions log in to the instance directly) */
  readonly proxy?: rds.IDatabaseProxy;
  /** Rules whose matches are plotted as rotation and key events. @default - none */
  readonly eventRules?: readonly events.IRule[];
  /** Shown at the top, so the dashboard says when it is on fire. @default - none */
  readonly alarms?: readonly cloudwatch.IAlarm[];
  /** @default 1 minute */
  readonly period?: Duration;
}

export class SignalgateDashboard extends Construct {
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: SignalgateDashboardProps) {
    super(scope, id);
    const period = props.period ?? Duration.minutes(1);
    const sum = cloudwatch.Stats.SUM;
    const count = (name: MetricName, label: string) =>
      customMetric(props.environment, name, period).with({ label });
    const graph = (title: string, left: cloudwatch.IMetric[], right: cloudwatch.IMetric[] = []) =>
      new cloudwatch.GraphWidget({ title, left, right, width: 8, height: 6 });

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName ?? `signalgate-${props.environment}`,
      defaultInterval: Duration.hours(3),
    });
    if (props.alarms && props.alarms.length > 0) {
      this.dashboard.addWidgets(
        new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: [...props.alarms], width: 24 }),
      );
    }
    this.dashboard.addWidgets(
      graph(
        'Traffic (API Gateway)',
        [props.apiStage.metricCount({ statistic: sum, period, label: 'Requests' })],
        [
          props.apiStage.metricClientError({ statistic: sum, period, label: '4xx' }),
          props.apiStage.metricServerError({ statistic: sum, period, label: '5xx' }),
        ],
      ),
      graph('Verdicts', [
        count(MetricName.MessagesQueued, 'Accepted: messages'),
        count(MetricName.StatusUpdatesQueued, 'Accepted: status updates'),
        count(MetricName.SignatureFailures, 'Forged (bad signature)'),
        count(MetricName.InvalidPayloads, 'Invalid payload'),
      ]),
      graph('Voice', [
        count(MetricName.CallsQueued, 'Calls'),
        count(MetricName.CallStatusesQueued, 'Call status updates'),
        count(MetricName.RecordingsQueued, 'Recordings'),
        count(MetricName.VoiceSignatureFailures, 'Forged (bad signature)'),
        count(MetricName.VoiceFallbacks, 'Answered with the fallback'),
      ]),
      graph('Webhook faults', [
        count(MetricName.QueueFailures, 'Queue failures'),
        count(MetricName.EncryptionFailures, 'Encryption failures'),
      ]),
    );
    this.dashboard.addWidgets(
      graph(
        'Queue depth',
        [props.queue.metricApproximateNumberOfMessagesVisible({ period, label: 'Ingest queue' })],
        [
          props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
            period,
            label: 'Dead-letter queue',
          }),
        ],
      ),
      graph('Oldest queued message (s)', [
        props.queue.metricApproximateAgeOfOldestMessage({ period, label: 'Age' }),
      ]),
      graph('Ingest', [
        count(MetricName.MessagesStored, 'Messages stored'),
        count(MetricName.StatusUpdatesStored, 'Status updates stored'),
        count(MetricName.DuplicatesDropped, 'Duplicates dropped'),
        count(MetricName.IngestFailures, 'Failures (retried)'),
      ]),
    );
    const proxyMetric = (proxy: rds.IDatabaseProxy, metricName: string, label: string) =>
      new cloudwatch.Metric({
        namespace: 'AWS/RDS',
        metricName,
        dimensionsMap: { ProxyName: proxy.dbProxyName },
        statistic: sum,
        period,
        label,
      });
    this.dashboard.addWidgets(
      graph(
        'Database',
        [props.database.metricCPUUtilization({ period, label: 'CPU %' })],
        [props.database.metricDatabaseConnections({ period, label: 'Connections' })],
      ),
      graph('Database free storage (bytes)', [
        props.database.metricFreeStorageSpace({ period, label: 'Free storage' }),
      ]),
      ...(props.proxy
        ? [
            graph('RDS Proxy', [
              proxyMetric(props.proxy, 'DatabaseConnectionsSetupFailed', 'DB connection set-up failed'),
              proxyMetric(props.proxy, 'ClientConnectionsSetupFailedAuth', 'Client auth failed'),
            ]),
          ]
        : []),
    );
    const waf = (webAclName: string, metricName: string, label: string) =>
      new cloudwatch.Metric({
        namespace: 'AWS/WAFV2',
        metricName,
        dimensionsMap: { WebACL: webAclName, Region: Stack.of(this).region, Rule: 'ALL' },
        statistic: sum,
        period,
        label,
      });
    this.dashboard.addWidgets(
      ...(props.webAclName
        ? [
            graph(
              'WAF',
              [waf(props.webAclName, 'BlockedRequests', 'Blocked')],
              [waf(props.webAclName, 'AllowedRequests', 'Allowed')],
            ),
          ]
        : []),
      graph('Admin API security', [
        count(MetricName.AdminAuthFailures, 'Auth failures'),
        count(MetricName.AdminLockouts, 'Lockouts'),
      ]),
      graph('Rotation and key events', [
        count(MetricName.RotationFailures, 'Signalgate rotation failures'),
        ...(props.eventRules ?? []).map(
          (rule) =>
            new cloudwatch.Metric({
              namespace: 'AWS/Events',
              metricName: 'MatchedEvents',
              dimensionsMap: { RuleName: rule.ruleName },
              statistic: sum,
              period,
              label: rule.ruleName,
            }),
        ),
      ]),
    );
  }
}
