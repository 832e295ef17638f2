// The webhook function: internet-facing, out of the VPC; verifies, validates, seals and queues (ARCHITECTURE §1).
import { Duration, Stack, Tags } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { EnvVar, ServiceName } from '../../../lambda/shared/names.js';
import { lambdaEntry } from '../../paths.js';
import { piiKeyUserRoleName } from '../../stack-names.js';
import type { AppSecrets } from '../app-secrets.js';
import { PII_ACCESS_TAG } from '../encryption-key.js';
import { grantSeal, grantSendEnvelope } from '../function-grants.js';
import { HardenedFunction } from '../hardened-function.js';
import type { AppFunctionProps } from './app-function-props.js';

export interface WebhookFunctionProps extends AppFunctionProps {
  /** The URL Twilio signs (ARCHITECTURE §3). */
  readonly publicBaseUrl: string;
  readonly queue: sqs.IQueue;
  readonly queueKey: kms.IKey;
  readonly piiKey: kms.IKey;
  readonly secrets: AppSecrets;
}

export class WebhookFunction extends HardenedFunction {
  constructor(scope: Construct, id: string, props: WebhookFunctionProps) {
    const { config, secrets } = props;
    super(scope, id, {
      entry: props.entry ?? lambdaEntry('webhook'),
      roleName: piiKeyUserRoleName(config.envName, config.region, 'webhook'),
      description: 'Signalgate: verifies, validates, seals and queues Twilio webhooks',
      memorySize: 512,
      timeout: Duration.seconds(10),
      // Keeps the public hot path's bundle at ~465 KB instead of ~1 MB (issue 2 goal: ≤ 600 KB).
      useRuntimeAwsSdk: true,
      ...props.logs,
      environment: {
        [EnvVar.environment]: config.envName,
        [EnvVar.serviceName]: ServiceName.webhook,
        [EnvVar.publicBaseUrl]: props.publicBaseUrl,
        ...(config.twilio.webhookQuery ? { [EnvVar.webhookQuery]: config.twilio.webhookQuery } : {}),
        [EnvVar.queueUrl]: props.queue.queueUrl,
        [EnvVar.kmsKeyId]: props.piiKey.keyArn,
        [EnvVar.twilioTokenSecrets]: Stack.of(scope).toJsonString(secrets.twilioSecretArnsJson()),
        [EnvVar.blindIndexSecretArn]: secrets.blindIndexKey.secretArn,
        [EnvVar.secretCacheSeconds]: String(config.secretCacheSeconds),
        [EnvVar.twilioPreviousTokenGraceSeconds]: String(config.rotation.previousTokenGraceMinutes * 60),
        // No secret in it: TwiML choices, the stream URL and its fixed parameters (issue 14).
        [EnvVar.voiceConfig]: JSON.stringify(config.voice),
      },
    });
    grantSendEnvelope(this.function, props.queue, props.queueKey);
    // The PII key's policy (data stack) denies its use to every principal but these named roles, tagged.
    Tags.of(this.function.role as iam.IRole).add(PII_ACCESS_TAG, config.envName);
    // Sealing only; decrypting is the admin function's job.
    grantSeal(this.function, props.piiKey, config.envName);
    for (const secret of secrets.twilioAuthTokens.values()) secret.grantRead(this.function);
    secrets.blindIndexKey.grantRead(this.function);
  }
}
