// Adapter from SQS batches to storeEnvelopes, reporting partial batch failures (ARCHITECTURE §1).
// A record that can never be stored goes to the dead-letter queue at once; one that failed because the
// database is unavailable comes back after a bounded exponential backoff (redelivery.ts).

import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { Queryable } from '../shared/db/pool.js';
import { DB_ATTEMPT_MILLIS } from '../shared/db/timeouts.js';
import { parseEnvelope, type QueuedEnvelope } from '../shared/envelope-schema.js';
import type { Logger } from '../shared/logger.js';
import type { Metrics } from '../shared/metrics.js';
import { LogEvent, MetricName } from '../shared/names.js';
import {
  type BackoffPolicy,
  backoffSeconds,
  classifyFault,
  REDELIVERY_RESERVE_MILLIS,
  type RedeliveryQueue,
} from './redelivery.js';
import { type StoreOptions, storeEnvelopes } from './store-envelopes.js';

export interface IngestDeps {
  readonly db: Queryable;
  readonly metrics: Metrics;
  readonly logger: Logger;
  /**
   * Backoff and dead-lettering. Without it a failed record is only reported, and comes back when the
   * queue's visibility timeout expires (benchmarks).
   */
  readonly redelivery?: { readonly queue: RedeliveryQueue; readonly backoff: BackoffPolicy };
}

/** The invocation's clock: the Lambda context in AWS; absent locally (no function timeout there). */
export interface InvocationTime {
  /** Milliseconds left before the function times out. */
  getRemainingTimeInMillis(): number;
}

export type IngestHandler = (event: SQSEvent, context?: InvocationTime) => Promise<SQSBatchResponse>;

/**
 * A database attempt starts only while it can end (connect + query timeouts) with time left to defer
 * the records: a function timeout would bring them back after the plain visibility timeout instead of
 * the backoff, and cost a receive each.
 */
function storeOptionsFor(context: InvocationTime | undefined): StoreOptions {
  if (!context) return {};
  return {
    hasTimeForAttempt: () =>
      context.getRemainingTimeInMillis() > DB_ATTEMPT_MILLIS + REDELIVERY_RESERVE_MILLIS,
  };
}

const STORED_METRIC: Record<QueuedEnvelope['kind'], MetricName> = {
  message: MetricName.MessagesStored,
  status: MetricName.StatusUpdatesStored,
  quarantined: MetricName.PayloadsQuarantined,
  call: MetricName.CallsStored,
  call_status: MetricName.CallStatusesStored,
  recording: MetricName.RecordingsStored,
};

function receiveCount(record: SQSRecord): number {
  const n = Number(record.attributes?.ApproximateReceiveCount);
  return Number.isInteger(n) && n > 0 ? n : 1;
}

export function makeIngestHandler(getDeps: () => Promise<IngestDeps>): IngestHandler {
  return async (event, context) => {
    const records = event.Records ?? [];
    let deps: IngestDeps;
    try {
      deps = await getDeps();
    } catch {
      // Without a database nothing can be stored: every record goes back to the queue.
      return { batchItemFailures: records.map((r) => ({ itemIdentifier: r.messageId })) };
    }
    const failures: string[] = [];
    const poisoned: { record: SQSRecord; reason: string }[] = [];
    const unavailable: SQSRecord[] = [];
    const valid: { record: SQSRecord; envelope: QueuedEnvelope }[] = [];
    for (const record of records) {
      const envelope = parseEnvelope(record.body);
      if (envelope) valid.push({ record, envelope });
      else poisoned.push({ record, reason: 'not a valid envelope' });
    }
    try {
      const result = await storeEnvelopes(
        deps.db,
        valid.map((v) => v.envelope),
        storeOptionsFor(context),
      );
      for (const i of result.stored) {
        const envelope = valid[i]?.envelope;
        if (!envelope) continue;
        // Synthetic messages (verify, canary) are kept out of MessagesStored, which measures real traffic.
        const synthetic = envelope.kind === 'message' && envelope.synthetic !== undefined;
        deps.metrics.count(synthetic ? MetricName.SyntheticMessagesStored : STORED_METRIC[envelope.kind]);
      }
      if (result.duplicates.length > 0)
        deps.metrics.count(MetricName.DuplicatesDropped, result.duplicates.length);
      // Acknowledged, not retried: storing them would undo an erasure (ARCHITECTURE §4).
      if (result.erased.length > 0) deps.metrics.count(MetricName.ErasedSubjectDropped, result.erased.length);
      for (const { index, error } of result.failed) {
        const record = valid[index]?.record;
        if (!record) continue;
        if (classifyFault(error) === 'poison') poisoned.push({ record, reason: 'refused by the database' });
        else unavailable.push(record);
        deps.logger.error(LogEvent.recordFailed, { messageId: record.messageId, error });
      }
      deps.logger.info(LogEvent.stored, {
        stored: result.stored.length,
        duplicates: result.duplicates.length,
        erasedSubjectDropped: result.erased.length,
        failed: result.failed.length + poisoned.length,
      });
    } catch (error) {
      deps.logger.error(LogEvent.recordFailed, { error, reason: 'batch' });
      for (const v of valid) unavailable.push(v.record);
    }

    for (const { record, reason } of poisoned) {
      if (await deadLetter(deps, record, reason)) continue;
      // The dead-letter queue is unreachable: SQS's own redrive moves it after maxReceiveCount.
      failures.push(record.messageId);
    }
    if (unavailable.length > 0) {
      await deferAll(deps, unavailable);
      for (const record of unavailable) failures.push(record.messageId);
    }
    if (failures.length > 0) deps.metrics.count(MetricName.IngestFailures, failures.length);
    deps.metrics.flush();
    return { batchItemFailures: failures.map((itemIdentifier) => ({ itemIdentifier })) };
  };
}

async function deadLetter(deps: IngestDeps, record: SQSRecord, reason: string): Promise<boolean> {
  const queue = deps.redelivery?.queue;
  if (!queue) {
    deps.logger.error(LogEvent.recordFailed, { messageId: record.messageId, reason });
    return false;
  }
  try {
    await queue.deadLetter({ messageId: record.messageId, body: record.body, reason });
  } catch (error) {
    deps.logger.error(LogEvent.recordFailed, { messageId: record.messageId, reason, error });
    return false;
  }
  deps.metrics.count(MetricName.RecordsDeadLettered);
  deps.logger.error(LogEvent.deadLettered, { messageId: record.messageId, reason });
  return true;
}

/** Backs off every record the database could not take; a failed visibility change leaves the queue's default. */
async function deferAll(deps: IngestDeps, records: SQSRecord[]): Promise<void> {
  const redelivery = deps.redelivery;
  if (!redelivery) return;
  const delays = await Promise.all(
    records.map(async (record) => {
      const seconds = backoffSeconds(redelivery.backoff, receiveCount(record));
      try {
        await redelivery.queue.defer(record.receiptHandle, seconds);
        return seconds;
      } catch (error) {
        deps.logger.error(LogEvent.recordFailed, { messageId: record.messageId, reason: 'defer', error });
        return undefined;
      }
    }),
  );
  const deferred = delays.filter((d): d is number => d !== undefined);
  if (deferred.length > 0) {
    deps.metrics.count(MetricName.IngestRetriesDeferred, deferred.length);
    deps.logger.warn(LogEvent.retryDeferred, {
      records: deferred.length,
      maxDelaySeconds: Math.max(...deferred),
    });
  }
}
