// Lambda entry for the webhook: AWS adapters built once per container, lazily, then reused.

import { KMSClient } from '@aws-sdk/client-kms';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { KmsKeyProvider } from '../shared/adapters/aws/kms-key-provider.js';
import { SecretsManagerSource } from '../shared/adapters/aws/secrets-manager-source.js';
import { SqsQueue } from '../shared/adapters/aws/sqs-queue.js';
import { lazyRetrying } from '../shared/lazy.js';
import { createLogger } from '../shared/logger.js';
import { createEmfMetrics } from '../shared/metrics.js';
import { EnvVar, ServiceName } from '../shared/names.js';
import { systemClock } from '../shared/ports.js';
import { buildWebhookDeps } from './build-webhook-deps.js';
import { makeWebhookHandler, type WebhookDeps } from './make-webhook-handler.js';
import { loadWebhookConfig } from './webhook-config.js';

// Read at init so a misconfigured deployment fails its first invocation loudly, naming the variable.
const config = loadWebhookConfig();

// Built on the first request, not at import; a failed build is retried on the next request.
const awsDeps = lazyRetrying<WebhookDeps>(async () => {
  const environment = config[EnvVar.environment];
  return buildWebhookDeps({
    environment,
    publicBaseUrl: config[EnvVar.publicBaseUrl],
    keyProvider: new KmsKeyProvider(new KMSClient({}), config[EnvVar.kmsKeyId], environment),
    secretSource: new SecretsManagerSource(new SecretsManagerClient({})),
    secretCacheMs: config[EnvVar.secretCacheSeconds] * 1000,
    tokenSecrets: config[EnvVar.twilioTokenSecrets],
    blindIndexSecretId: config[EnvVar.blindIndexSecretArn],
    queue: new SqsQueue(new SQSClient({}), config[EnvVar.queueUrl]),
    metrics: createEmfMetrics(environment),
    logger: createLogger(ServiceName.webhook),
    clock: systemClock,
  });
});

export const handler = makeWebhookHandler(awsDeps);
