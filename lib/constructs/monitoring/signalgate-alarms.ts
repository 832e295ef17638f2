// Every alarm of one environment (ARCHITECTURE §6): custom metrics, each function, the API, the queue, the WAF, the database.
import { Duration, Stack } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as rds from 'aws-cdk-lib/aws-rds';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { MetricName } from '../../../lambda/shared/names.js';
import type { MonitoredFunction } from './discover-functions.js';
import {
  ALARM_PERIOD,
  customMetric,
  type EvaluationWindow,
  notifyOnCall,
  onCallAlarm,
} from './on-call-alarm.js';
import { RunbookSection, runbookReference } from './runbook.js';

const GIB = 1024 ** 3;

/** Alarm thresholds; counts are per 5 minutes. Each default is the strict end of what production tolerates. */
export interface AlarmThresholds {
  /** @default 20 */
  readonly signatureFailuresPer5Min?: number;
  /** Signature failures on the voice routes (also in signatureFailuresPer5Min's count). @default 10 */
  readonly voiceSignatureFailuresPer5Min?: number;
  /** Calls answered with the fallback because the media-stream target was unavailable. @default 1 */
  readonly voiceFallbacksPer5Min?: number;
  /** @default 5 */
  readonly adminAuthFailuresPer5Min?: number;
  /** Any lockout means one source guessed tokens repeatedly. @default 1 */
  readonly adminLockoutsPer5Min?: number;
  /** @default 20 */
  readonly invalidPayloadsPer5Min?: number;
  /** Every failure to queue is a webhook Twilio did not get a 200 for. @default 1 */
  readonly queueFailuresPer5Min?: number;
  /** @default 1 */
  readonly encryptionFailuresPer5Min?: number;
  /** Records handed back to the queue for a retry. @default 1 */
  readonly ingestFailuresPer5Min?: number;
  /** @default 1 */
  readonly rotationFailuresPer5Min?: number;
  /** Errors per function. @default 1 */
  readonly lambdaErrorsPer5Min?: number;
  /** Throttles per function. @default 1 */
  readonly lambdaThrottlesPer5Min?: number;
  /** @default 5 */
  readonly api5xxPer5Min?: number;
  /** New dead letters per minute; each minute with an arrival pages again. @default 1 */
  readonly dlqNewMessages?: number;
  /** @default 300 */
  readonly oldestMessageAgeSeconds?: number;
  /**
   * A dead letter waits for a human (runbook, redrive); this pages again when one has waited a day, well
   * inside the dead-letter queue's retention. @default 86400
   */
  readonly dlqOldestMessageAgeSeconds?: number;
  /** @default 1000 */
  readonly wafBlockedPer5Min?: number;
  /** @default 80 */
  readonly rdsCpuPercent?: number;
  /** @default 10 */
  readonly rdsFreeStorageGiB?: number;
  /** @default 200 */
  readonly rdsConnections?: number;
  /** Failed proxy connection set-ups, to the database or from clients (IAM auth). @default 1 */
  readonly rdsProxyErrorsPer5Min?: number;
}

const DEFAULT_THRESHOLDS: Required<AlarmThresholds> = {
  signatureFailuresPer5Min: 20,
  voiceSignatureFailuresPer5Min: 10,
  voiceFallbacksPer5Min: 1,
  adminAuthFailuresPer5Min: 5,
  adminLockoutsPer5Min: 1,
  invalidPayloadsPer5Min: 20,
  queueFailuresPer5Min: 1,
  encryptionFailuresPer5Min: 1,
  ingestFailuresPer5Min: 1,
  rotationFailuresPer5Min: 1,
  lambdaErrorsPer5Min: 1,
  lambdaThrottlesPer5Min: 1,
  api5xxPer5Min: 5,
  dlqNewMessages: 1,
  oldestMessageAgeSeconds: 300,
  dlqOldestMessageAgeSeconds: 86_400,
  wafBlockedPer5Min: 1000,
  rdsCpuPercent: 80,
  rdsFreeStorageGiB: 10,
  rdsConnections: 200,
  rdsProxyErrorsPer5Min: 1,
};

export interface SignalgateAlarmsProps {
  /** Value of the `Environment` dimension the handlers emit (the config's envName). */
  readonly environment: string;
  /** Receives every alarm and OK transition. */
  readonly topic: sns.ITopic;
  /** Every function of the app (see discoverFunctions); each gets an errors and a throttles alarm. */
  readonly functions: readonly MonitoredFunction[];
  /** The webhook function, part of the "webhook path broken" composite; must also be in `functions`. */
  readonly webhookFunction: MonitoredFunction;
  readonly apiStage: apigateway.Stage;
  readonly queue: sqs.IQueue;
  readonly deadLetterQueue: sqs.IQueue;
  /** Name of the regional web ACL (its CloudWatch `WebACL` dimension). @default - no WAF alarm (no web ACL) */
  readonly webAclName?: string;
  readonly database: rds.IDatabaseInstance;
  /** @default - no RDS Proxy alarm (the functions log in to the instance directly) */
  readonly proxy?: rds.IDatabaseProxy;
  /**
   * Thresholds; merged over the defaults field by field.
   * @default DEFAULT_THRESHOLDS
   */
  readonly thresholds?: AlarmThresholds;
  /**
   * Evaluation window of the rate alarms (security counters, 5xx, WAF, database load). Alarms on
   * single events that must never happen (queue/encryption failures, DLQ, lockouts) always fire on one datapoint.
   * @default one period, one datapoint
   */
  readonly window?: EvaluationWindow;
  /** @default `signalgate-<environment>` */
  readonly alarmNamePrefix?: string;
  /**
   * The canary's schedule: CanarySuccess is alarmed over max(5, everyMinutes) minutes, silence breaching.
   * @default - no canary, no canary alarm
   */
  readonly canary?: { readonly everyMinutes: number };
  /**
   * Pages when no real message (MessagesStored) arrives for this many minutes, silence breaching.
   * @default - no traffic-drop alarm
   */
  readonly trafficDropSilentMinutes?: number;
  /**
   * The webhook routes as API Gateway's detailed metrics name them (ApiName, Method, Resource, Stage): their
   * own 5xx count page, while the stage-wide 5xx (admin routes included) only notifies.
   * @default - the composite uses the function and custom metrics only
   */
  readonly webhookRoutes?: {
    readonly apiName: string;
    readonly stageName: string;
    readonly method: string;
    readonly resources: readonly string[];
  };
}

/** Alarms with the topic as alarm and OK action and a runbook reference each, plus the page-worthy composite. */
export class SignalgateAlarms extends Construct {
  /** Every metric alarm, in creation order. */
  readonly alarms: cloudwatch.Alarm[] = [];
  /** Alarms on the app's own EMF metrics, by metric name (the consistency test reads them). */
  readonly customMetricAlarms = new Map<MetricName, cloudwatch.Alarm>();
  /** Page-worthy: Twilio's webhooks are not being accepted and queued. */
  readonly webhookPathBroken: cloudwatch.CompositeAlarm;
  /** CanarySuccess below 1 (or missing) over the canary's period; absent without a canary. */
  readonly canaryFailing?: cloudwatch.Alarm;
  /** No real message stored for the configured time; absent when off. */
  readonly trafficDrop?: cloudwatch.Alarm;

  private readonly props: SignalgateAlarmsProps;
  private readonly prefix: string;

  constructor(scope: Construct, id: string, props: SignalgateAlarmsProps) {
    super(scope, id);
    this.props = props;
    this.prefix = props.alarmNamePrefix ?? `signalgate-${props.environment}`;
    const problems: string[] = [];
    if (!props.functions.includes(props.webhookFunction))
      problems.push('webhookFunction: must be one of functions');
    const t: Required<AlarmThresholds> = { ...DEFAULT_THRESHOLDS, ...definedOnly(props.thresholds ?? {}) };
    for (const [key, value] of Object.entries(t)) {
      if (!(Number.isFinite(value) && value > 0))
        problems.push(`thresholds.${key}: must be a positive number`);
    }
    const w = props.window ?? {};
    if ((w.evaluationPeriods ?? 1) < 1 || (w.datapointsToAlarm ?? 1) < 1) {
      problems.push('window: evaluationPeriods and datapointsToAlarm must be >= 1');
    }
    if ((w.datapointsToAlarm ?? 0) > (w.evaluationPeriods ?? 1)) {
      problems.push('window.datapointsToAlarm: must be <= evaluationPeriods');
    }
    if (problems.length > 0)
      throw new Error(`SignalgateAlarms ${this.node.path}:\n  - ${problems.join('\n  - ')}`);

    const once: EvaluationWindow = { evaluationPeriods: 1, datapointsToAlarm: 1 };
    const custom = (
      name: MetricName,
      runbook: RunbookSection,
      threshold: number,
      summary: string,
      window: EvaluationWindow = w,
    ) => {
      const alarm = this.add(name, runbook, summary, {
        metric: customMetric(props.environment, name),
        threshold,
        window,
      });
      this.customMetricAlarms.set(name, alarm);
      return alarm;
    };

    // Security events (ARCHITECTURE §6): the metrics are the alarmable side of the security log lines.
    custom(
      MetricName.SignatureFailures,
      RunbookSection.signatureFailures,
      t.signatureFailuresPer5Min,
      'Webhook requests with a missing or wrong X-Twilio-Signature (forged, or a Twilio auth token out of sync).',
    );
    custom(
      MetricName.VoiceSignatureFailures,
      RunbookSection.voiceSignatureFailures,
      t.voiceSignatureFailuresPer5Min,
      'Voice webhook requests (calls, call statuses, recordings) with a missing or wrong X-Twilio-Signature.',
    );
    // Every fallback is a caller who did not reach the voice agent.
    custom(
      MetricName.VoiceFallbacks,
      RunbookSection.voiceFallbacks,
      t.voiceFallbacksPer5Min,
      'Incoming calls were answered with the fallback message: the media-stream target is marked unavailable (config flag or failed health check).',
      once,
    );
    custom(
      MetricName.AdminAuthFailures,
      RunbookSection.adminAuthFailures,
      t.adminAuthFailuresPer5Min,
      'Admin API calls with a missing or wrong admin token (someone probing the admin API, or a stale token).',
    );
    custom(
      MetricName.AdminLockouts,
      RunbookSection.adminLockouts,
      t.adminLockoutsPer5Min,
      'A source IP was locked out of the admin API after repeated failed authentications.',
      once,
    );
    custom(
      MetricName.InvalidPayloads,
      RunbookSection.invalidPayloads,
      t.invalidPayloadsPer5Min,
      'Correctly signed webhooks that failed validation (Twilio changed a payload, or a signed replay of a malformed request).',
    );
    // Any occurrence: a webhook arrived while its account's secret holds no real Twilio auth token
    // (first deploy before the operator set it, or a bad put-secret-value); every such webhook got 503.
    custom(
      MetricName.TwilioTokenNotConfigured,
      RunbookSection.twilioTokenNotConfigured,
      1,
      'A webhook arrived for a Twilio account whose secret holds no real auth token (32 lowercase hex); it was answered 503 and not stored.',
      once,
    );
    // Faults on the webhook path: every one of them is a webhook Twilio got a 5xx for.
    const queueFailures = custom(
      MetricName.QueueFailures,
      RunbookSection.queueFailures,
      t.queueFailuresPer5Min,
      'The webhook could not put verified messages on the ingest queue (SQS or its KMS key unavailable).',
      once,
    );
    const encryptionFailures = custom(
      MetricName.EncryptionFailures,
      RunbookSection.encryptionFailures,
      t.encryptionFailuresPer5Min,
      'The webhook could not seal message PII (KMS GenerateDataKey failing: key disabled, policy, throttling).',
      once,
    );
    custom(
      MetricName.IngestFailures,
      RunbookSection.ingestFailures,
      t.ingestFailuresPer5Min,
      'The ingest function handed records back to the queue (database or proxy unreachable, or a bad envelope).',
    );
    custom(
      MetricName.RotationFailures,
      RunbookSection.rotationFailures,
      t.rotationFailuresPer5Min,
      'A Signalgate rotation function (admin token or Twilio auth token) failed a rotation step.',
      once,
    );

    const lambdaAlarms = new Map<
      MonitoredFunction,
      { errors: cloudwatch.Alarm; throttles: cloudwatch.Alarm }
    >();
    for (const fn of props.functions) {
      const metric = (metricName: string) =>
        new cloudwatch.Metric({
          namespace: 'AWS/Lambda',
          metricName,
          dimensionsMap: { FunctionName: fn.functionName },
          statistic: cloudwatch.Stats.SUM,
          period: ALARM_PERIOD,
        });
      lambdaAlarms.set(fn, {
        errors: this.add(
          `LambdaErrors${fn.label}`,
          RunbookSection.lambdaErrors,
          `Function ${fn.label} is failing invocations.`,
          {
            metric: metric('Errors'),
            threshold: t.lambdaErrorsPer5Min,
            window: once,
            name: `lambda-errors-${fn.label}`,
          },
        ),
        throttles: this.add(
          `LambdaThrottles${fn.label}`,
          RunbookSection.lambdaThrottles,
          `Function ${fn.label} is being throttled (reserved or account concurrency exhausted).`,
          {
            metric: metric('Throttles'),
            threshold: t.lambdaThrottlesPer5Min,
            window: once,
            name: `lambda-throttles-${fn.label}`,
          },
        ),
      });
    }

    this.add(
      'Api5xx',
      RunbookSection.api5xx,
      'API Gateway answered 5xx (Twilio does not retry a 5xx by default).',
      {
        metric: props.apiStage.metricServerError({ statistic: cloudwatch.Stats.SUM, period: ALARM_PERIOD }),
        threshold: t.api5xxPer5Min,
      },
    );
    // CloudWatch notifies on state changes only, so an alarm on the DLQ's depth pages for the first dead letter
    // and stays silent for the next ones. This one watches arrivals instead: the minute-to-minute rise of the
    // visible count (DIFF: each value minus the one before it, CloudWatch metric math), which goes back to 0,
    // and the alarm back to OK, in the first minute without one; the next dead letter is a new ALARM, a new page.
    // Not NumberOfMessagesSent: it misses messages SQS moves to the DLQ under the redrive policy (SQS developer
    // guide, available CloudWatch metrics); ApproximateNumberOfMessagesVisible counts them as they land.
    // DIFF needs an earlier value: SQS stops publishing for a queue inactive for 6 hours, and the canary's
    // /admin/health (GetQueueAttributes on the DLQ) is what keeps it active; without a canary (dev) the first
    // dead letter after a quiet spell may not page here, only a day later as DlqOldestMessageAge (RUNBOOK).
    this.add(
      'DlqNotEmpty',
      RunbookSection.dlqNotEmpty,
      'New records reached the ingest dead-letter queue (each new arrival pages again): they can never be stored as they are, or outlived the 4-hour outage budget.',
      {
        metric: new cloudwatch.MathExpression({
          expression: 'DIFF(visible)',
          usingMetrics: {
            visible: props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
              statistic: cloudwatch.Stats.MAXIMUM,
              period: Duration.minutes(1),
            }),
          },
          label: 'New dead letters',
          period: Duration.minutes(1),
        }),
        threshold: t.dlqNewMessages,
        window: once,
      },
    );
    this.add(
      'DlqOldestMessageAge',
      RunbookSection.dlqOldestMessageAge,
      'A dead letter has waited too long for its redrive: its retention is running out.',
      {
        metric: props.deadLetterQueue.metricApproximateAgeOfOldestMessage({
          statistic: cloudwatch.Stats.MAXIMUM,
          period: ALARM_PERIOD,
        }),
        threshold: t.dlqOldestMessageAgeSeconds,
        window: once,
      },
    );
    this.add(
      'OldestMessageAge',
      RunbookSection.oldestMessageAge,
      'The oldest message on the ingest queue is too old: ingest is stalled or too slow.',
      {
        metric: props.queue.metricApproximateAgeOfOldestMessage({
          statistic: cloudwatch.Stats.MAXIMUM,
          period: ALARM_PERIOD,
        }),
        threshold: t.oldestMessageAgeSeconds,
      },
    );
    const webAclName = props.webAclName;
    if (webAclName !== undefined) {
      this.add(
        'WafBlockedSpike',
        RunbookSection.wafBlockedSpike,
        'The WAF blocked an unusual number of requests (an attack, or a rule blocking Twilio).',
        {
          metric: new cloudwatch.Metric({
            namespace: 'AWS/WAFV2',
            metricName: 'BlockedRequests',
            // Regional web ACLs report per WebACL, Region and Rule; Rule=ALL is the ACL-wide total.
            dimensionsMap: { WebACL: webAclName, Region: Stack.of(this).region, Rule: 'ALL' },
            statistic: cloudwatch.Stats.SUM,
            period: ALARM_PERIOD,
          }),
          threshold: t.wafBlockedPer5Min,
        },
      );
    }
    this.add('RdsCpu', RunbookSection.rdsCpu, 'Database CPU is high.', {
      metric: props.database.metricCPUUtilization({
        statistic: cloudwatch.Stats.AVERAGE,
        period: ALARM_PERIOD,
      }),
      threshold: t.rdsCpuPercent,
    });
    this.add(
      'RdsFreeStorage',
      RunbookSection.rdsFreeStorage,
      'Database free storage is low (or the instance stopped reporting it).',
      {
        metric: props.database.metricFreeStorageSpace({
          statistic: cloudwatch.Stats.MINIMUM,
          period: ALARM_PERIOD,
        }),
        threshold: t.rdsFreeStorageGiB * GIB,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        // Silence is the failure here: a running instance reports storage every minute.
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      },
    );
    this.add(
      'RdsConnections',
      RunbookSection.rdsConnections,
      'Database connections are near the configured ceiling.',
      {
        metric: props.database.metricDatabaseConnections({
          statistic: cloudwatch.Stats.MAXIMUM,
          period: ALARM_PERIOD,
        }),
        threshold: t.rdsConnections,
      },
    );
    const proxy = props.proxy;
    if (proxy) {
      const proxyMetric = (metricName: string) =>
        new cloudwatch.Metric({
          namespace: 'AWS/RDS',
          metricName,
          dimensionsMap: { ProxyName: proxy.dbProxyName },
          statistic: cloudwatch.Stats.SUM,
          period: ALARM_PERIOD,
        });
      this.add(
        'RdsProxyErrors',
        RunbookSection.rdsProxyErrors,
        'RDS Proxy failed to set up connections (to the database, or client IAM auth).',
        {
          metric: new cloudwatch.MathExpression({
            expression: 'FILL(db, 0) + FILL(auth, 0)',
            usingMetrics: {
              db: proxyMetric('DatabaseConnectionsSetupFailed'),
              auth: proxyMetric('ClientConnectionsSetupFailedAuth'),
            },
            label: 'Proxy connection set-up failures',
            period: ALARM_PERIOD,
          }),
          threshold: t.rdsProxyErrorsPer5Min,
        },
      );
    }

    const webhook = lambdaAlarms.get(props.webhookFunction);
    if (!webhook) throw new Error('SignalgateAlarms: webhook function has no alarms');

    if (props.canary && props.canary.everyMinutes > 0) {
      // A run every N minutes leaves N-minute gaps: a shorter period would read silence as failure.
      const period = Duration.minutes(Math.max(5, props.canary.everyMinutes));
      this.canaryFailing = this.add(
        MetricName.CanarySuccess,
        RunbookSection.canaryFailing,
        "The canary's signed synthetic message was not stored through the public URL (or the canary did not run).",
        {
          metric: customMetric(props.environment, MetricName.CanarySuccess, period),
          threshold: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
          // Silence is the failure: a canary that does not report is not proving anything.
          treatMissingData: cloudwatch.TreatMissingData.BREACHING,
          window: once,
        },
      );
      this.customMetricAlarms.set(MetricName.CanarySuccess, this.canaryFailing);
    }
    if (props.trafficDropSilentMinutes !== undefined && props.trafficDropSilentMinutes > 0) {
      this.trafficDrop = this.add(
        'TrafficDrop',
        RunbookSection.trafficDrop,
        `No real message was stored for ${props.trafficDropSilentMinutes} minutes (synthetic ones are not counted).`,
        {
          metric: customMetric(
            props.environment,
            MetricName.MessagesStored,
            Duration.minutes(props.trafficDropSilentMinutes),
          ),
          threshold: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
          // No message means no MessagesStored datapoint at all: missing data is the drop.
          treatMissingData: cloudwatch.TreatMissingData.BREACHING,
          window: once,
        },
      );
      this.customMetricAlarms.set(MetricName.MessagesStored, this.trafficDrop);
    }
    const routeAlarms = (props.webhookRoutes?.resources ?? []).map((resource) =>
      this.add(
        `WebhookRoute5xx${resource.replace(/[^A-Za-z0-9]/g, '')}`,
        RunbookSection.webhookRoute5xx,
        `API Gateway answered 5xx on ${props.webhookRoutes?.method} ${resource} (Twilio retries only with rp=…5xx).`,
        {
          metric: new cloudwatch.Metric({
            namespace: 'AWS/ApiGateway',
            metricName: '5XXError',
            dimensionsMap: {
              ApiName: props.webhookRoutes?.apiName ?? '',
              Method: props.webhookRoutes?.method ?? '',
              Resource: resource,
              Stage: props.webhookRoutes?.stageName ?? '',
            },
            statistic: cloudwatch.Stats.SUM,
            period: ALARM_PERIOD,
          }),
          threshold: t.api5xxPer5Min,
          name: `webhook-5xx${resource.replace(/[^a-z0-9]+/g, '-')}`,
        },
      ),
    );
    this.webhookPathBroken = new cloudwatch.CompositeAlarm(this, 'WebhookPathBroken', {
      compositeAlarmName: `${this.prefix}-webhook-path-broken`,
      alarmDescription: `PAGE: Twilio webhooks are not being accepted and queued (the canary, 5xx on the webhook routes, webhook function errors or throttles, queue or encryption failures; admin faults do not page here). ${runbookReference(RunbookSection.webhookPathBroken)}`,
      alarmRule: cloudwatch.AlarmRule.anyOf(
        ...[
          ...(this.canaryFailing ? [this.canaryFailing] : []),
          ...routeAlarms,
          webhook.errors,
          webhook.throttles,
          queueFailures,
          encryptionFailures,
        ].map((a) => cloudwatch.AlarmRule.fromAlarm(a, cloudwatch.AlarmState.ALARM)),
      ),
    });
    notifyOnCall(this.webhookPathBroken, props.topic);
  }

  private add(
    id: string,
    runbook: RunbookSection,
    summary: string,
    options: {
      metric: cloudwatch.IMetric;
      threshold: number;
      comparisonOperator?: cloudwatch.ComparisonOperator;
      treatMissingData?: cloudwatch.TreatMissingData;
      window?: EvaluationWindow;
      /** @default the runbook section */
      name?: string;
    },
  ): cloudwatch.Alarm {
    const alarm = onCallAlarm(this, id, this.props.topic, {
      alarmName: `${this.prefix}-${options.name ?? runbook}`,
      summary,
      runbook,
      metric: options.metric,
      threshold: options.threshold,
      comparisonOperator: options.comparisonOperator,
      treatMissingData: options.treatMissingData,
      window: options.window ?? this.props.window,
    });
    this.alarms.push(alarm);
    return alarm;
  }
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
