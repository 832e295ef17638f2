// Scheduled retention's AWS wiring: database access only (RDS Proxy, IAM auth), no secrets, no keys.

import { rdsIamPassword } from '../shared/adapters/aws/rds-iam-password.js';
import { proxyPoolFrom } from '../shared/db/pool.js';
import { DbTimeout } from '../shared/db/timeouts.js';
import { createLogger } from '../shared/logger.js';
import { createEmfMetrics } from '../shared/metrics.js';
import { EnvVar, ServiceName } from '../shared/names.js';
import { systemClock } from '../shared/ports.js';
import { PostgresAuditLog } from './adapters/postgres-audit-log.js';
import { PostgresSubjectRecords } from './adapters/postgres-subject-records.js';
import type { RetentionConfig } from './admin-config.js';
import type { ScheduledRetentionDeps } from './make-retention-handler.js';

export function createAwsRetentionDeps(config: RetentionConfig): ScheduledRetentionDeps {
  const db = proxyPoolFrom(config, rdsIamPassword, {
    max: 1,
    queryTimeoutMillis: DbTimeout.retentionQueryMillis,
  });
  return {
    retention: new PostgresSubjectRecords(db),
    retentionDays: config[EnvVar.retentionDays],
    audit: new PostgresAuditLog(db),
    metrics: createEmfMetrics(config[EnvVar.environment]),
    logger: createLogger(ServiceName.admin),
    clock: systemClock,
  };
}
