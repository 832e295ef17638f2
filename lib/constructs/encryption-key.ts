// A customer managed KMS key with yearly rotation, an alias and a pinned logical ID.
import { Aws, Duration, type RemovalPolicy } from 'aws-cdk-lib';
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
   * The only principals that may use the key (KMS_USE_ACTIONS): the named IAM roles of this account, which must
   * also carry `PII_ACCESS_TAG = tagValue`. The account keeps key administration through the default root
   * statement; an explicit Deny overrides any IAM policy that grants kms:Decrypt on `*`.
   * @default - usable by any principal the account's IAM policies allow
   */
  readonly usableOnlyBy?: KeyUsers;
}

/** The roles admitted to a key's use (EncryptionKeyProps.usableOnlyBy). */
export interface KeyUsers {
  /** Role names (no path) in the key's account; they need not exist yet (the policy only compares ARNs). */
  readonly roleNames: readonly string[];
  /** Value of PII_ACCESS_TAG on those roles (the environment). */
  readonly tagValue: string;
}

/** Role tag every key user carries as well (value: the environment); on its own it admits nobody. */
export const PII_ACCESS_TAG = 'signalgate:pii-access';

/** The key's cryptographic operations: everything that turns ciphertext into plaintext or back. */
export const KMS_CRYPTO_ACTIONS = [
  'kms:Decrypt',
  'kms:Encrypt',
  'kms:GenerateDataKey*',
  'kms:ReEncrypt*',
] as const;

/**
 * What a key restricted to its users denies everyone else: the cryptographic operations, and CreateGrant, which
 * hands them to a grantee (no AWS service needs a grant on such a key: only our functions call KMS with it).
 */
export const KMS_USE_ACTIONS = [...KMS_CRYPTO_ACTIONS, 'kms:CreateGrant'] as const;

/** IAM's role name rule (letters, digits, `+=,.@_-`; 1-64 characters). */
const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;

/** Symmetric CMK, automatic rotation on (ARCHITECTURE §4), 30-day deletion window. */
export function encryptionKey(scope: Construct, id: string, props: EncryptionKeyProps): kms.Key {
  if (props.usableOnlyBy) {
    const problems = [
      ...(props.usableOnlyBy.roleNames.length === 0 ? ['usableOnlyBy.roleNames: at least one role'] : []),
      ...props.usableOnlyBy.roleNames
        .filter((name) => !ROLE_NAME.test(name))
        .map((name) => `usableOnlyBy.roleNames: "${name}" is not an IAM role name`),
      ...(props.usableOnlyBy.tagValue === '' ? ['usableOnlyBy.tagValue: must not be empty'] : []),
    ];
    if (problems.length > 0) throw new Error(`encryptionKey ${id}:\n  - ${problems.join('\n  - ')}`);
  }
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
  if (props.usableOnlyBy) restrictUse(key, props.usableOnlyBy);
  return key;
}

/**
 * Two Denies, each on its own (a principal is denied unless both its role ARN and its tag match):
 * - by role ARN, the control: aws:PrincipalArn of a role session is the role's ARN, set by STS, never by the caller
 *   (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn).
 *   A condition, not a Principal element: KMS refuses a key policy whose principals do not exist yet
 *   (https://docs.aws.amazon.com/kms/latest/APIReference/API_PutKeyPolicy.html), and the roles are created after
 *   this key, in another stack. Compared as a string, the ARN still names the role when a deploy replaces it,
 *   which a Principal (bound to the role's unique id) would not.
 * - by tag, which alone admits nobody: session tags (AssumeRole, GetFederationToken) override a role's own tags
 *   (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_session-tags.html). Kept: untagging a role cuts it off
 *   without a deploy, and the tag lets the renamed roles work under the older tag-only policy while an upgrade
 *   deploys the api stack first (docs/DEPLOY.md).
 */
function restrictUse(key: kms.Key, users: KeyUsers): void {
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'UseOnlyByNamedRoles',
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: [...KMS_USE_ACTIONS],
      resources: ['*'],
      // A negated operator with several values denies a principal matching none of them; an anonymous request
      // has no aws:PrincipalArn and is denied too.
      conditions: {
        ArnNotEquals: {
          'aws:PrincipalArn': users.roleNames.map(
            (name) => `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:role/${name}`,
          ),
        },
      },
    }),
  );
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'UseOnlyByTaggedRoles',
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: [...KMS_USE_ACTIONS],
      resources: ['*'],
      conditions: { StringNotEquals: { [`aws:PrincipalTag/${PII_ACCESS_TAG}`]: users.tagValue } },
    }),
  );
}
