// The environment of the functions that run the admin core against the database (admin API, retention run).
import { type DbRole, EnvVar, ServiceName } from '../../../lambda/shared/names.js';
import type { EnvConfig } from '../../config/index.js';
import type { PostgresDatabase } from '../postgres-database.js';

export function adminCoreEnvironment(
  config: EnvConfig,
  database: PostgresDatabase,
  user: DbRole,
): Record<string, string> {
  return {
    [EnvVar.environment]: config.envName,
    [EnvVar.serviceName]: ServiceName.admin,
    ...database.clientEnvironment(user),
    [EnvVar.retentionDays]: String(config.retentionDays),
  };
}
