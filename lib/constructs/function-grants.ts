// The permissions one function gets on another resource, each written once with its reason: the stacks call
// these instead of pasting IAM statements (issue 13).
import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { kmsEncryptionContext } from '../../lambda/shared/kms-encryption-context.js';

/**
 * The encryption context every PII data key is bound to, as KMS condition keys: a role holding this condition
 * can use the key only for the records the code seals (kms:EncryptionContext:<key>, KMS developer guide).
 */
function piiContextCondition(envName: string): Record<string, Record<string, string>> {
  return {
    StringEquals: Object.fromEntries(
      Object.entries(kmsEncryptionContext(envName)).map(([k, v]) => [`kms:EncryptionContext:${k}`, v]),
    ),
  };
}

/**
 * The two KMS calls SSE-KMS makes for a producer of an encrypted queue, through SQS only (`grantSendMessages`
 * would add kms:ReEncrypt* and kms:GenerateDataKey* wildcards).
 */
function grantQueueKeyViaSqs(fn: lambda.IFunction, queueKey: kms.IKey): void {
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
      resources: [queueKey.keyArn],
      conditions: { StringEquals: { 'kms:ViaService': `sqs.${Stack.of(fn).region}.amazonaws.com` } },
    }),
  );
}

/** The webhook queues envelopes: SendMessage (and the attribute reads the SDK makes) plus SSE-KMS. */
export function grantSendEnvelope(fn: lambda.IFunction, queue: sqs.IQueue, queueKey: kms.IKey): void {
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'],
      resources: [queue.queueArn],
    }),
  );
  grantQueueKeyViaSqs(fn, queueKey);
}

/** Ingest sends a record that can never be stored to the dead-letter queue at once (ARCHITECTURE §1). */
export function grantSendDeadLetter(
  fn: lambda.IFunction,
  deadLetterQueue: sqs.IQueue,
  queueKey: kms.IKey,
): void {
  fn.addToRolePolicy(
    new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [deadLetterQueue.queueArn] }),
  );
  grantQueueKeyViaSqs(fn, queueKey);
}

/** Sealing only (GenerateDataKey), and only with the encryption context the code binds. */
export function grantSeal(fn: lambda.IFunction, piiKey: kms.IKey, envName: string): void {
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['kms:GenerateDataKey'],
      resources: [piiKey.keyArn],
      conditions: piiContextCondition(envName),
    }),
  );
}

/** Opening sealed records only (Decrypt), with the same encryption context the webhook seals with. */
export function grantOpen(fn: lambda.IFunction, piiKey: kms.IKey, envName: string): void {
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['kms:Decrypt'],
      resources: [piiKey.keyArn],
      conditions: piiContextCondition(envName),
    }),
  );
}

/** Secret ages for /admin/health: metadata only, never a value. */
export function grantDescribeSecrets(fn: lambda.IFunction, secretArns: readonly string[]): void {
  fn.addToRolePolicy(
    new iam.PolicyStatement({ actions: ['secretsmanager:DescribeSecret'], resources: [...secretArns] }),
  );
}

/** Queue depths for /admin/health: attributes only (no receive, so no KMS). */
export function grantQueueDepth(fn: lambda.IFunction, queues: readonly sqs.IQueue[]): void {
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['sqs:GetQueueAttributes'],
      resources: queues.map((q) => q.queueArn),
    }),
  );
}

/**
 * Metric sums for /admin/metrics and the queue's oldest-message age (read-only). GetMetricData has no
 * resource-level permissions: "*" is the only scope (the caller acknowledges cdk-nag's IAM5 for it).
 */
export function grantReadMetrics(fn: lambda.IFunction): void {
  fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['cloudwatch:GetMetricData'], resources: ['*'] }));
}

/** Invoke of the unqualified function only (`grantInvoke` would add `:*`, every version and alias). */
export function grantInvokeUnqualified(fn: lambda.IFunction, target: lambda.IFunction): void {
  fn.addToRolePolicy(
    new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [target.functionArn] }),
  );
}
