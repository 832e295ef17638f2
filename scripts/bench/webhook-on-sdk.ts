// Bench only: the webhook's three AWS ports on the SDK v3 clients, under the names lambda/webhook/handler.ts
// imports from adapters/aws-fetch/, so the cold-init bench bundles the same handler on either transport.

import { KMSClient } from '@aws-sdk/client-kms';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { KmsKeyProvider } from '../../lambda/shared/adapters/aws/kms-key-provider.js';
import { sdkClientOptions } from '../../lambda/shared/adapters/aws/sdk-client-options.js';
import { SecretsManagerSource } from '../../lambda/shared/adapters/aws/secrets-manager-source.js';
import { SqsQueue } from '../../lambda/shared/adapters/aws/sqs-queue.js';

export const KMS_PROTOCOL = { service: 'kms' } as const;
export const SECRETS_MANAGER_PROTOCOL = { service: 'secretsmanager' } as const;
export const SQS_PROTOCOL = { service: 'sqs' } as const;

/** One SDK client per service, built as the other functions build theirs (credentials from the environment). */
export class AwsJsonClient {
  readonly sdk: KMSClient | SecretsManagerClient | SQSClient;
  constructor(options: { service: 'kms' | 'secretsmanager' | 'sqs'; region: string }) {
    const config = { ...sdkClientOptions(), region: options.region };
    this.sdk =
      options.service === 'kms'
        ? new KMSClient(config)
        : options.service === 'secretsmanager'
          ? new SecretsManagerClient(config)
          : new SQSClient(config);
  }
}

export class KmsHttpKeyProvider extends KmsKeyProvider {
  constructor(client: AwsJsonClient, keyId: string, environment: string) {
    super(client.sdk as KMSClient, keyId, environment);
  }
}

export class SecretsManagerHttpSource extends SecretsManagerSource {
  constructor(client: AwsJsonClient) {
    super(client.sdk as SecretsManagerClient);
  }
}

export class SqsHttpQueue extends SqsQueue {
  constructor(client: AwsJsonClient, queueUrl: string) {
    super(client.sdk as SQSClient, queueUrl);
  }
}
