// Assembles the admin API's dependencies from ports; shared by the Lambda entry, the local stack and tests.

import { randomBytes } from 'node:crypto';
import type { TransactionalDb } from '../shared/db/pool.js';
import type { Logger } from '../shared/logger.js';
import type { Metrics } from '../shared/metrics.js';
import { LogEvent } from '../shared/names.js';
import type { Clock, KeyProvider, SecretSource } from '../shared/ports.js';
import { Sealer } from '../shared/seal.js';
import { CachedSecretSource } from '../shared/secret-cache.js';
import { blindIndexFrom } from '../shared/secret-values.js';
import { PostgresApprovals } from './adapters/postgres-approvals.js';
import { PostgresAtomicStore } from './adapters/postgres-atomic-store.js';
import { PostgresAuditLog } from './adapters/postgres-audit-log.js';
import { PostgresLockoutStore } from './adapters/postgres-lockout-store.js';
import { PostgresSubjectRecords } from './adapters/postgres-subject-records.js';
import { type AdminCaller, type AdminCredentialSource, AdminTokenVerifier } from './admin-auth.js';
import type { AdminDeps } from './make-admin-handler.js';
import type { LockoutPolicy, MetricCounters, QueueStats, SecretAges } from './ports.js';

export interface AdminPorts {
  /** The admin role's pool: queries, and one connection per erasure transaction. */
  readonly db: TransactionalDb;
  readonly keyProvider: KeyProvider;
  readonly secretSource: SecretSource;
  readonly secretCacheMs: number;
  /**
   * Where the admin credentials live: one secret per holder with the role from configuration (AWS), or
   * one secret id listing every holder with its role (the local stack, ADMIN_CREDENTIALS).
   */
  readonly adminCredentials: string | readonly AdminCredentialSource[];
  /** Credentials kept outside the secret: the local ADMIN_TOKEN, holding every role. @default none */
  readonly extraCredentials?: ReadonlyArray<{ readonly token: string; readonly caller: AdminCaller }>;
  /** The business's own numbers (E.164), refused by export and erasure. */
  readonly ownNumbers: readonly string[];
  readonly blindIndexSecretId: string;
  /** How long after a rotation the previous admin token still works. */
  readonly previousTokenGraceMs: number;
  readonly lockoutPolicy: LockoutPolicy;
  readonly retentionDays: number;
  readonly queueStats: QueueStats;
  readonly secretAges: SecretAges;
  readonly counters: MetricCounters;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly clock: Clock;
}

export function buildAdminDeps(ports: AdminPorts): AdminDeps {
  const secrets = new CachedSecretSource(ports.secretSource, {
    maxAgeMs: ports.secretCacheMs,
    clock: ports.clock,
  });
  const records = new PostgresSubjectRecords(ports.db);
  return {
    tokens: new AdminTokenVerifier(secrets, ports.adminCredentials, {
      previousGraceMs: ports.previousTokenGraceMs,
      clock: ports.clock,
      ...(ports.extraCredentials ? { extra: ports.extraCredentials } : {}),
      onUnreadable: (holders) => ports.logger.error(LogEvent.adminCredentialUnreadable, { holders }),
    }),
    approvals: new PostgresApprovals(ports.db),
    atomic: new PostgresAtomicStore(ports.db),
    ownNumbers: new Set(ports.ownNumbers),
    newApprovalId: () => randomBytes(16).toString('base64url'),
    lockouts: new PostgresLockoutStore(ports.db),
    lockoutPolicy: ports.lockoutPolicy,
    audit: new PostgresAuditLog(ports.db),
    subjects: records,
    retention: records,
    retentionDays: ports.retentionDays,
    database: records,
    queueStats: ports.queueStats,
    secretAges: ports.secretAges,
    counters: ports.counters,
    sealer: new Sealer(ports.keyProvider, { clock: ports.clock }),
    blindIndex: blindIndexFrom(secrets, ports.blindIndexSecretId),
    metrics: ports.metrics,
    logger: ports.logger,
    clock: ports.clock,
  };
}
