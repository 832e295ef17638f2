// Monitoring stack: the environment's on-call topic. Alarms and the dashboard (issue 6) are added here.
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import type { EnvConfig } from '../config/index.js';
import { encryptionKey } from '../constructs/encryption-key.js';
import { pinLogicalId, removalPolicyOf } from '../constructs/pin.js';

export interface MonitoringStackProps extends StackProps {
  readonly config: EnvConfig;
}

export class MonitoringStack extends Stack {
  /** Every alarm of the environment notifies this topic. */
  readonly onCallTopic: sns.Topic;

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
    for (const email of config.alarms.emails) {
      this.onCallTopic.addSubscription(new subscriptions.EmailSubscription(email));
    }
    new CfnOutput(this, 'OnCallTopicArn', { value: this.onCallTopic.topicArn, description: 'On-call SNS topic' });
  }
}
