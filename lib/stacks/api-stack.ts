// API stack: WAF → REST API → webhook Lambda → SQS → ingest Lambda (in the VPC) → RDS Proxy, the admin and retention
// Lambdas (in the VPC), plus the app's secrets and their rotation Lambdas.

import * as path from 'node:path';
import { CfnOutput, Duration, Stack, type StackProps, Tags } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import type { Construct } from 'constructs';
import { PROMOTION_DELAY_MS } from '../../lambda/rotate-twilio-token/twilio-token-rotation.js';
import { kmsEncryptionContext } from '../../lambda/shared/adapters/aws/kms-key-provider.js';
import {
  DbRole,
  EnvVar,
  Route,
  SecretName,
  ServiceName,
  VOICE_PATHS,
  WEBHOOK_PATHS,
} from '../../lambda/shared/names.js';
import { MAX_WEBHOOK_BODY_BYTES } from '../../lambda/shared/webhook-limits.js';
import { webhookUrl } from '../../lambda/shared/webhook-url.js';
import type { EnvConfig } from '../config/index.js';
import { AppSecrets } from '../constructs/app-secrets.js';
import { encryptionKey, PII_ACCESS_TAG } from '../constructs/encryption-key.js';
import { HardenedFunction } from '../constructs/hardened-function.js';
import { IngestQueue } from '../constructs/ingest-queue.js';
import { acknowledge, removalPolicyOf } from '../constructs/per-resource.js';
import { POSTGRES_PORT, type PostgresDatabase } from '../constructs/postgres-database.js';
import { PublicApi } from '../constructs/public-api.js';
import { WebAcl } from '../constructs/web-acl.js';
import { lambdaEntry, REPO_ROOT } from '../paths.js';
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
  readonly webAcl: WebAcl;
  readonly secrets: AppSecrets;
  readonly queueKey: kms.Key;
  /** Encrypts the app secrets; in this stack so that grants stay identity policies (no cross-stack key policy). */
  readonly secretsKey: kms.Key;
  readonly ingestQueue: IngestQueue;
  readonly webhook: HardenedFunction;
  readonly ingest: HardenedFunction;
  /** The /admin routes (in the VPC, through the proxy). */
  readonly admin: HardenedFunction;
  /** Scheduled retention run (in the VPC, database only). */
  readonly retention: HardenedFunction;
  /** Secrets Manager rotation of the admin token (out of the VPC: Secrets Manager only). */
  readonly rotateAdminToken: HardenedFunction;
  /** Secrets Manager rotation of the Twilio auth tokens (out of the VPC: it calls api.twilio.com). */
  readonly rotateTwilioToken: HardenedFunction;
  /** Scheduled synthetic message through the public URL; absent when config.canary is off or no Twilio account. */
  readonly canary?: HardenedFunction;

  constructor(scope: Construct, id: string, props: ApiStackProps) {
    super(scope, id, props);
    const { config, database } = props;
    const prefix = `signalgate-${config.envName}`;
    const logRetention = config.logRetentionDays;
    const logRemovalPolicy = removalPolicyOf(config.removalPolicies.logs);

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
    // Rotation Lambdas stay out of the VPC: they talk to Secrets Manager (and Twilio) only, never the database.
    // AppSecrets' addRotationSchedule grants them read/write on their secrets and the secrets key.
    this.rotateAdminToken = new HardenedFunction(this, 'RotateAdminToken', {
      entry: props.entries?.rotateAdminToken ?? lambdaEntry('rotate-admin-token'),
      description: 'Signalgate: rotates the admin token (Secrets Manager rotation steps)',
      timeout: Duration.seconds(30),
      logRetention,
      logRemovalPolicy,
      environment: {
        [EnvVar.environment]: config.envName,
        [EnvVar.powertoolsServiceName]: ServiceName.rotateAdminToken,
      },
    });
    this.rotateTwilioToken = new HardenedFunction(this, 'RotateTwilioToken', {
      entry: props.entries?.rotateTwilioToken ?? lambdaEntry('rotate-twilio-token'),
      description:
        'Signalgate: rotates Twilio auth tokens via the secondary token (Secrets Manager rotation steps)',
      // finishSecret waits PROMOTION_DELAY_MS between moving AWSCURRENT and promoting at Twilio.
      timeout: Duration.millis(PROMOTION_DELAY_MS + 40_000),
      logRetention,
      logRemovalPolicy,
      environment: {
        [EnvVar.environment]: config.envName,
        [EnvVar.powertoolsServiceName]: ServiceName.rotateTwilioToken,
      },
    });
    this.secrets = new AppSecrets(this, 'Secrets', {
      namePrefix: SecretName.prefix(config.envName),
      twilioAccountSids: config.twilio.accountSids,
      encryptionKey: this.secretsKey,
      removalPolicy: removalPolicyOf(config.removalPolicies.secrets),
      adminTokenRotation: { handler: this.rotateAdminToken.function, days: config.rotation.adminTokenDays },
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
    this.webhook = new HardenedFunction(this, 'Webhook', {
      entry: props.entries?.webhook ?? lambdaEntry('webhook'),
      description: 'Signalgate: verifies, validates, seals and queues Twilio webhooks',
      memorySize: 512,
      timeout: Duration.seconds(10),
      // Keeps the public hot path's bundle at ~465 KB instead of ~1 MB (issue 2 goal: ≤ 600 KB).
      useRuntimeAwsSdk: true,
      logRetention,
      logRemovalPolicy,
      environment: {
        [EnvVar.environment]: config.envName,
        [EnvVar.powertoolsServiceName]: ServiceName.webhook,
        [EnvVar.publicBaseUrl]: this.api.publicBaseUrl,
        ...(config.twilio.webhookQuery ? { [EnvVar.webhookQuery]: config.twilio.webhookQuery } : {}),
        [EnvVar.queueUrl]: this.ingestQueue.queue.queueUrl,
        [EnvVar.kmsKeyId]: props.piiKey.keyArn,
        [EnvVar.twilioTokenSecrets]: Stack.of(this).toJsonString(this.secrets.twilioSecretArnsJson()),
        [EnvVar.blindIndexSecretArn]: this.secrets.blindIndexKey.secretArn,
        [EnvVar.secretCacheSeconds]: String(config.secretCacheSeconds),
        [EnvVar.twilioPreviousTokenGraceSeconds]: String(config.rotation.previousTokenGraceMinutes * 60),
        // No secret in it: TwiML choices, the stream URL and its fixed parameters (issue 14).
        [EnvVar.voiceConfig]: JSON.stringify(config.voice),
      },
    });
    // SendMessage plus exactly the two KMS calls SSE-KMS needs (grantSendMessages would add kms:ReEncrypt* and
    // kms:GenerateDataKey* wildcards).
    this.webhook.function.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'],
        resources: [this.ingestQueue.queue.queueArn],
      }),
    );
    this.webhook.function.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: [this.queueKey.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `sqs.${this.region}.amazonaws.com` } },
      }),
    );
    // The PII key's policy denies its crypto operations to every principal without this tag (data stack).
    Tags.of(this.webhook.function.role as iam.IRole).add(PII_ACCESS_TAG, config.envName);
    // Sealing only, and only with the encryption context the code binds; decrypting is the admin function's job.
    this.webhook.function.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['kms:GenerateDataKey'],
        resources: [props.piiKey.keyArn],
        conditions: {
          StringEquals: Object.fromEntries(
            Object.entries(kmsEncryptionContext(config.envName)).map(([k, v]) => [
              `kms:EncryptionContext:${k}`,
              v,
            ]),
          ),
        },
      }),
    );
    for (const secret of this.secrets.twilioAuthTokens.values()) secret.grantRead(this.webhook.function);
    this.secrets.blindIndexKey.grantRead(this.webhook.function);
    this.api.addWebhookRoutes(this.webhook.function);
    if (config.voice.enabled) this.api.addVoiceRoutes(this.webhook.function);

    this.ingest = new HardenedFunction(this, 'Ingest', {
      entry: props.entries?.ingest ?? lambdaEntry('ingest'),
      description: 'Signalgate: stores queued messages in Postgres through RDS Proxy',
      memorySize: 256,
      timeout: ingestTimeout,
      logRetention,
      logRemovalPolicy,
      vpc: props.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      securityGroups: [database.proxyClientSecurityGroup],
      // Optional (prod): keeps capacity for ingest when the webhook surges. Connections to the proxy are bounded
      // by the event source's maxConcurrency.
      reservedConcurrentExecutions: config.ingest.reservedConcurrency,
      environment: {
        [EnvVar.environment]: config.envName,
        [EnvVar.powertoolsServiceName]: ServiceName.ingest,
        [EnvVar.dbHost]: database.proxy.endpoint,
        [EnvVar.dbPort]: String(POSTGRES_PORT),
        [EnvVar.dbName]: database.databaseName,
        [EnvVar.dbUser]: DbRole.ingest,
        [EnvVar.queueUrl]: this.ingestQueue.queue.queueUrl,
        [EnvVar.dlqUrl]: this.ingestQueue.deadLetterQueue.queueUrl,
      },
    });
    // IAM auth to the proxy as its own role only (rds-db:connect on that proxy and user).
    database.proxy.grantConnect(this.ingest.function, DbRole.ingest);
    // A record that can never be stored goes to the dead-letter queue at once (ARCHITECTURE §1): SendMessage
    // there plus the two KMS calls SSE-KMS needs, as for the webhook. ChangeMessageVisibility on the source
    // queue (the backoff) comes with the event source's own grant.
    this.ingest.function.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['sqs:SendMessage'],
        resources: [this.ingestQueue.deadLetterQueue.queueArn],
      }),
    );
    this.ingest.function.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: [this.queueKey.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `sqs.${this.region}.amazonaws.com` } },
      }),
    );
    this.ingest.function.addEventSource(
      new sources.SqsEventSource(this.ingestQueue.queue, {
        batchSize: config.ingest.batchSize,
        reportBatchItemFailures: true,
        maxConcurrency: config.ingest.maxConcurrency,
      }),
    );

    const dbEnvironment = (user: DbRole) => ({
      [EnvVar.environment]: config.envName,
      [EnvVar.powertoolsServiceName]: ServiceName.admin,
      [EnvVar.dbHost]: database.proxy.endpoint,
      [EnvVar.dbPort]: String(POSTGRES_PORT),
      [EnvVar.dbName]: database.databaseName,
      [EnvVar.dbUser]: user,
      [EnvVar.retentionDays]: String(config.retentionDays),
    });
    const monitoredSecrets: Record<string, string> = {
      adminToken: this.secrets.adminToken.secretArn,
      blindIndexKey: this.secrets.blindIndexKey.secretArn,
      ...Object.fromEntries(
        [...this.secrets.twilioAuthTokens].map(([sid, secret]) => [`twilio:${sid}`, secret.secretArn]),
      ),
      database: database.masterSecret.secretArn,
    };
    this.admin = new HardenedFunction(this, 'Admin', {
      entry: props.entries?.admin ?? lambdaEntry('admin'),
      description: 'Signalgate: admin API (health, metrics, subject export and erasure, retention, audit)',
      memorySize: 512,
      // API Gateway's integration timeout (29 s): the function never outlives the request it answers.
      timeout: Duration.seconds(29),
      logRetention,
      logRemovalPolicy,
      vpc: props.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      securityGroups: [database.proxyClientSecurityGroup],
      // No reserved concurrency (it can fail a first deploy: Lambda keeps 100 unreserved per account); the
      // admin routes' API Gateway throttling bounds its concurrency and proxy connections.
      environment: {
        ...dbEnvironment(DbRole.admin),
        [EnvVar.adminTokenSecretArn]: this.secrets.adminToken.secretArn,
        [EnvVar.blindIndexSecretArn]: this.secrets.blindIndexKey.secretArn,
        [EnvVar.kmsKeyId]: props.piiKey.keyArn,
        [EnvVar.queueUrl]: this.ingestQueue.queue.queueUrl,
        [EnvVar.dlqUrl]: this.ingestQueue.deadLetterQueue.queueUrl,
        [EnvVar.monitoredSecretArns]: Stack.of(this).toJsonString(monitoredSecrets),
        // Export and erase refuse the business's own numbers (409, ARCHITECTURE §2).
        [EnvVar.ownNumbers]: config.ownNumbers.join(','),
        [EnvVar.secretCacheSeconds]: String(config.secretCacheSeconds),
        [EnvVar.adminTokenGraceSeconds]: String(config.rotation.previousTokenGraceMinutes * 60),
      },
    });
    this.secrets.adminToken.grantRead(this.admin.function);
    this.secrets.blindIndexKey.grantRead(this.admin.function);
    // /admin/health reports secret ages: metadata only, never a value.
    this.admin.function.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:DescribeSecret'],
        resources: Object.values(monitoredSecrets),
      }),
    );
    Tags.of(this.admin.function.role as iam.IRole).add(PII_ACCESS_TAG, config.envName);
    // Opening sealed records only, with the same encryption context the webhook seals with.
    this.admin.function.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt'],
        resources: [props.piiKey.keyArn],
        conditions: {
          StringEquals: Object.fromEntries(
            Object.entries(kmsEncryptionContext(config.envName)).map(([k, v]) => [
              `kms:EncryptionContext:${k}`,
              v,
            ]),
          ),
        },
      }),
    );
    // Queue depths for /admin/health; attributes only (no receive, no KMS needed).
    this.admin.function.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['sqs:GetQueueAttributes'],
        resources: [this.ingestQueue.queue.queueArn, this.ingestQueue.deadLetterQueue.queueArn],
      }),
    );
    // /admin/metrics' counters and the queue's oldest-message age (read-only; reached through the VPC's
    // CloudWatch monitoring endpoint). GetMetricData has no resource-level permissions: "*" is the only scope.
    this.admin.function.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['cloudwatch:GetMetricData'], resources: ['*'] }),
    );
    acknowledge(
      this.admin.role.node.findChild('DefaultPolicy'),
      'AwsSolutions-IAM5[Resource::*]',
      'Admin Lambda: cloudwatch:GetMetricData (read-only metric sums for /admin/metrics and /admin/health) has no resource-level permissions, like the X-Ray actions; every other statement of this policy is scoped (checked by test/infra).',
    );
    database.proxy.grantConnect(this.admin.function, DbRole.admin);
    this.api.addAdminRoutes(this.admin.function);

    this.retention = new HardenedFunction(this, 'Retention', {
      entry: props.entries?.retention ?? path.join(REPO_ROOT, 'lambda', 'admin', 'retention-handler.ts'),
      description: 'Signalgate: daily deletion of messages older than the retention period',
      timeout: Duration.minutes(5),
      logRetention,
      logRemovalPolicy,
      vpc: props.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      securityGroups: [database.proxyClientSecurityGroup],
      environment: dbEnvironment(DbRole.retention),
    });
    database.proxy.grantConnect(this.retention.function, DbRole.retention);
    new events.Rule(this, 'RetentionSchedule', {
      description: 'Signalgate: daily retention run (03:00 UTC)',
      schedule: events.Schedule.cron({ minute: '0', hour: '3' }),
      targets: [new targets.LambdaFunction(this.retention.function, { retryAttempts: 2 })],
    });

    const firstAccount = config.twilio.accountSids[0];
    if (config.canary.everyMinutes > 0 && firstAccount !== undefined) {
      const firstSecret = this.secrets.twilioAuthTokens.get(firstAccount);
      if (!firstSecret) throw new Error(`ApiStack: no secret for ${firstAccount}`);
      // Out of the VPC: it calls the public URL like Twilio does, and the admin function by Invoke.
      const canary = new HardenedFunction(this, 'Canary', {
        entry: props.entries?.canary ?? lambdaEntry('canary'),
        description:
          'Signalgate: canary, a signed synthetic message through the public URL, confirmed stored',
        timeout: Duration.seconds(90),
        useRuntimeAwsSdk: true,
        logRetention,
        logRemovalPolicy,
        environment: {
          [EnvVar.environment]: config.envName,
          [EnvVar.powertoolsServiceName]: ServiceName.canary,
          [EnvVar.publicBaseUrl]: this.api.publicBaseUrl,
          ...(config.twilio.webhookQuery ? { [EnvVar.webhookQuery]: config.twilio.webhookQuery } : {}),
          [EnvVar.canaryTwilioSecretArn]: firstSecret.secretArn,
          [EnvVar.canaryAdminSecretArn]: this.secrets.adminToken.secretArn,
          [EnvVar.adminFunctionName]: this.admin.function.functionName,
          [EnvVar.canaryTimeoutSeconds]: '60',
        },
      });
      firstSecret.grantRead(canary.function);
      this.secrets.adminToken.grantRead(canary.function);
      // The unqualified function only (grantInvoke would add `:*`, every version and alias).
      canary.function.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['lambda:InvokeFunction'],
          resources: [this.admin.function.functionArn],
        }),
      );
      new events.Rule(this, 'CanarySchedule', {
        description: `Signalgate: canary every ${config.canary.everyMinutes} minutes`,
        schedule: events.Schedule.rate(Duration.minutes(config.canary.everyMinutes)),
        // No retry: a failed run is a CanarySuccess of 0, and the next run comes soon enough.
        targets: [new targets.LambdaFunction(canary.function, { retryAttempts: 0 })],
      });
      this.canary = canary;
    }

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
    new CfnOutput(this, OutputKey.webAclArn, {
      value: this.webAcl.webAcl.attrArn,
      description: 'WAF web ACL of the stage',
    });
    new CfnOutput(this, 'IngestQueueName', { value: this.ingestQueue.queue.queueName });
    new CfnOutput(this, 'IngestDeadLetterQueueName', { value: this.ingestQueue.deadLetterQueue.queueName });
    new CfnOutput(this, OutputKey.adminTokenSecretName, { value: SecretName.adminToken(config.envName) });
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
