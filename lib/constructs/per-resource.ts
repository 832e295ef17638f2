// What infra code says about one specific resource: its pinned logical ID, the cdk-nag findings accepted on
// it, its removal policy.
import { CfnResource, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * Fixes the CloudFormation logical ID of a stateful resource so that moving it in the construct tree
 * never replaces it (STYLE: stateful resources keep pinned logical IDs; test/infra pins them).
 */
export function pinLogicalId(construct: IConstruct, logicalId: string): void {
  const cfn = CfnResource.isCfnResource(construct) ? construct : construct.node.defaultChild;
  if (!cfn || !CfnResource.isCfnResource(cfn)) {
    throw new Error(`pinLogicalId: ${construct.node.path} has no CloudFormation resource to pin`);
  }
  cfn.overrideLogicalId(logicalId);
}

/** A cdk-nag finding accepted on one construct, with the reason next to it. */
export function acknowledge(construct: IConstruct, id: string, reason: string): void {
  Validations.of(construct).acknowledge({ id, reason });
}

/** Config's lower-case removal policy names. */
export function removalPolicyOf(name: 'retain' | 'snapshot' | 'destroy'): RemovalPolicy {
  switch (name) {
    case 'retain':
      return RemovalPolicy.RETAIN;
    case 'snapshot':
      return RemovalPolicy.SNAPSHOT;
    case 'destroy':
      return RemovalPolicy.DESTROY;
  }
}
