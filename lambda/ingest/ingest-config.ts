// The ingest Lambda's configuration: the only place it reads process.env, validated with zod.

import * as z from 'zod';
import { DbProxyEnv } from '../shared/db/db-proxy-env.js';
import { loadConfigFrom } from '../shared/env-config.js';
import { EnvVar } from '../shared/names.js';

export const IngestConfig = DbProxyEnv.extend({
  [EnvVar.environment]: z.string().min(1),
  /** The ingest queue (ChangeMessageVisibility for the backoff) and its dead-letter queue. */
  [EnvVar.queueUrl]: z.url(),
  [EnvVar.dlqUrl]: z.url(),
});
export type IngestConfig = z.infer<typeof IngestConfig>;

/** Fails fast, naming every missing or invalid variable. */
export function loadIngestConfig(env: NodeJS.ProcessEnv = process.env): IngestConfig {
  return loadConfigFrom(IngestConfig, env, 'ingest');
}
