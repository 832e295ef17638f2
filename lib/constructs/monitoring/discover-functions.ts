// Finds every Lambda function an app deploys, so that a new function gets error and throttle alarms without anyone remembering to add them.
import { CfnResource, Stack, Tokenization } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { IConstruct } from 'constructs';

/** A function to alarm on: `functionName` is a token or a literal, `label` a short stable name for alarm IDs. */
export interface MonitoredFunction {
  readonly label: string;
  readonly functionName: string;
}

/**
 * Every function under `scopes`, in construct-tree order:
 * - L2 functions (`lambda.Function` and subclasses such as `NodejsFunction`);
 * - raw `AWS::Lambda::Function` resources without an L2 (CDK's custom-resource providers);
 * - Secrets Manager hosted rotation functions, which the `AWS::SecretsManager-2020-07-23` transform creates
 *   at deploy time under the name given in the rotation schedule (they never appear as a resource).
 */
export function discoverFunctions(scopes: readonly IConstruct[]): MonitoredFunction[] {
  const found: MonitoredFunction[] = [];
  const covered = new Set<IConstruct>();
  for (const scope of scopes) {
    for (const node of scope.node.findAll()) {
      if (node instanceof lambda.Function) {
        covered.add(node.node.defaultChild as IConstruct);
        found.push({ label: labelOf(node), functionName: node.functionName });
      }
    }
  }
  for (const scope of scopes) {
    for (const node of scope.node.findAll()) {
      if (
        CfnResource.isCfnResource(node) &&
        node.cfnResourceType === 'AWS::Lambda::Function' &&
        !covered.has(node)
      ) {
        found.push({ label: labelOf(node), functionName: node.ref });
      }
      if (node instanceof secretsmanager.CfnRotationSchedule) {
        const hosted = node.hostedRotationLambda;
        const name = hosted && !Tokenization.isResolvable(hosted) ? hosted.rotationLambdaName : undefined;
        if (name) found.push({ label: labelOf(node), functionName: name });
      }
    }
  }
  // Labels become construct IDs: two providers of the same kind in two stacks must not collide.
  const seen = new Map<string, number>();
  return found.map((f) => {
    const n = (seen.get(f.label) ?? 0) + 1;
    seen.set(f.label, n);
    return n === 1 ? f : { ...f, label: `${f.label}${n}` };
  });
}

/** `<stack>/<path>` without the noise CDK adds (Resource, Default, Function, hashes), as alphanumerics. */
function labelOf(node: IConstruct): string {
  const stack = Stack.of(node);
  const parts = node.node.scopes
    .slice(node.node.scopes.indexOf(stack) + 1)
    .map((s) => s.node.id)
    .filter((id) => !['Resource', 'Default', 'Function', 'Handler'].includes(id));
  const label = parts.join('').replace(/[^A-Za-z0-9]/g, '');
  return label.length > 0 ? label : node.node.id.replace(/[^A-Za-z0-9]/g, '');
}
