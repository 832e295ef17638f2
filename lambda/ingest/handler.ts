// Lambda entry for ingest: a small pool to RDS Proxy with IAM auth, built once per container.

import { rdsIamPassword } from '../shared/adapters/aws/rds-iam-password.js';
import { poolForProxy } from '../shared/db/pool.js';
import { loadConfigFrom } from '../shared/env-config.js';
import { createLogger } from '../shared/logger.js';
import { createEmfMetrics } from '../shared/metrics.js';
import { EnvVar, ServiceName } from '../shared/names.js';
import { IngestConfig } from './ingest-config.js';
import { type IngestDeps, makeIngestHandler } from './make-ingest-handler.js';

const config = loadConfigFrom(IngestConfig, process.env, 'ingest');

let deps: IngestDeps | undefined;

async function awsDeps(): Promise<IngestDeps> {
  deps ??= {
    db: poolForProxy({
      host: config[EnvVar.dbHost],
      port: config[EnvVar.dbPort],
      database: config[EnvVar.dbName],
      user: config[EnvVar.dbUser],
      password: rdsIamPassword(config[EnvVar.dbHost], config[EnvVar.dbPort], config[EnvVar.dbUser]),
    }),
    metrics: createEmfMetrics(config[EnvVar.environment]),
    logger: createLogger(ServiceName.ingest),
  };
  return deps;
}

export const handler = makeIngestHandler(awsDeps);
