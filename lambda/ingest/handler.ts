// Lambda entry for ingest: a small pool to RDS Proxy with IAM auth, built once per container.

import { proxyPoolFrom } from '../shared/db/pool.js';
import { createLogger } from '../shared/logger.js';
import { createEmfMetrics } from '../shared/metrics.js';
import { EnvVar, ServiceName } from '../shared/names.js';
import { loadIngestConfig } from './ingest-config.js';
import { type IngestDeps, makeIngestHandler } from './make-ingest-handler.js';

const config = loadIngestConfig();

let deps: IngestDeps | undefined;

async function awsDeps(): Promise<IngestDeps> {
  deps ??= {
    db: proxyPoolFrom(config),
    metrics: createEmfMetrics(config[EnvVar.environment]),
    logger: createLogger(ServiceName.ingest),
  };
  return deps;
}

export const handler = makeIngestHandler(awsDeps);
