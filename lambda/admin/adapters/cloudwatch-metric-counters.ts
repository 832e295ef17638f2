// MetricCounters over CloudWatch GetMetricData: sums of the EMF metrics over a window, for the
// dimension set the functions emit ([[Environment]], ARCHITECTURE §6), plus the SQS queue's
// ApproximateAgeOfOldestMessage for /admin/health.
//
// The call is passed in as a function with the request/response shape of GetMetricData, so this
// module and its tests need no CloudWatch SDK; the Lambda entry wires it to
// `(input) => cloudWatch.send(new GetMetricDataCommand(input))`. A failed call rejects: the
// /admin/metrics core reports the counters as `unavailable` rather than as zeros.

import { ENVIRONMENT_DIMENSION, METRIC_NAMESPACE, MetricName } from '../../shared/names.js';
import type { CounterTotals, MetricCounters } from '../ports.js';

export interface MetricDataQuery {
  readonly Id: string;
  readonly MetricStat: {
    readonly Metric: {
      readonly Namespace: string;
      readonly MetricName: string;
      // Mutable like the SDK's `Dimension[]`, so GetMetricDataCommand accepts this input as is.
      readonly Dimensions: Array<{ readonly Name: string; readonly Value: string }>;
    };
    readonly Period: number;
    readonly Stat: string;
  };
  readonly ReturnData: boolean;
}

export interface GetMetricDataInput {
  readonly StartTime: Date;
  readonly EndTime: Date;
  readonly MetricDataQueries: MetricDataQuery[];
  readonly NextToken?: string;
}

export interface GetMetricDataOutput {
  readonly MetricDataResults?: ReadonlyArray<{ readonly Id?: string; readonly Values?: readonly number[] }>;
  readonly NextToken?: string;
}

export type GetMetricData = (input: GetMetricDataInput) => Promise<GetMetricDataOutput>;

/** Query ids must start with a lower-case letter. */
const idOf = (name: string): string => `m${name}`;

export class CloudWatchMetricCounters implements MetricCounters {
  readonly #getMetricData: GetMetricData;
  readonly #environment: string;
  readonly #windowSeconds: number;

  /** @param windowSeconds how far back the totals reach; @default 86_400 (one day) */
  constructor(getMetricData: GetMetricData, environment: string, windowSeconds = 86_400) {
    this.#getMetricData = getMetricData;
    this.#environment = environment;
    this.#windowSeconds = windowSeconds;
  }

  async totals(now: number): Promise<CounterTotals> {
    const names = Object.values(MetricName);
    const queries: MetricDataQuery[] = names.map((name) => ({
      Id: idOf(name),
      MetricStat: {
        Metric: {
          Namespace: METRIC_NAMESPACE,
          MetricName: name,
          Dimensions: [{ Name: ENVIRONMENT_DIMENSION, Value: this.#environment }],
        },
        // One datapoint for the whole window: the period is the window, rounded up to a whole minute.
        Period: Math.ceil(this.#windowSeconds / 60) * 60,
        Stat: 'Sum',
      },
      ReturnData: true,
    }));
    const values: Partial<Record<MetricName, number>> = {};
    let nextToken: string | undefined;
    do {
      const out = await this.#getMetricData({
        StartTime: new Date(now - this.#windowSeconds * 1000),
        EndTime: new Date(now),
        MetricDataQueries: queries,
        ...(nextToken ? { NextToken: nextToken } : {}),
      });
      for (const result of out.MetricDataResults ?? []) {
        const name = names.find((n) => idOf(n) === result.Id);
        if (name) values[name] = (values[name] ?? 0) + (result.Values ?? []).reduce((a, b) => a + b, 0);
      }
      nextToken = out.NextToken;
    } while (nextToken);
    return { source: 'cloudwatch', windowSeconds: this.#windowSeconds, values };
  }
}

/** The QueueName dimension of AWS/SQS metrics: the last path segment of the queue URL. */
export function sqsQueueNameOf(queueUrl: string): string {
  const name = new URL(queueUrl).pathname.split('/').filter(Boolean).at(-1);
  if (!name) throw new Error(`not an SQS queue URL: ${queueUrl}`);
  return name;
}

/**
 * Age of the oldest message of an SQS queue (AWS/SQS ApproximateAgeOfOldestMessage, last 5 minutes).
 * Null when CloudWatch has no datapoint or cannot be reached: the age is advisory, and a CloudWatch
 * fault must not fail the queue probe whose depths SQS itself answered.
 */
export function cloudWatchOldestMessageAge(
  getMetricData: GetMetricData,
  queueName: string,
  clock: () => number = Date.now,
): () => Promise<number | null> {
  return async () => {
    const now = clock();
    const out = await getMetricData({
      StartTime: new Date(now - 300_000),
      EndTime: new Date(now),
      MetricDataQueries: [
        {
          Id: 'oldest',
          MetricStat: {
            Metric: {
              Namespace: 'AWS/SQS',
              MetricName: 'ApproximateAgeOfOldestMessage',
              Dimensions: [{ Name: 'QueueName', Value: queueName }],
            },
            Period: 60,
            Stat: 'Maximum',
          },
          ReturnData: true,
        },
      ],
    }).catch(() => undefined);
    // GetMetricData returns the newest datapoint first by default.
    return out?.MetricDataResults?.[0]?.Values?.[0] ?? null;
  };
}
