// The admin API's AWS wiring: SDK adapters and the RDS Proxy pool (IAM auth) from the function's config.

import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { KMSClient } from '@aws-sdk/client-kms';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { KmsKeyProvider } from '../shared/adapters/aws/kms-key-provider.js';
import { rdsIamPassword } from '../shared/adapters/aws/rds-iam-password.js';
import { sdkClientOptions } from '../shared/adapters/aws/sdk-client-options.js';
import { SecretsManagerSource } from '../shared/adapters/aws/secrets-manager-source.js';
import { proxyPoolFrom } from '../shared/db/pool.js';
import { createLogger } from '../shared/logger.js';
import { createEmfMetrics } from '../shared/metrics.js';
import { EnvVar, ServiceName } from '../shared/names.js';
import { systemClock } from '../shared/ports.js';
import {
  CloudWatchMetricCounters,
  cloudWatchOldestMessageAge,
  type GetMetricData,
  sqsQueueNameOf,
} from './adapters/cloudwatch-metric-counters.js';
import { SecretsManagerSecretAges } from './adapters/secrets-manager-secret-ages.js';
import { SqsQueueStats } from './adapters/sqs-queue-stats.js';
import { type AdminConfig, monitoredSecretsOf } from './admin-config.js';
import { buildAdminDeps } from './build-admin-deps.js';
import type { AdminDeps } from './make-admin-handler.js';

export function createAwsAdminDeps(config: AdminConfig): AdminDeps {
  const environment = config[EnvVar.environment];
  const secretsManager = new SecretsManagerClient(sdkClientOptions());
  const cloudWatch = new CloudWatchClient(sdkClientOptions());
  const getMetricData: GetMetricData = (input) => cloudWatch.send(new GetMetricDataCommand(input));
  return buildAdminDeps({
    db: proxyPoolFrom(config, rdsIamPassword, { max: 1 }),
    keyProvider: new KmsKeyProvider(new KMSClient(sdkClientOptions()), config[EnvVar.kmsKeyId], environment),
    secretSource: new SecretsManagerSource(secretsManager),
    secretCacheMs: config[EnvVar.secretCacheSeconds] * 1000,
    adminCredentials: Object.entries(config[EnvVar.adminHolders]).map(([id, holder]) => ({
      kind: 'holder' as const,
      id,
      role: holder.role,
      secretId: holder.secretArn,
    })),
    ownNumbers: config[EnvVar.ownNumbers],
    blindIndexSecretId: config[EnvVar.blindIndexSecretArn],
    previousTokenGraceMs: config[EnvVar.adminTokenGraceSeconds] * 1000,
    lockoutPolicy: {
      threshold: config[EnvVar.adminLockoutThreshold],
      windowMs: config[EnvVar.adminLockoutWindowSeconds] * 1000,
      lockoutMs: config[EnvVar.adminLockoutSeconds] * 1000,
    },
    retentionDays: config[EnvVar.retentionDays],
    queueStats: new SqsQueueStats(new SQSClient(sdkClientOptions()), {
      queueUrl: config[EnvVar.queueUrl],
      ...(config[EnvVar.dlqUrl] ? { deadLetterQueueUrl: config[EnvVar.dlqUrl] } : {}),
      oldestAgeSeconds: cloudWatchOldestMessageAge(getMetricData, sqsQueueNameOf(config[EnvVar.queueUrl])),
    }),
    secretAges: new SecretsManagerSecretAges(secretsManager, monitoredSecretsOf(config)),
    counters: new CloudWatchMetricCounters(getMetricData, environment),
    metrics: createEmfMetrics(environment),
    logger: createLogger(ServiceName.admin),
    clock: systemClock,
  });
}
