// AWS Control Tower proactive controls (cdk-validator-cfnguard) run on every synth; each finding we accept is
// acknowledged here, on the specific resource, only when that resource actually breaks the rule, with the
// reason. docs/SECURITY.md lists the same reasons (a test keeps the two in step).
import { CfnResource, type Stack, Validations } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { IConstruct } from 'constructs';
import type { SignalgateStacks } from './app.js';
import type { EnvConfig } from './config/index.js';

/** The plugin's name, the prefix of every acknowledgement ID. */
export const GUARD_PLUGIN = 'cdk-validator-cfnguard';

/** Control Tower's CloudWatch Logs retention control asks for at least a year. */
export const GUARD_MIN_LOG_RETENTION_DAYS = 365;
/** Control Tower's RDS backup control asks for at least a week of automated backups. */
export const GUARD_MIN_BACKUP_RETENTION_DAYS = 7;

/** Rule name → why Signalgate accepts it where it does. Every reason is quoted in docs/SECURITY.md. */
export const GUARD_REASONS = {
  logRetention:
    'Log retention is set per environment (logRetentionDays: a year in prod); logs hold no message content, full number or secret (ARCHITECTURE §4), so shorter retention in dev and staging only limits cost.',
  logEncryption:
    'CloudWatch Logs encrypts every log group at rest; ours hold no message content, full number or secret (ARCHITECTURE §4), so a customer managed key would add a key policy to get right without protecting any data.',
  webhookOutsideVpc:
    'The internet-facing webhook stays out of the VPC by design (ARCHITECTURE §1): it never reaches the database, and in the VPC every request would need interface endpoints for KMS, SQS and Secrets Manager.',
  rotationOutsideVpc:
    'Rotation functions call Secrets Manager and, for Twilio, api.twilio.com on the internet; they never reach the database, and the VPC has no NAT by design.',
  providerOutsideVpc:
    'A CDK custom-resource provider (trigger, default security group restriction) calls AWS control-plane APIs only, once per deployment.',
  vpcFunctionCrossStackSubnets:
    'The function is in the VPC: its subnets come from the network stack through Fn::GetStackOutput, which the guard rule cannot resolve; the deploy rehearsal (test/infra/deploy-rehearsal.test.ts) checks its placement and reachability.',
  databaseSingleAz:
    'Single-AZ database by environment config (non-production cost); prod sets database.multiAz.',
  databaseNoDeletionProtection:
    'Deletion protection off by environment config (disposable dev database); staging and prod enable it.',
  databaseNoEnhancedMonitoring:
    'Enhanced monitoring off by environment config (dev cost); staging and prod enable it. CloudWatch RDS metrics and alarms still apply.',
  databaseShortBackups:
    'Backup retention below a week by environment config (disposable dev data); staging keeps 7 days and prod 35.',
  databaseDefaultPort:
    'Default Postgres port kept: the instance is reachable only from the proxy and migration security groups in isolated subnets, so another port adds no protection; clients go through the proxy (5432 regardless).',
  canaryOutsideVpc:
    'The canary calls the public webhook URL like Twilio does and the admin function by Invoke; it never reaches the database, and the VPC has no NAT by design.',
  accountAgnosticSourceAccount:
    'No account is configured, so the template is account-agnostic: SourceAccount is the deploying account (Ref AWS::AccountId), which the guard rule cannot read as a string; with an account configured it is the literal account id and the rule passes.',
  deadLetterQueueWithoutDlq:
    'This queue is the dead-letter queue; a dead-letter queue of its own would only move the same poison messages one step further.',
} as const;

function ack(construct: IConstruct, rule: string, reason: string): void {
  Validations.of(construct).acknowledge({ id: `${GUARD_PLUGIN}::${rule}`, reason });
}

/** Every AWS::Lambda::Function resource: L1s of our functions and CDK's raw provider resources. */
function lambdaResources(stack: Stack): CfnResource[] {
  return stack.node
    .findAll()
    .filter(
      (n): n is CfnResource => CfnResource.isCfnResource(n) && n.cfnResourceType === 'AWS::Lambda::Function',
    );
}

/** Acknowledges the accepted Control Tower findings of one environment's stacks. */
export function acknowledgeGuardFindings(stacks: SignalgateStacks, config: EnvConfig): void {
  const all = [stacks.network, stacks.data, stacks.api, stacks.monitoring];
  for (const stack of all) {
    for (const node of stack.node.findAll()) {
      if (!(node instanceof logs.CfnLogGroup)) continue;
      const days = node.retentionInDays;
      if (typeof days === 'number' && days < GUARD_MIN_LOG_RETENTION_DAYS) {
        ack(node, 'cloudwatch_log_group_retention_period_check', GUARD_REASONS.logRetention);
      }
      if (node.kmsKeyId === undefined) {
        ack(node, 'cloudwatch_log_group_encrypted_check', GUARD_REASONS.logEncryption);
      }
    }
  }

  const { api } = stacks;
  const byDesign = new Map<IConstruct, string>([
    [api.webhook.function.node.defaultChild as IConstruct, GUARD_REASONS.webhookOutsideVpc],
    [api.rotateAdminToken.function.node.defaultChild as IConstruct, GUARD_REASONS.rotationOutsideVpc],
    [api.rotateTwilioToken.function.node.defaultChild as IConstruct, GUARD_REASONS.rotationOutsideVpc],
    ...(api.canary
      ? [[api.canary.function.node.defaultChild as IConstruct, GUARD_REASONS.canaryOutsideVpc] as const]
      : []),
  ]);
  for (const stack of all) {
    for (const fn of lambdaResources(stack)) {
      // In the VPC, wired across stacks; our own functions out of the VPC are named above; anything else
      // out of the VPC must be a CDK provider, which is raw CloudFormation (no L2 Function around it).
      const inVpc = fn instanceof lambda.CfnFunction && fn.vpcConfig !== undefined;
      const reason = inVpc
        ? GUARD_REASONS.vpcFunctionCrossStackSubnets
        : (byDesign.get(fn) ??
          (fn instanceof lambda.CfnFunction ? undefined : GUARD_REASONS.providerOutsideVpc));
      if (reason) ack(fn, 'lambda_inside_vpc_check', reason);
    }
  }

  // ServicePermissionSourceAccount sets SourceAccount to the stack's account at synth: a Ref without one.
  if (config.account === undefined) {
    for (const stack of all) {
      for (const node of stack.node.findAll()) {
        if (!(node instanceof lambda.CfnPermission)) continue;
        if (typeof node.principal === 'string' && node.principal.endsWith('.amazonaws.com')) {
          ack(
            node,
            'lambda_function_public_access_prohibited_check',
            GUARD_REASONS.accountAgnosticSourceAccount,
          );
        }
      }
    }
  }

  const db = config.database;
  const instance = stacks.data.database.instance.node.defaultChild as IConstruct;
  if (!db.multiAz) ack(instance, 'rds_instance_multi_az_support_check', GUARD_REASONS.databaseSingleAz);
  if (!db.deletionProtection) {
    ack(
      instance,
      'rds_instance_deletion_protection_enabled_check',
      GUARD_REASONS.databaseNoDeletionProtection,
    );
  }
  if (db.enhancedMonitoringIntervalSeconds === 0) {
    ack(
      instance,
      'rds_instance_enhanced_monitoring_enabled_check',
      GUARD_REASONS.databaseNoEnhancedMonitoring,
    );
  }
  if (db.backupRetentionDays < GUARD_MIN_BACKUP_RETENTION_DAYS) {
    ack(instance, 'rds_instance_backup_enabled_check', GUARD_REASONS.databaseShortBackups);
  }
  ack(instance, 'rds_instance_no_default_ports_check', GUARD_REASONS.databaseDefaultPort);
  ack(
    api.ingestQueue.deadLetterQueue.node.defaultChild as IConstruct,
    'sqs_dlq_check',
    GUARD_REASONS.deadLetterQueueWithoutDlq,
  );
}
