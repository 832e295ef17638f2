// Lambda entry for the admin API: AWS adapters built once per container, lazily, then reused.

import { KMSClient } from '@aws-sdk/client-kms';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { KmsKeyProvider } from '../shared/adapters/aws/kms-key-provider.js';
import { rdsIamPassword } from '../shared/adapters/aws/rds-iam-password.js';
import { SecretsManagerSource } from '../shared/adapters/aws/secrets-manager-source.js';
import { poolForProxy } from '../shared/db/pool.js';
import { loadConfigFrom } from '../shared/env-config.js';
import { createLogger } from '../shared/logger.js';
import { createEmfMetrics } from '../shared/metrics.js';
import { EnvVar, ServiceName } from '../shared/names.js';
import { systemClock } from '../shared/ports.js';
import { SecretsManagerSecretAges } from './adapters/secrets-manager-secret-ages.js';
import { SqsQueueStats } from './adapters/sqs-queue-stats.js';
import { AdminConfig } from './admin-config.js';
import { buildAdminDeps } from './build-admin-deps.js';
import { type AdminDeps, makeAdminHandler } from './make-admin-handler.js';
import type { MetricCounters } from './ports.js';

// Read at init so a misconfigured deployment fails its first invocation loudly, naming the variable.
const config = loadConfigFrom(AdminConfig, process.env, 'admin');

/**
 * Counters need CloudWatch GetMetricData, whose SDK client is not a dependency yet; until it is,
 * /admin/metrics reports stored rows from the database and the counters as unavailable. With it:
 * `new CloudWatchMetricCounters((input) => cw.send(new GetMetricDataCommand(input)), environment)`.
 */
const noCounters: MetricCounters = {
  totals: async () => ({ source: 'unavailable', windowSeconds: null, values: {} }),
};

let deps: Promise<AdminDeps> | undefined;

function awsDeps(): Promise<AdminDeps> {
  deps ??= Promise.resolve().then(() => {
    const environment = config[EnvVar.environment];
    const secretsManager = new SecretsManagerClient({});
    return buildAdminDeps({
      db: poolForProxy(
        {
          host: config[EnvVar.dbHost],
          port: config[EnvVar.dbPort],
          database: config[EnvVar.dbName],
          user: config[EnvVar.dbUser],
          password: rdsIamPassword(config[EnvVar.dbHost], config[EnvVar.dbPort], config[EnvVar.dbUser]),
        },
        { max: 1 },
      ),
      keyProvider: new KmsKeyProvider(new KMSClient({}), config[EnvVar.kmsKeyId], environment),
      secretSource: new SecretsManagerSource(secretsManager),
      secretCacheMs: config[EnvVar.secretCacheSeconds] * 1000,
      adminTokenSecretId: config[EnvVar.adminTokenSecretArn],
      blindIndexSecretId: config[EnvVar.blindIndexSecretArn],
      previousTokenGraceMs: config[EnvVar.adminTokenGraceSeconds] * 1000,
      lockoutPolicy: {
        threshold: config[EnvVar.adminLockoutThreshold],
        windowMs: config[EnvVar.adminLockoutWindowSeconds] * 1000,
        lockoutMs: config[EnvVar.adminLockoutSeconds] * 1000,
      },
      retentionDays: config[EnvVar.retentionDays],
      queueStats: new SqsQueueStats(new SQSClient({}), {
        queueUrl: config[EnvVar.queueUrl],
        ...(config[EnvVar.dlqUrl] ? { deadLetterQueueUrl: config[EnvVar.dlqUrl] } : {}),
      }),
      secretAges: new SecretsManagerSecretAges(secretsManager, config[EnvVar.monitoredSecretArns]),
      counters: noCounters,
      metrics: createEmfMetrics(environment),
      logger: createLogger(ServiceName.admin),
      clock: systemClock,
    });
  });
  deps.catch(() => {
    deps = undefined; // a failed init is retried on the next request rather than cached
  });
  return deps;
}

export const handler = makeAdminHandler(awsDeps);
