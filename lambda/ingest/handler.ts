// Lambda entry for ingest: a small pool to RDS Proxy with IAM auth, built once per container.

import { SQSClient } from '@aws-sdk/client-sqs';
import { sdkClientOptions } from '../shared/adapters/aws/sdk-client-options.js';
import { SqsRedeliveryQueue } from '../shared/adapters/aws/sqs-redelivery-queue.js';
import { proxyPoolFrom } from '../shared/db/pool.js';
import { createLogger } from '../shared/logger.js';
import { createEmfMetrics } from '../shared/metrics.js';
import { EnvVar, ServiceName } from '../shared/names.js';
import { loadIngestConfig } from './ingest-config.js';
import { type IngestDeps, makeIngestHandler } from './make-ingest-handler.js';
import { AWS_BACKOFF } from './redelivery.js';

const config = loadIngestConfig();

let deps: IngestDeps | undefined;

async function awsDeps(): Promise<IngestDeps> {
  deps ??= {
    db: proxyPoolFrom(config),
    metrics: createEmfMetrics(config[EnvVar.environment]),
    logger: createLogger(ServiceName.ingest),
    redelivery: {
      // Bounded timeouts (and throwOnRequestTimeout: without it the SDK only logs a request timeout): an
      // unreachable SQS endpoint must not hold the function to its timeout.
      queue: new SqsRedeliveryQueue(new SQSClient(sdkClientOptions()), {
        queue: config[EnvVar.queueUrl],
        deadLetterQueue: config[EnvVar.dlqUrl],
      }),
      backoff: AWS_BACKOFF,
    },
  };
  return deps;
}

export const handler = makeIngestHandler(awsDeps);
