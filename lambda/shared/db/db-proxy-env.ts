// The environment every function that reaches PostgreSQL through RDS Proxy with IAM auth shares.

import * as z from 'zod';
import { EnvVar } from '../names.js';

/** Proxy endpoint, port, database and IAM database user; extended by each function's config schema. */
export const DbProxyEnv = z.object({
  [EnvVar.dbHost]: z.string().min(1),
  [EnvVar.dbPort]: z.coerce.number().int().min(1).max(65535).default(5432),
  [EnvVar.dbName]: z.string().min(1),
  [EnvVar.dbUser]: z.string().min(1),
});
export type DbProxyEnv = z.infer<typeof DbProxyEnv>;
