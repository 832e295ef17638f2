// EventBridge rules for what no metric shows: a failed Secrets Manager rotation and a KMS key being disabled or scheduled for deletion.
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { RunbookSection, runbookReference } from './runbook.js';

/**
 * Secrets Manager records rotation outcomes as CloudTrail *service* events (not API calls), e.g.
 * `RotationFailed`; see https://docs.aws.amazon.com/secretsmanager/latest/userguide/retrieve-ct-entries.html.
 * `RotationAbandoned` means a manual change cancelled a rotation, which on-call must know about too.
 */
export const SECRET_ROTATION_FAILED_PATTERN: events.EventPattern = {
  source: ['aws.secretsmanager'],
  detailType: ['AWS Service Event via CloudTrail'],
  detail: {
    eventSource: ['secretsmanager.amazonaws.com'],
    eventName: ['RotationFailed', 'RotationAbandoned'],
  },
};

/**
 * KMS management API calls arrive as "AWS API Call via CloudTrail" events, which EventBridge only receives
 * while CloudTrail records management events in the region (docs/RUNBOOK.md#kms-key-deletion says how to check).
 */
export const KMS_KEY_DELETION_PATTERN: events.EventPattern = {
  source: ['aws.kms'],
  detailType: ['AWS API Call via CloudTrail'],
  detail: {
    eventSource: ['kms.amazonaws.com'],
    eventName: ['ScheduleKeyDeletion', 'DisableKey'],
  },
};

export interface SecurityEventRulesProps {
  /** Receives a short message per matching event. */
  readonly topic: sns.ITopic;
  /** Prefix of the rule names, e.g. `signalgate-prod`. */
  readonly namePrefix: string;
}

/** Two account-wide rules to the on-call topic; a key or secret of another app in the account is still worth a look. */
export class SecurityEventRules extends Construct {
  readonly secretRotationFailed: events.Rule;
  readonly kmsKeyDeletion: events.Rule;

  constructor(scope: Construct, id: string, props: SecurityEventRulesProps) {
    super(scope, id);
    this.secretRotationFailed = this.rule('SecretRotationFailed', {
      name: `${props.namePrefix}-secret-rotation-failed`,
      description: `Secrets Manager reported a failed or abandoned rotation. ${runbookReference(RunbookSection.secretRotationFailed)}`,
      pattern: SECRET_ROTATION_FAILED_PATTERN,
      topic: props.topic,
      message: events.RuleTargetInput.fromText(
        `Secret rotation ${events.EventField.fromPath('$.detail.eventName')} in ${events.EventField.fromPath('$.account')}/${events.EventField.fromPath('$.region')} at ${events.EventField.fromPath('$.time')}: ${events.EventField.fromPath('$.detail.additionalEventData')}. ${runbookReference(RunbookSection.secretRotationFailed)}`,
      ),
    });
    this.kmsKeyDeletion = this.rule('KmsKeyDeletion', {
      name: `${props.namePrefix}-kms-key-deletion`,
      description: `A KMS key was scheduled for deletion or disabled. ${runbookReference(RunbookSection.kmsKeyDeletion)}`,
      pattern: KMS_KEY_DELETION_PATTERN,
      topic: props.topic,
      message: events.RuleTargetInput.fromText(
        `KMS ${events.EventField.fromPath('$.detail.eventName')} on ${events.EventField.fromPath('$.detail.requestParameters.keyId')} by ${events.EventField.fromPath('$.detail.userIdentity.arn')} at ${events.EventField.fromPath('$.time')}. ${runbookReference(RunbookSection.kmsKeyDeletion)}`,
      ),
    });
  }

  private rule(
    id: string,
    options: {
      name: string;
      description: string;
      pattern: events.EventPattern;
      topic: sns.ITopic;
      message: events.RuleTargetInput;
    },
  ): events.Rule {
    const rule = new events.Rule(this, id, {
      ruleName: options.name,
      description: options.description,
      eventPattern: options.pattern,
    });
    rule.addTarget(new targets.SnsTopic(options.topic, { message: options.message }));
    return rule;
  }
}
