// Retention (ARCHITECTURE §2): deletes what was received before now minus the environment's retention.
// Shared by POST /admin/retention/run and the scheduled function, so both cut at the same place.

import type { Logger } from '../shared/logger.js';
import { LogEvent } from '../shared/names.js';
import type { Clock } from '../shared/ports.js';
import type { RetentionStore } from './ports.js';

const DAY_MS = 86_400_000;

export interface RetentionDeps {
  readonly retention: RetentionStore;
  readonly retentionDays: number;
  readonly clock: Clock;
  readonly logger: Logger;
}

export interface RetentionRun {
  readonly messages: number;
  readonly statuses: number;
  readonly calls: number;
  readonly callStatuses: number;
  readonly recordings: number;
  /** ISO time; rows received strictly before it were deleted. */
  readonly cutoff: string;
}

export function retentionCutoff(now: number, retentionDays: number): Date {
  return new Date(now - retentionDays * DAY_MS);
}

export async function runRetention(deps: RetentionDeps): Promise<RetentionRun> {
  const cutoff = retentionCutoff(deps.clock.now(), deps.retentionDays);
  const deleted = await deps.retention.deleteReceivedBefore(cutoff);
  const run = { ...deleted, cutoff: cutoff.toISOString() };
  deps.logger.info(LogEvent.retentionRun, run);
  return run;
}
