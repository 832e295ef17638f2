// The migration Lambda's configuration: the only place it reads process.env, validated with zod.

import * as z from 'zod';
import { loadConfigFrom } from '../shared/env-config.js';
import { EnvVar } from '../shared/names.js';

/** The instance itself (not the proxy) and the RDS-managed master secret the migration logs in with. */
export const MigrateConfig = z.object({
  [EnvVar.environment]: z.string().min(1),
  [EnvVar.dbHost]: z.string().min(1),
  [EnvVar.dbPort]: z.coerce.number().int().min(1).max(65535).default(5432),
  [EnvVar.dbName]: z.string().min(1),
  [EnvVar.dbMasterSecretArn]: z.string().min(1),
});
export type MigrateConfig = z.infer<typeof MigrateConfig>;

/** Fails fast, naming every missing or invalid variable. */
export function loadMigrateConfig(env: NodeJS.ProcessEnv = process.env): MigrateConfig {
  return loadConfigFrom(MigrateConfig, env, 'migrate');
}
