// Ingest's AWS wiring: a small pool to RDS Proxy with IAM auth, and SQS for the backoff and dead letters.

import { SQSClient } from '@aws-sdk/client-sqs';
import { rdsIamPassword } from '../shared/adapters/aws/rds-iam-password.js';
import { sdkClientOptions } from '../shared/adapters/aws/sdk-client-options.js';
import { proxyPoolFrom } from '../shared/db/pool.js';
import { createLogger } from '../shared/logger.js';
import { createEmfMetrics } from '../shared/metrics.js';
import { EnvVar, ServiceName } from '../shared/names.js';
import { SqsRedeliveryQueue } from './adapters/sqs-redelivery-queue.js';
import type { IngestConfig } from './ingest-config.js';
import type { IngestDeps } from './make-ingest-handler.js';
import { AWS_BACKOFF } from './redelivery.js';

export function createAwsIngestDeps(config: IngestConfig): IngestDeps {
  return {
    db: proxyPoolFrom(config, rdsIamPassword),
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
}
