// Adapter from SQS batches to storeEnvelopes, reporting partial batch failures (ARCHITECTURE §1).

import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { Queryable } from '../shared/db/pool.js';
import { parseEnvelope } from '../shared/envelope-schema.js';
import type { Logger } from '../shared/logger.js';
import type { Metrics } from '../shared/metrics.js';
import { LogEvent, MetricName } from '../shared/names.js';
import type { QueuedEnvelope } from '../shared/ports.js';
import { storeEnvelopes } from './store-envelopes.js';

export interface IngestDeps {
  readonly db: Queryable;
  readonly metrics: Metrics;
  readonly logger: Logger;
}

export type IngestHandler = (event: SQSEvent) => Promise<SQSBatchResponse>;

export function makeIngestHandler(getDeps: () => Promise<IngestDeps>): IngestHandler {
  return async (event) => {
    const records = event.Records ?? [];
    let deps: IngestDeps;
    try {
      deps = await getDeps();
    } catch {
      // Without a database nothing can be stored: every record goes back to the queue.
      return { batchItemFailures: records.map((r) => ({ itemIdentifier: r.messageId })) };
    }
    const failures: string[] = [];
    const valid: { id: string; envelope: QueuedEnvelope }[] = [];
    for (const record of records) {
      const envelope = parseEnvelope(record.body);
      if (envelope) valid.push({ id: record.messageId, envelope });
      else {
        failures.push(record.messageId);
        deps.logger.error(LogEvent.recordFailed, {
          messageId: record.messageId,
          reason: 'not a valid envelope',
        });
      }
    }
    try {
      const result = await storeEnvelopes(
        deps.db,
        valid.map((v) => v.envelope),
      );
      for (const i of result.stored) {
        const kind = valid[i]?.envelope.kind;
        deps.metrics.count(kind === 'status' ? MetricName.StatusUpdatesStored : MetricName.MessagesStored);
      }
      if (result.duplicates.length > 0)
        deps.metrics.count(MetricName.DuplicatesDropped, result.duplicates.length);
      // Acknowledged, not retried: storing them would undo an erasure (ARCHITECTURE §4).
      if (result.erased.length > 0) deps.metrics.count(MetricName.ErasedSubjectDropped, result.erased.length);
      for (const { index, error } of result.failed) {
        const id = valid[index]?.id;
        if (id) failures.push(id);
        deps.logger.error(LogEvent.recordFailed, { messageId: id, error });
      }
      deps.logger.info(LogEvent.stored, {
        stored: result.stored.length,
        duplicates: result.duplicates.length,
        erasedSubjectDropped: result.erased.length,
        failed: failures.length,
      });
    } catch (error) {
      deps.logger.error(LogEvent.recordFailed, { error, reason: 'batch' });
      for (const v of valid) failures.push(v.id);
    }
    if (failures.length > 0) deps.metrics.count(MetricName.IngestFailures, failures.length);
    deps.metrics.flush();
    return { batchItemFailures: failures.map((itemIdentifier) => ({ itemIdentifier })) };
  };
}
