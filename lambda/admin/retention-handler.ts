// Lambda entry for scheduled retention (an EventBridge rule): database access only, no secrets, no keys.

import { proxyPoolFrom } from '../shared/db/pool.js';
import { DbTimeout } from '../shared/db/timeouts.js';
import { createLogger } from '../shared/logger.js';
import { createEmfMetrics } from '../shared/metrics.js';
import { EnvVar, ServiceName } from '../shared/names.js';
import { systemClock } from '../shared/ports.js';
import { PostgresAuditLog } from './adapters/postgres-audit-log.js';
import { PostgresSubjectRecords } from './adapters/postgres-subject-records.js';
import { loadRetentionConfig } from './admin-config.js';
import { makeRetentionHandler, type ScheduledRetentionDeps } from './make-retention-handler.js';

const config = loadRetentionConfig();

let deps: ScheduledRetentionDeps | undefined;

export const handler = makeRetentionHandler(async () => {
  if (!deps) {
    const db = proxyPoolFrom(config, { max: 1, queryTimeoutMillis: DbTimeout.retentionQueryMillis });
    deps = {
      retention: new PostgresSubjectRecords(db),
      retentionDays: config[EnvVar.retentionDays],
      audit: new PostgresAuditLog(db),
      metrics: createEmfMetrics(config[EnvVar.environment]),
      logger: createLogger(ServiceName.admin),
      clock: systemClock,
    };
  }
  return deps;
});
