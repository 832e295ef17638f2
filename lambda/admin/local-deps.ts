// The admin API's local wiring: the admin role's pool of the local database, the local key provider and
// the local stack's secrets, queue and metric tally, with the defaults the Lambda runs with.

import { LocalKeyProvider } from '../shared/adapters/local/local-key-provider.js';
import type { TransactionalDb } from '../shared/db/pool.js';
import { DEFAULT_PREVIOUS_TOKEN_GRACE_SECONDS, DEFAULT_SECRET_CACHE_SECONDS } from '../shared/env-config.js';
import { type LocalSinks, localTelemetry } from '../shared/local-telemetry.js';
import { ServiceName } from '../shared/names.js';
import type { SecretSource } from '../shared/ports.js';
import { systemClock } from '../shared/ports.js';
import { LockoutDefault } from './admin-config.js';
import { type AdminPorts, buildAdminDeps } from './build-admin-deps.js';
import type { AdminDeps } from './make-admin-handler.js';
import type { MetricCounters, QueueStats, SecretAges } from './ports.js';

export interface LocalAdminOptions {
  readonly db: TransactionalDb;
  /** The local stand-in for the KMS key (32 bytes). */
  readonly wrappingKey: Buffer;
  readonly secretSource: SecretSource;
  /** The local secret listing every holder with its role (ADMIN_CREDENTIALS or the generated file). */
  readonly adminCredentials: string;
  readonly extraCredentials?: AdminPorts['extraCredentials'];
  readonly ownNumbers: readonly string[];
  readonly blindIndexSecretId: string;
  readonly retentionDays: number;
  readonly queueStats: QueueStats;
  readonly secretAges: SecretAges;
  readonly counters: MetricCounters;
  readonly sinks: LocalSinks;
}

export function createLocalAdminDeps(options: LocalAdminOptions): AdminDeps {
  const { wrappingKey, sinks, ...local } = options;
  return buildAdminDeps({
    ...local,
    keyProvider: new LocalKeyProvider(wrappingKey),
    secretCacheMs: DEFAULT_SECRET_CACHE_SECONDS * 1000,
    previousTokenGraceMs: DEFAULT_PREVIOUS_TOKEN_GRACE_SECONDS * 1000,
    lockoutPolicy: {
      threshold: LockoutDefault.threshold,
      windowMs: LockoutDefault.windowSeconds * 1000,
      lockoutMs: LockoutDefault.lockoutSeconds * 1000,
    },
    ...localTelemetry(ServiceName.admin, sinks),
    clock: systemClock,
  });
}
