// One alarm wired the way on-call needs it: alarm and OK actions to the topic, and a description naming its runbook section.
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { ENVIRONMENT_DIMENSION, METRIC_NAMESPACE, type MetricName } from '../../../lambda/shared/names.js';
import { type RunbookSection, runbookReference } from './runbook.js';

/** Every `…Per5Min` threshold in config is a count over this period. */
export const ALARM_PERIOD = Duration.minutes(5);

/**
 * A custom metric exactly as lambda/shared/metrics.ts emits it: namespace `Signalgate`, the single
 * dimension set [[Environment]]. Any other dimension set would be a different metric and never fire.
 */
export function customMetric(
  environment: string,
  name: MetricName,
  period: Duration = ALARM_PERIOD,
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRIC_NAMESPACE,
    metricName: name,
    dimensionsMap: { [ENVIRONMENT_DIMENSION]: environment },
    statistic: cloudwatch.Stats.SUM,
    period,
  });
}

/** M out of N evaluation: how many periods are looked at, and how many must breach. */
export interface EvaluationWindow {
  /** @default 1 */
  readonly evaluationPeriods?: number;
  /** @default evaluationPeriods (every period must breach) */
  readonly datapointsToAlarm?: number;
}

export interface OnCallAlarmOptions {
  readonly alarmName: string;
  /** What the alarm means, in one sentence; the runbook reference is appended. */
  readonly summary: string;
  readonly runbook: RunbookSection;
  readonly metric: cloudwatch.IMetric;
  readonly threshold: number;
  /** @default GREATER_THAN_OR_EQUAL_TO_THRESHOLD */
  readonly comparisonOperator?: cloudwatch.ComparisonOperator;
  /**
   * Missing data is not breaching unless silence is itself the failure.
   * @default NOT_BREACHING
   */
  readonly treatMissingData?: cloudwatch.TreatMissingData;
  /** @default one period, one datapoint */
  readonly window?: EvaluationWindow;
}

/** Creates the alarm with the topic as both alarm and OK action (on-call sees it clear, too). */
export function onCallAlarm(
  scope: Construct,
  id: string,
  topic: sns.ITopic,
  options: OnCallAlarmOptions,
): cloudwatch.Alarm {
  const evaluationPeriods = options.window?.evaluationPeriods ?? 1;
  const alarm = new cloudwatch.Alarm(scope, id, {
    alarmName: options.alarmName,
    alarmDescription: `${options.summary} ${runbookReference(options.runbook)}`,
    metric: options.metric,
    threshold: options.threshold,
    comparisonOperator:
      options.comparisonOperator ?? cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    evaluationPeriods,
    datapointsToAlarm: Math.min(options.window?.datapointsToAlarm ?? evaluationPeriods, evaluationPeriods),
    treatMissingData: options.treatMissingData ?? cloudwatch.TreatMissingData.NOT_BREACHING,
  });
  notifyOnCall(alarm, topic);
  return alarm;
}

/** Alarm and OK actions to the topic, for metric and composite alarms alike. */
export function notifyOnCall(alarm: cloudwatch.AlarmBase, topic: sns.ITopic): void {
  const action = new actions.SnsAction(topic);
  alarm.addAlarmAction(action);
  alarm.addOkAction(action);
}
