// Adapter from an EventBridge schedule to the retention core: the same cut-off as the admin route,
// and an audit row (caller `schedule`) so scheduled deletions are on record like manual ones.

import type { Metrics } from '../shared/metrics.js';
import { Route } from '../shared/names.js';
import type { AuditLog } from './ports.js';
import { type RetentionDeps, type RetentionRun, runRetention } from './retention.js';

export interface ScheduledRetentionDeps extends RetentionDeps {
  readonly audit: AuditLog;
  readonly metrics: Metrics;
}

export const SCHEDULE_CALLER = 'schedule';

/** What the schedule invokes with (an EventBridge Scheduled Event); only its id is used, for the audit row. */
export interface ScheduledEvent {
  readonly id?: string;
}

export function makeRetentionHandler(
  getDeps: () => Promise<ScheduledRetentionDeps>,
): (
  event: ScheduledEvent,
) => Promise<{ deleted: number; statuses: number; calls: number; callStatuses: number; recordings: number }> {
  return async (event) => {
    const deps = await getDeps();
    let run: RetentionRun | undefined;
    try {
      run = await runRetention(deps);
      return {
        deleted: run.messages + run.calls,
        statuses: run.statuses,
        calls: run.calls,
        callStatuses: run.callStatuses,
        recordings: run.recordings,
      };
    } finally {
      // Rethrowing a failure makes the Lambda's Errors metric (and its alarm) see it; it is audited either way.
      await deps.audit.append({
        at: new Date(deps.clock.now()),
        route: Route.adminRetentionRun,
        method: 'SCHEDULE',
        outcome: run ? 'allowed' : 'error',
        status: run ? 200 : 503,
        sourceIp: 'eventbridge',
        requestId: event.id ?? 'unknown',
        caller: SCHEDULE_CALLER,
        ...(run
          ? {
              detail: {
                deleted: run.messages + run.calls,
                statuses: run.statuses,
                calls: run.calls,
                cutoff: run.cutoff,
              },
            }
          : {}),
      });
      deps.metrics.flush();
    }
  };
}
