// API stack: WAF → REST API → webhook Lambda → SQS → ingest Lambda (in the VPC) → database, the admin and retention
// Lambdas (in the VPC), plus the app's secrets and their rotation Lambdas; one construct per function.

import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import {
  EnvVar,
  Route,
  SecretName,
  ServiceName,
  VOICE_PATHS,
  WEBHOOK_PATHS,
} from '../../lambda/shared/names.js';
import { maxPendingAgeMs, type RotationTiming } from '../../lambda/shared/rotation/pending-age.js';
import { MAX_WEBHOOK_BODY_BYTES } from '../../lambda/shared/webhook-limits.js';
import { webhookUrl } from '../../lambda/shared/webhook-url.js';
import { adminHoldersOf, canaryAccountOf, type EnvConfig } from '../config/index.js';
import { ROTATION_TIMINGS } from '../config/rotation-timings.js';
import { AppSecrets } from '../constructs/app-secrets.js';
import { encryptionKey } from '../constructs/encryption-key.js';
import { AdminFunction } from '../constructs/functions/admin-function.js';
import { CanaryFunction } from '../constructs/functions/canary-function.js';
import { IngestFunction } from '../constructs/functions/ingest-function.js';
import { RetentionFunction } from '../constructs/functions/retention-function.js';
import { WebhookFunction } from '../constructs/functions/webhook-function.js';
import { HardenedFunction } from '../constructs/hardened-function.js';
import { IngestQueue } from '../constructs/ingest-queue.js';
import { acknowledge, removalPolicyOf } from '../constructs/per-resource.js';
import type { PostgresDatabase } from '../constructs/postgres-database.js';
import { PublicApi } from '../constructs/public-api.js';
import { WebAcl } from '../constructs/web-acl.js';
import { lambdaEntry } from '../paths.js';
import { OutputKey } from '../stack-names.js';

export interface ApiStackProps extends StackProps {
  readonly config: EnvConfig;
  readonly vpc: ec2.IVpc;
  readonly database: PostgresDatabase;
  readonly piiKey: kms.IKey;
  /**
   * Entry files of the functions, for tests that build the stack around fixtures.
   * @default lambda/<name>/handler.ts
   */
  readonly entries?: {
    readonly webhook?: string;
    readonly ingest?: string;
    readonly admin?: string;
    readonly retention?: string;
    readonly rotateAdminToken?: string;
    readonly rotateTwilioToken?: string;
    readonly canary?: string;
  };
}

export class ApiStack extends Stack {
  readonly api: PublicApi;
  /** Absent when config.waf.enabled is false (dev, docs/SECURITY.md). */
  readonly webAcl?: WebAcl;
  readonly secrets: AppSecrets;
  readonly queueKey: kms.Key;
  /** Encrypts the app secrets; in this stack so that grants stay identity policies (no cross-stack key policy). */
  readonly secretsKey: kms.Key;
  readonly ingestQueue: IngestQueue;
  readonly webhook: WebhookFunction;
  readonly ingest: IngestFunction;
  /** The /admin routes (in the VPC, through the proxy). */
  readonly admin: AdminFunction;
  /** Scheduled retention run (in the VPC, database only). */
  readonly retention: RetentionFunction;
  /** Secrets Manager rotation of the admin token (out of the VPC: Secrets Manager only). */
  readonly rotateAdminToken: HardenedFunction;
  /** Secrets Manager rotation of the Twilio auth tokens (out of the VPC: it calls api.twilio.com). */
  readonly rotateTwilioToken: HardenedFunction;
  /** Scheduled synthetic message through the public URL; absent when config.canary is off or no Twilio account. */
  readonly canary?: CanaryFunction;

  constructor(scope: Construct, id: string, props: ApiStackProps) {
    super(scope, id, props);
    const { config, database } = props;
    const prefix = `signalgate-${config.envName}`;
    const logRetention = config.logRetentionDays;
    const logRemovalPolicy = removalPolicyOf(config.removalPolicies.logs);
    const logs = { logRetention, logRemovalPolicy };

    this.queueKey = encryptionKey(this, 'QueueKey', {
      logicalId: 'QueueKey',
      alias: `${prefix}/queue`,
      description: `Signalgate ${config.envName}: ingest queue and dead-letter queue`,
      removalPolicy: removalPolicyOf(config.removalPolicies.keys),
    });
    const ingestTimeout = Duration.seconds(30);
    this.ingestQueue = new IngestQueue(this, 'IngestQueue', {
      namePrefix: prefix,
      encryptionKey: this.queueKey,
      consumerTimeout: ingestTimeout,
      removalPolicy: removalPolicyOf(config.removalPolicies.queues),
    });

    this.secretsKey = encryptionKey(this, 'AppSecretsKey', {
      logicalId: 'AppSecretsKey',
      alias: `${prefix}/app-secrets`,
      description: `Signalgate ${config.envName}: Twilio auth tokens, admin token, blind-index key`,
      removalPolicy: removalPolicyOf(config.removalPolicies.keys),
    });
    // A rotation refuses to promote a version created so long ago that its predecessor would get less than
    // the grace to switch over (rotate-secret.ts, pending-age.ts).
    const pendingAgeSeconds = ({ promotionDelayMs }: RotationTiming) =>
      Math.floor(
        maxPendingAgeMs({
          graceMs: config.rotation.previousTokenGraceMinutes * 60_000,
          promotionDelayMs,
          secretCacheMs: config.secretCacheSeconds * 1000,
        }) / 1000,
      );
    // Rotation Lambdas stay out of the VPC: they talk to Secrets Manager (and Twilio) only, never the database.
    // AppSecrets' addRotationSchedule grants them read/write on their secrets and the secrets key.
    this.rotateAdminToken = new HardenedFunction(this, 'RotateAdminToken', {
      entry: props.entries?.rotateAdminToken ?? lambdaEntry('rotate-admin-token'),
      description: 'Signalgate: rotates the admin token (Secrets Manager rotation steps)',
      timeout: Duration.millis(ROTATION_TIMINGS.admin.stepTimeoutMs),
      logRetention,
      logRemovalPolicy,
      environment: {
        [EnvVar.environment]: config.envName,
        [EnvVar.serviceName]: ServiceName.rotateAdminToken,
        [EnvVar.rotationMaxPendingAgeSeconds]: String(pendingAgeSeconds(ROTATION_TIMINGS.admin)),
      },
    });
    this.rotateTwilioToken = new HardenedFunction(this, 'RotateTwilioToken', {
      entry: props.entries?.rotateTwilioToken ?? lambdaEntry('rotate-twilio-token'),
      description:
        'Signalgate: rotates Twilio auth tokens via the secondary token (Secrets Manager rotation steps)',
      // finishSecret waits PROMOTION_DELAY_MS between moving AWSCURRENT and promoting at Twilio.
      timeout: Duration.millis(ROTATION_TIMINGS.twilio.stepTimeoutMs),
      logRetention,
      logRemovalPolicy,
      environment: {
        [EnvVar.environment]: config.envName,
        [EnvVar.serviceName]: ServiceName.rotateTwilioToken,
        [EnvVar.rotationMaxPendingAgeSeconds]: String(pendingAgeSeconds(ROTATION_TIMINGS.twilio)),
      },
    });
    this.secrets = new AppSecrets(this, 'Secrets', {
      namePrefix: SecretName.prefix(config.envName),
      twilioAccountSids: config.twilio.accountSids,
      encryptionKey: this.secretsKey,
      removalPolicy: removalPolicyOf(config.removalPolicies.secrets),
      adminHolders: adminHoldersOf(config),
      adminTokenRotation: {
        handler: this.rotateAdminToken.function,
        handlerRole: this.rotateAdminToken.role,
        days: config.rotation.adminTokenDays,
      },
      twilioTokenRotation: {
        handler: this.rotateTwilioToken.function,
        days: config.rotation.twilioTokenDays,
        enabled: config.twilio.rotationEnabled,
      },
    });
    for (const rotation of [this.rotateAdminToken, this.rotateTwilioToken]) {
      acknowledge(
        rotation.role.node.findChild('DefaultPolicy'),
        'AwsSolutions-IAM5[Resource::*]',
        'Rotation Lambda: secretsmanager:GetRandomPassword (added by RotationSchedule) has no resource-level permissions, like the X-Ray actions; the secret actions are scoped to the rotated secrets (checked by test/infra).',
      );
    }

    this.api = new PublicApi(this, 'Api', {
      apiName: prefix,
      stageName: config.api.stageName,
      customDomain: config.api.customDomain,
      manageAccountCloudWatchRole: config.api.manageAccountCloudWatchRole,
      throttling: config.api.throttling,
      adminThrottling: config.api.adminThrottling,
      logRetention,
      logRemovalPolicy,
    });

    // Internet-facing and out of the VPC: no ENI, no endpoint cost on the hot path (ARCHITECTURE §1).
    this.webhook = new WebhookFunction(this, 'Webhook', {
      config,
      logs,
      publicBaseUrl: this.api.publicBaseUrl,
      queue: this.ingestQueue.queue,
      queueKey: this.queueKey,
      piiKey: props.piiKey,
      secrets: this.secrets,
      entry: props.entries?.webhook,
    });
    this.api.addWebhookRoutes(this.webhook.function);
    if (config.voice.enabled) this.api.addVoiceRoutes(this.webhook.function);

    this.ingest = new IngestFunction(this, 'Ingest', {
      config,
      logs,
      vpc: props.vpc,
      database,
      ingestQueue: this.ingestQueue,
      queueKey: this.queueKey,
      timeout: ingestTimeout,
      entry: props.entries?.ingest,
    });

    this.admin = new AdminFunction(this, 'Admin', {
      config,
      logs,
      vpc: props.vpc,
      database,
      secrets: this.secrets,
      piiKey: props.piiKey,
      ingestQueue: this.ingestQueue,
      entry: props.entries?.admin,
    });
    this.api.addAdminRoutes(this.admin.function);

    this.retention = new RetentionFunction(this, 'Retention', {
      config,
      logs,
      vpc: props.vpc,
      database,
      entry: props.entries?.retention,
    });
    new events.Rule(this, 'RetentionSchedule', {
      description: 'Signalgate: daily retention run (03:00 UTC)',
      schedule: events.Schedule.cron({ minute: '0', hour: '3' }),
      targets: [new targets.LambdaFunction(this.retention.function, { retryAttempts: 2 })],
    });

    const canaryAccount = canaryAccountOf(config);
    if (canaryAccount !== undefined) {
      const canarySecret = this.secrets.twilioAuthTokens.get(canaryAccount);
      if (!canarySecret) throw new Error(`ApiStack: no secret for ${canaryAccount}`);
      // Out of the VPC: it calls the public URL like Twilio does, and the admin function by Invoke.
      const canary = new CanaryFunction(this, 'Canary', {
        config,
        logs,
        publicBaseUrl: this.api.publicBaseUrl,
        twilioSecret: canarySecret,
        secrets: this.secrets,
        adminFunction: this.admin.function,
        entry: props.entries?.canary,
      });
      new events.Rule(this, 'CanarySchedule', {
        description: `Signalgate: canary every ${config.canary.everyMinutes} minutes`,
        schedule: events.Schedule.rate(Duration.minutes(config.canary.everyMinutes)),
        // No retry: a failed run is a CanarySuccess of 0, and the next run comes soon enough.
        targets: [new targets.LambdaFunction(canary.function, { retryAttempts: 0 })],
      });
      this.canary = canary;
    }

    if (config.waf.enabled) {
      this.webAcl = new WebAcl(this, 'WebAcl', {
        name: prefix,
        pathPrefix: this.api.wafPathPrefix,
        webhookPaths: [...WEBHOOK_PATHS, ...(config.voice.enabled ? VOICE_PATHS : [])],
        adminPath: '/admin',
        rateLimitPerIp: config.waf.rateLimitPerIp,
        adminRateLimitPerIp: config.waf.adminRateLimitPerIp,
        adminAllowedCidrs: config.waf.adminAllowedCidrs,
        maxBodyBytes: MAX_WEBHOOK_BODY_BYTES,
        logRetention,
        logRemovalPolicy,
      });
      this.webAcl.associate('StageAssociation', this.api.api.deploymentStage.stageArn);
    } else {
      acknowledge(
        this.api.api.deploymentStage,
        'AwsSolutions-APIG3',
        'No web ACL by environment config (waf.enabled false, dev only, for cost): the Twilio signature and the admin token still authenticate every route; docs/SECURITY.md "Environments without WAF".',
      );
    }

    this.addOutputs(config);
  }

  private addOutputs(config: EnvConfig): void {
    const base = this.api.publicBaseUrl;
    const overrides = config.twilio.connectionOverrides;
    const query = config.twilio.webhookQuery;
    new CfnOutput(this, OutputKey.publicBaseUrl, {
      value: base,
      description: 'Public URL of the API (the URL Twilio signatures are computed over)',
    });
    new CfnOutput(this, 'MessagesWebhookUrl', {
      value: `${webhookUrl(base, Route.messages, query)}#${overrides}`,
      description:
        'Twilio "A message comes in" URL (HTTP POST). The #fragment is Twilio connection overrides (retries on connect/read timeout and 5xx), not sent to the API',
    });
    new CfnOutput(this, 'StatusCallbackUrl', {
      value: `${webhookUrl(base, Route.status, query)}#${overrides}`,
      description: 'Twilio status callback URL (HTTP POST), with the same connection overrides',
    });
    if (config.voice.enabled) {
      new CfnOutput(this, 'VoiceWebhookUrl', {
        value: `${base}${Route.voice}#${overrides}`,
        description:
          'Twilio phone number "A call comes in" URL (HTTP POST), with the same connection overrides',
      });
      new CfnOutput(this, 'CallStatusCallbackUrl', {
        value: `${base}${Route.voiceStatus}#${overrides}`,
        description: 'Twilio phone number "Call status changes" URL (HTTP POST)',
      });
      new CfnOutput(this, 'RecordingStatusCallbackUrl', {
        value: `${base}${Route.voiceRecording}#${overrides}`,
        description: 'recordingStatusCallback URL for recordings of these calls (HTTP POST)',
      });
    }
    new CfnOutput(this, 'AdminBaseUrl', {
      value: `${base}/admin`,
      description: 'Base URL of the admin routes (X-Admin-Token)',
    });
    // npm run verify asks WAF which web ACL protects this stage (GetWebACLForResource) and compares.
    new CfnOutput(this, OutputKey.stageArn, {
      value: this.api.api.deploymentStage.stageArn,
      description: 'API Gateway stage the WAF protects',
    });
    if (this.webAcl) {
      new CfnOutput(this, OutputKey.webAclArn, {
        value: this.webAcl.webAcl.attrArn,
        description: 'WAF web ACL of the stage',
      });
    }
    new CfnOutput(this, 'IngestQueueName', { value: this.ingestQueue.queue.queueName });
    new CfnOutput(this, 'IngestDeadLetterQueueName', { value: this.ingestQueue.deadLetterQueue.queueName });
    new CfnOutput(this, OutputKey.adminCredentials, {
      value: JSON.stringify(
        Object.fromEntries(
          adminHoldersOf(config).map((h) => [
            h.id,
            { role: h.role, secretName: SecretName.adminCredential(config.envName, h.id) },
          ]),
        ),
      ),
      description: 'Admin holders: id → role and the name of the secret holding its token (docs/DEPLOY.md)',
    });
    new CfnOutput(this, OutputKey.twilioAuthTokenSecretNames, {
      value: config.twilio.accountSids
        .map((sid) => SecretName.twilioAuthToken(config.envName, sid))
        .join(','),
    });
    // npm run rotate -- --revoke-previous recycles the functions that cache secrets (docs/RUNBOOK.md).
    new CfnOutput(this, OutputKey.webhookFunctionName, { value: this.webhook.function.functionName });
    new CfnOutput(this, OutputKey.adminFunctionName, { value: this.admin.function.functionName });
    if (this.canary)
      new CfnOutput(this, OutputKey.canaryFunctionName, { value: this.canary.function.functionName });
    if (this.api.domain) {
      new CfnOutput(this, 'RegionalDomainName', {
        value: this.api.domain.domainNameAliasDomainName,
        description: 'CNAME/alias target for the custom domain',
      });
    }
  }
}
