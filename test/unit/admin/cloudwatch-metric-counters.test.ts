import { describe, expect, it } from 'vitest';
import {
  CloudWatchMetricCounters,
  cloudWatchOldestMessageAge,
  type GetMetricDataInput,
  type GetMetricDataOutput,
  sqsQueueNameOf,
} from '../../../lambda/admin/adapters/cloudwatch-metric-counters.js';
import { adminMetrics } from '../../../lambda/admin/admin-metrics.js';
import type { DatabaseStatus } from '../../../lambda/admin/ports.js';
import { silentLogger } from '../../../lambda/shared/logger.js';
import { MetricName } from '../../../lambda/shared/names.js';

const NOW = Date.parse('2026-03-01T12:00:00Z');

/** A fake GetMetricData that records each request and answers with the next canned page. */
function fakeSend(...pages: GetMetricDataOutput[]) {
  const calls: GetMetricDataInput[] = [];
  const send = async (input: GetMetricDataInput): Promise<GetMetricDataOutput> => {
    calls.push(input);
    const page = pages.shift();
    if (!page) throw new Error('unexpected GetMetricData call');
    return page;
  };
  return { send, calls };
}

/** The query id the adapter gives each metric, read from one probe request. */
async function queryIds(): Promise<(name: MetricName) => string | undefined> {
  const { send, calls } = fakeSend({ MetricDataResults: [] });
  await new CloudWatchMetricCounters(send, 'test').totals(NOW);
  return (name) => calls[0]?.MetricDataQueries.find((q) => q.MetricStat.Metric.MetricName === name)?.Id;
}

const database: DatabaseStatus = {
  migrationVersion: async () => 1,
  storedCounts: async () => ({
    messages: 7,
    statuses: 3,
    quarantined: 0,
    calls: 0,
    callStatuses: 0,
    recordings: 0,
  }),
  latestSynthetic: async () => null,
};

describe('CloudWatchMetricCounters', () => {
  it('asks for the Sum of every metric in the Signalgate namespace, for this environment, over the window', async () => {
    const { send, calls } = fakeSend({ MetricDataResults: [] });
    await new CloudWatchMetricCounters(send, 'prod', 3600).totals(NOW);

    expect(calls).toHaveLength(1);
    const [call] = calls;
    expect(call?.StartTime).toEqual(new Date(NOW - 3_600_000));
    expect(call?.EndTime).toEqual(new Date(NOW));
    const queries = call?.MetricDataQueries ?? [];
    expect(queries.map((q) => q.MetricStat.Metric.MetricName).sort()).toEqual(
      Object.values(MetricName).sort(),
    );
    for (const query of queries) {
      expect(query.Id).toMatch(/^[a-z][A-Za-z0-9_]*$/); // GetMetricData's rule for query ids
      expect(query.MetricStat.Metric.Namespace).toBe('Signalgate');
      expect(query.MetricStat.Metric.Dimensions).toEqual([{ Name: 'Environment', Value: 'prod' }]);
      expect(query.MetricStat.Stat).toBe('Sum');
      expect(query.MetricStat.Period).toBe(3600);
      expect(query.ReturnData).toBe(true);
    }
    expect(new Set(queries.map((q) => q.Id)).size).toBe(queries.length);
  });

  it('maps each result to its counter by query id, summing datapoints across pages', async () => {
    const id = await queryIds();
    const signatureId = id(MetricName.SignatureFailures);
    const storedId = id(MetricName.MessagesStored);
    const { send, calls } = fakeSend(
      {
        MetricDataResults: [
          { Id: signatureId, Values: [4, 1] },
          { Id: storedId, Values: [10] },
          { Id: 'somethingElse', Values: [99] },
        ],
        NextToken: 'page-2',
      },
      { MetricDataResults: [{ Id: storedId, Values: [5] }] },
    );

    const totals = await new CloudWatchMetricCounters(send, 'dev').totals(NOW);

    expect(calls[1]?.NextToken).toBe('page-2');
    expect(totals).toEqual({
      source: 'cloudwatch',
      windowSeconds: 86_400,
      values: { [MetricName.SignatureFailures]: 5, [MetricName.MessagesStored]: 15 },
    });
  });

  it('rejects when CloudWatch fails, and /admin/metrics then reports the counters as unavailable, not zero', async () => {
    const failing = async (): Promise<GetMetricDataOutput> => {
      throw new Error('AccessDenied');
    };
    const counters = new CloudWatchMetricCounters(failing, 'prod');
    await expect(counters.totals(NOW)).rejects.toThrow('AccessDenied');

    const body = await adminMetrics({ database, counters, logger: silentLogger, clock: { now: () => NOW } });
    expect(body.counters.source).toBe('unavailable');
    expect(body.counters.messagesStored).toBeNull();
    expect(body.failures.signature).toBeNull();
    expect(body.stored).toEqual({
      messages: 7,
      statusUpdates: 3,
      quarantined: 0,
      calls: 0,
      callStatuses: 0,
      recordings: 0,
    });
  });

  it('feeds /admin/metrics: failures grouped by kind from the CloudWatch sums', async () => {
    const id = await queryIds();
    const { send } = fakeSend({
      MetricDataResults: [
        { Id: id(MetricName.SignatureFailures), Values: [2] },
        { Id: id(MetricName.IngestFailures), Values: [1, 1] },
      ],
    });

    const body = await adminMetrics({
      database,
      counters: new CloudWatchMetricCounters(send, 'prod'),
      logger: silentLogger,
      clock: { now: () => NOW },
    });

    expect(body.counters.source).toBe('cloudwatch');
    expect(body.failures.signature).toBe(2);
    expect(body.failures.ingest).toBe(2);
    expect(body.failures.queue).toBe(0);
  });
});

describe('cloudWatchOldestMessageAge', () => {
  it('asks for the queue’s AWS/SQS ApproximateAgeOfOldestMessage and returns the newest datapoint', async () => {
    const { send, calls } = fakeSend({ MetricDataResults: [{ Id: 'oldest', Values: [42, 7] }] });
    const age = await cloudWatchOldestMessageAge(send, 'signalgate-prod-ingest', () => NOW)();

    expect(age).toBe(42);
    const query = calls[0]?.MetricDataQueries[0];
    expect(query?.MetricStat.Metric).toEqual({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateAgeOfOldestMessage',
      Dimensions: [{ Name: 'QueueName', Value: 'signalgate-prod-ingest' }],
    });
    expect(query?.MetricStat.Stat).toBe('Maximum');
  });

  it('is null, not a guess, when CloudWatch has no datapoint or fails', async () => {
    expect(await cloudWatchOldestMessageAge(fakeSend({}).send, 'q', () => NOW)()).toBeNull();
    const failing = async (): Promise<GetMetricDataOutput> => {
      throw new Error('endpoint unreachable');
    };
    expect(await cloudWatchOldestMessageAge(failing, 'q', () => NOW)()).toBeNull();
  });
});

describe('sqsQueueNameOf', () => {
  it('takes the queue name from the queue URL', () => {
    expect(sqsQueueNameOf('https://sqs.eu-west-1.amazonaws.com/123456789012/signalgate-prod-ingest')).toBe(
      'signalgate-prod-ingest',
    );
  });
});
