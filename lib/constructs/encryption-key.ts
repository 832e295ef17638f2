// A customer managed KMS key with yearly rotation, an alias and a pinned logical ID.
import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import { pinLogicalId } from './per-resource.js';

export interface EncryptionKeyProps {
  /** Pinned CloudFormation logical ID (keys are stateful: replacing one loses every record it sealed). */
  readonly logicalId: string;
  /** Alias without the `alias/` prefix, e.g. `signalgate/dev/pii`. */
  readonly alias: string;
  readonly description: string;
  readonly removalPolicy: RemovalPolicy;
  /**
   * Restricts encrypt/decrypt to principals tagged `PII_ACCESS_TAG = value` (the roles of the
   * functions that seal and open records). The account keeps key administration through the default
   * root statement; an explicit Deny overrides any IAM policy that grants kms:Decrypt on `*`.
   * @default - usable by any principal the account's IAM policies allow
   */
  readonly cryptoOnlyForTag?: string;
}

/** Role tag that admits a principal to the PII key's cryptographic operations (value: the environment). */
export const PII_ACCESS_TAG = 'signalgate:pii-access';

/** The key's cryptographic operations: everything that turns ciphertext into plaintext or back. */
export const KMS_CRYPTO_ACTIONS = [
  'kms:Decrypt',
  'kms:Encrypt',
  'kms:GenerateDataKey*',
  'kms:ReEncrypt*',
] as const;

/** Symmetric CMK, automatic rotation on (ARCHITECTURE §4), 30-day deletion window. */
export function encryptionKey(scope: Construct, id: string, props: EncryptionKeyProps): kms.Key {
  const key = new kms.Key(scope, id, {
    alias: props.alias,
    description: props.description,
    enableKeyRotation: true,
    rotationPeriod: Duration.days(365),
    pendingWindow: Duration.days(30),
    removalPolicy: props.removalPolicy,
  });
  pinLogicalId(key, props.logicalId);
  // Grants are how AWS services (RDS, SQS, Secrets Manager) use a key on our behalf; nobody else needs to
  // create one, and a grant outlives any later key-policy change (Control Tower CT.KMS.PR.3).
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'CreateGrantOnlyForAwsResources',
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: ['kms:CreateGrant'],
      resources: ['*'],
      conditions: {
        BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' },
      },
    }),
  );
  if (props.cryptoOnlyForTag !== undefined) {
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CryptoOnlyForTaggedRoles',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: [...KMS_CRYPTO_ACTIONS],
        resources: ['*'],
        // A principal without the tag (or with another environment's value) is denied even with kms:Decrypt on *.
        conditions: { StringNotEquals: { [`aws:PrincipalTag/${PII_ACCESS_TAG}`]: props.cryptoOnlyForTag } },
      }),
    );
  }
  return key;
}
