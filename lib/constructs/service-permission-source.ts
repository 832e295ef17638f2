// Every Lambda permission granted to an AWS service names our account as the source (aws:SourceAccount).
// A service principal alone lets that service invoke the function on behalf of any account that points a
// resource at it (the confused-deputy problem); CDK leaves SourceAccount unset for API Gateway, Secrets
// Manager rotation and EventBridge targets. Applied as an aspect so a new integration cannot forget it.
import { type IAspect, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { IConstruct } from 'constructs';

export class ServicePermissionSourceAccount implements IAspect {
  visit(node: IConstruct): void {
    if (!(node instanceof lambda.CfnPermission)) return;
    if (typeof node.principal !== 'string' || !node.principal.endsWith('.amazonaws.com')) return;
    if (node.sourceAccount === undefined) node.sourceAccount = Stack.of(node).account;
  }
}
