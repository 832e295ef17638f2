// The webhook's AWS wiring: KMS, Secrets Manager and SQS adapters from the function's validated config.

import { type AwsCredentials, AwsJsonClient } from '../shared/adapters/aws-fetch/aws-json-client.js';
import { KMS_PROTOCOL, KmsHttpKeyProvider } from '../shared/adapters/aws-fetch/kms-http-key-provider.js';
import {
  SECRETS_MANAGER_PROTOCOL,
  SecretsManagerHttpSource,
} from '../shared/adapters/aws-fetch/secrets-manager-http-source.js';
import { SQS_PROTOCOL, SqsHttpQueue } from '../shared/adapters/aws-fetch/sqs-http-queue.js';
import { invocationDeadline } from '../shared/invocation.js';
import { createLogger } from '../shared/logger.js';
import { createEmfMetrics } from '../shared/metrics.js';
import { EnvVar, ServiceName } from '../shared/names.js';
import { systemClock } from '../shared/ports.js';
import { buildWebhookDeps } from './build-webhook-deps.js';
import type { WebhookDeps } from './make-webhook-handler.js';
import type { WebhookConfig } from './webhook-config.js';

/**
 * The hot path makes its three calls through aws4fetch instead of loading three SDK v3 clients (most of
 * its cold init, docs/BENCHMARKS.md); the other functions keep the SDK adapters.
 */
export function createAwsWebhookDeps(config: WebhookConfig): WebhookDeps {
  const environment = config[EnvVar.environment];
  const region = config[EnvVar.awsRegion];
  const credentials: AwsCredentials = {
    accessKeyId: config[EnvVar.awsAccessKeyId],
    secretAccessKey: config[EnvVar.awsSecretAccessKey],
    ...(config[EnvVar.awsSessionToken] ? { sessionToken: config[EnvVar.awsSessionToken] } : {}),
  };
  const client = (protocol: typeof KMS_PROTOCOL | typeof SECRETS_MANAGER_PROTOCOL | typeof SQS_PROTOCOL) =>
    new AwsJsonClient({ ...protocol, region, credentials, deadline: invocationDeadline });
  return buildWebhookDeps({
    publicBaseUrl: config[EnvVar.publicBaseUrl],
    ...(config[EnvVar.webhookQuery] ? { webhookQuery: config[EnvVar.webhookQuery] } : {}),
    keyProvider: new KmsHttpKeyProvider(client(KMS_PROTOCOL), config[EnvVar.kmsKeyId], environment),
    secretSource: new SecretsManagerHttpSource(client(SECRETS_MANAGER_PROTOCOL)),
    secretCacheMs: config[EnvVar.secretCacheSeconds] * 1000,
    previousTokenGraceMs: config[EnvVar.twilioPreviousTokenGraceSeconds] * 1000,
    tokenSecrets: config[EnvVar.twilioTokenSecrets],
    blindIndexSecretId: config[EnvVar.blindIndexSecretArn],
    queue: new SqsHttpQueue(client(SQS_PROTOCOL), config[EnvVar.queueUrl]),
    voice: config[EnvVar.voiceConfig],
    metrics: createEmfMetrics(environment),
    logger: createLogger(ServiceName.webhook),
    clock: systemClock,
  });
}
