// GET /admin/metrics: rows stored (from the database, exact) and the functions' counters (from the
// MetricCounters port: CloudWatch in AWS, an in-process tally locally), failures grouped by kind.

import type { Logger } from '../shared/logger.js';
import { LogEvent, MetricName } from '../shared/names.js';
import type { Clock } from '../shared/ports.js';
import type { CounterTotals, DatabaseStatus, MetricCounters } from './ports.js';

export interface MetricsDeps {
  readonly database: DatabaseStatus;
  readonly counters: MetricCounters;
  readonly logger: Logger;
  readonly clock: Clock;
}

const FAILURES = {
  signature: MetricName.SignatureFailures,
  invalidPayload: MetricName.InvalidPayloads,
  queue: MetricName.QueueFailures,
  encryption: MetricName.EncryptionFailures,
  ingest: MetricName.IngestFailures,
  adminAuth: MetricName.AdminAuthFailures,
  rotation: MetricName.RotationFailures,
} as const;

export async function adminMetrics(deps: MetricsDeps) {
  // Stored counts must come from the database: a fault there is the caller's 503.
  const stored = await deps.database.storedCounts();
  let totals: CounterTotals | undefined;
  try {
    totals = await deps.counters.totals(deps.clock.now());
  } catch (error) {
    deps.logger.error(LogEvent.countersUnavailable, { error });
  }
  const value = (name: MetricName): number | null => (totals ? (totals.values[name] ?? 0) : null);
  return {
    stored: {
      messages: stored.messages,
      statusUpdates: stored.statuses,
      quarantined: stored.quarantined,
      calls: stored.calls,
      callStatuses: stored.callStatuses,
      recordings: stored.recordings,
    },
    counters: {
      source: totals?.source ?? 'unavailable',
      windowSeconds: totals?.windowSeconds ?? null,
      messagesQueued: value(MetricName.MessagesQueued),
      statusUpdatesQueued: value(MetricName.StatusUpdatesQueued),
      messagesStored: value(MetricName.MessagesStored),
      statusUpdatesStored: value(MetricName.StatusUpdatesStored),
      duplicatesDropped: value(MetricName.DuplicatesDropped),
      payloadsQuarantined: value(MetricName.PayloadsQuarantined),
      adminLockouts: value(MetricName.AdminLockouts),
    },
    failures: Object.fromEntries(Object.entries(FAILURES).map(([kind, name]) => [kind, value(name)])),
  };
}
