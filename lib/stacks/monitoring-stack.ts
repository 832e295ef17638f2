// Monitoring stack: the environment's on-call topic. Alarms and the dashboard (issue 6) are added here.
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import { VOICE_PATHS, WEBHOOK_PATHS } from '../../lambda/shared/names.js';
import type { EnvConfig } from '../config/index.js';
import { encryptionKey } from '../constructs/encryption-key.js';
import { discoverFunctions } from '../constructs/monitoring/discover-functions.js';
import { allowKeyUseByServices, subscribeHttpsEndpoint } from '../constructs/monitoring/on-call-topic.js';
import { SecurityEventRules } from '../constructs/monitoring/security-event-rules.js';
import { SignalgateAlarms } from '../constructs/monitoring/signalgate-alarms.js';
import { SignalgateDashboard } from '../constructs/monitoring/signalgate-dashboard.js';
import { pinLogicalId, removalPolicyOf } from '../constructs/per-resource.js';
import { OutputKey } from '../stack-names.js';
import type { ApiStack } from './api-stack.js';
import type { DataStack } from './data-stack.js';

export interface MonitoringStackProps extends StackProps {
  readonly config: EnvConfig;
  /**
   * What the alarms and the dashboard watch; every function in `stacks` gets error and throttle alarms.
   * @default - the on-call topic only
   */
  readonly monitored?: {
    readonly api: ApiStack;
    readonly data: DataStack;
    readonly stacks: readonly Stack[];
  };
}

export class MonitoringStack extends Stack {
  /** Every alarm of the environment notifies this topic. */
  readonly onCallTopic: sns.Topic;
  readonly alarms?: SignalgateAlarms;
  readonly securityEvents?: SecurityEventRules;
  readonly dashboard?: SignalgateDashboard;

  constructor(scope: Construct, id: string, props: MonitoringStackProps) {
    super(scope, id, props);
    const { config } = props;
    const key = encryptionKey(this, 'TopicKey', {
      logicalId: 'OnCallTopicKey',
      alias: `signalgate-${config.envName}/on-call`,
      description: `Signalgate ${config.envName}: on-call notifications`,
      removalPolicy: removalPolicyOf(config.removalPolicies.keys),
    });
    // CloudWatch alarms publish to an encrypted topic only if the key lets the service use it.
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
      }),
    );
    this.onCallTopic = new sns.Topic(this, 'OnCallTopic', {
      topicName: `signalgate-${config.envName}-on-call`,
      displayName: `Signalgate ${config.envName} on-call`,
      masterKey: key,
      enforceSSL: true,
    });
    pinLogicalId(this.onCallTopic, 'OnCallTopic');
    // enforceSSL gives the topic an explicit policy, and an explicit policy replaces SNS's default one: without
    // this statement CloudWatch may not publish and every alarm is silent (ARCHITECTURE §9). EventBridge's
    // statement is added by its rule targets.
    this.onCallTopic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.onCallTopic.topicArn],
        conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
      }),
    );
    for (const email of config.alarms.emails) {
      this.onCallTopic.addSubscription(new subscriptions.EmailSubscription(email));
    }
    // EventBridge rules publish to the topic too (the CloudWatch statement is above).
    allowKeyUseByServices(key, ['events.amazonaws.com']);
    if (config.alarms.httpsEndpoint) subscribeHttpsEndpoint(this.onCallTopic, config.alarms.httpsEndpoint);
    if (props.monitored) {
      const parts = this.monitor(config, props.monitored);
      this.alarms = parts.alarms;
      this.securityEvents = parts.securityEvents;
      this.dashboard = parts.dashboard;
    }
    new CfnOutput(this, OutputKey.onCallTopicArn, {
      value: this.onCallTopic.topicArn,
      description: 'On-call SNS topic',
    });
  }

  private monitor(config: EnvConfig, monitored: NonNullable<MonitoringStackProps['monitored']>) {
    const { api, data } = monitored;
    const functions = discoverFunctions(monitored.stacks);
    const webhookFunction = functions.find((f) => f.functionName === api.webhook.function.functionName);
    if (!webhookFunction)
      throw new Error('MonitoringStack: the webhook function was not found in the monitored stacks');
    const watched = {
      apiStage: api.api.api.deploymentStage,
      queue: api.ingestQueue.queue,
      deadLetterQueue: api.ingestQueue.deadLetterQueue,
      webAclName: api.webAcl?.webAcl.name,
      database: data.database.instance,
      proxy: data.database.proxy,
    };
    const alarms = new SignalgateAlarms(this, 'Alarms', {
      ...watched,
      environment: config.envName,
      topic: this.onCallTopic,
      functions,
      webhookFunction,
      thresholds: config.alarms.thresholds,
      window: config.alarms.window,
      ...(api.canary ? { canary: config.canary } : {}),
      trafficDropSilentMinutes: config.trafficDrop.silentMinutes,
      webhookRoutes: {
        apiName: api.api.api.restApiName,
        stageName: config.api.stageName,
        method: 'POST',
        resources: [...WEBHOOK_PATHS, ...(config.voice.enabled ? VOICE_PATHS : [])],
      },
    });
    const securityEvents = new SecurityEventRules(this, 'SecurityEvents', {
      topic: this.onCallTopic,
      namePrefix: `signalgate-${config.envName}`,
    });
    const dashboard = config.alarms.dashboard
      ? new SignalgateDashboard(this, 'Dashboard', {
          ...watched,
          environment: config.envName,
          eventRules: [securityEvents.secretRotationFailed, securityEvents.kmsKeyDeletion],
          alarms: [alarms.webhookPathBroken, ...alarms.customMetricAlarms.values()],
        })
      : undefined;
    return { alarms, securityEvents, dashboard };
  }
}
