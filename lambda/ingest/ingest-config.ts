// The ingest Lambda's configuration: the only place it reads process.env.

import { z } from 'zod';
import { EnvVar } from '../shared/names.js';

export const IngestConfig = z.object({
  [EnvVar.environment]: z.string().min(1),
  [EnvVar.dbHost]: z.string().min(1),
  [EnvVar.dbPort]: z.coerce.number().int().min(1).max(65535).default(5432),
  [EnvVar.dbName]: z.string().min(1),
  [EnvVar.dbUser]: z.string().min(1),
});
export type IngestConfig = z.infer<typeof IngestConfig>;
