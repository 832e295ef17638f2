// GET /admin/health: database reachable and migrated, queue depth and age, secret ages. Each probe
// fails on its own and is reported as such (never with the fault's text), so one outage does not
// hide the rest of the picture.

import { LATEST_MIGRATION } from '../shared/db/migrate.js';
import type { Logger } from '../shared/logger.js';
import { LogEvent } from '../shared/names.js';
import type { Clock } from '../shared/ports.js';
import type { DatabaseStatus, QueueStats, SecretAges } from './ports.js';

export interface HealthDeps {
  readonly database: DatabaseStatus;
  readonly queueStats: QueueStats;
  readonly secretAges: SecretAges;
  readonly logger: Logger;
  readonly clock: Clock;
}

async function probe<T>(name: string, logger: Logger, run: () => Promise<T>): Promise<T | undefined> {
  try {
    return await run();
  } catch (error) {
    logger.error(LogEvent.healthProbeFailed, { probe: name, error });
    return undefined;
  }
}

export async function adminHealth(deps: HealthDeps) {
  const now = deps.clock.now();
  const [version, queue, secrets, synthetic] = await Promise.all([
    probe('database', deps.logger, () => deps.database.migrationVersion()),
    probe('queue', deps.logger, () => deps.queueStats.stats()),
    probe('secrets', deps.logger, () => deps.secretAges.ages(now)),
    probe('synthetic', deps.logger, () => deps.database.latestSynthetic()),
  ]);
  const database =
    version === undefined
      ? {
          reachable: false,
          migrationVersion: null,
          expectedMigrationVersion: LATEST_MIGRATION,
          migrationsCurrent: false,
        }
      : {
          reachable: true,
          migrationVersion: version,
          expectedMigrationVersion: LATEST_MIGRATION,
          migrationsCurrent: version === LATEST_MIGRATION,
        };
  const healthy =
    database.reachable && database.migrationsCurrent && queue !== undefined && secrets !== undefined;
  return {
    status: healthy ? 'ok' : 'degraded',
    time: new Date(now).toISOString(),
    database,
    queue: queue === undefined ? { reachable: false } : { reachable: true, ...queue },
    secrets: secrets === undefined ? { readable: false } : { readable: true, ages: secrets },
    // npm run verify and the canary confirm their message was stored by its sid here (no export shows it).
    latestSynthetic:
      synthetic == null
        ? null
        : {
            messageSid: synthetic.messageSid,
            kind: synthetic.kind,
            storedAt: synthetic.storedAt.toISOString(),
            ageSeconds: Math.max(0, Math.round((now - synthetic.storedAt.getTime()) / 1000)),
          },
  };
}
