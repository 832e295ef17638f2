// One Lambda function with the project's safe defaults: local esbuild bundle, arm64, Node 24, own log group, own role.
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { LAMBDA_NODE_OPTIONS } from '../../lambda/shared/names.js';
import { LOCK_FILE, REPO_ROOT } from '../paths.js';
import { acknowledge } from './per-resource.js';

export interface HardenedFunctionProps {
  /** Absolute path of the TypeScript entry file; it must export `handler`. */
  readonly entry: string;
  /** What the function does, shown in the console. */
  readonly description: string;
  /**
   * Environment variables. Merged over the defaults (`NODE_OPTIONS=--enable-source-maps`); values are
   * identifiers and ARNs only, never a secret value.
   * @default - only the defaults
   */
  readonly environment?: Readonly<Record<string, string>>;
  /** Retention of the function's own log group. */
  readonly logRetention: logs.RetentionDays;
  /**
   * What happens to the log group when the function is removed.
   * @default RemovalPolicy.RETAIN
   */
  readonly logRemovalPolicy?: RemovalPolicy;
  /** @default Duration.seconds(10) */
  readonly timeout?: Duration;
  /** @default 256 */
  readonly memorySize?: number;
  /**
   * VPC to run in (isolated subnets). Leave unset for functions that must stay out of the VPC.
   * @default - not in a VPC
   */
  readonly vpc?: ec2.IVpc;
  /** @default - the VPC's isolated subnets */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /** Required with `vpc`: the function's security groups (egress rules are the caller's). */
  readonly securityGroups?: ec2.ISecurityGroup[];
  /**
   * Reserved concurrency, where it protects a downstream resource such as the database.
   * @default - unreserved
   */
  readonly reservedConcurrentExecutions?: number;
  /**
   * Use the AWS SDK v3 that the nodejs24.x runtime ships instead of bundling it. Trades version
   * pinning for a bundle about half the size; meant for the internet-facing hot path only.
   * @default false (the SDK clients are bundled, pinned by the lock file)
   */
  readonly useRuntimeAwsSdk?: boolean;
  /**
   * Fixed name of the execution role, for a role that a policy in another stack names by ARN. IAM names are
   * global to the account: the caller makes it unique (environment, region).
   * @default - a name CloudFormation generates
   */
  readonly roleName?: string;
}

/** Node 24 / arm64 `NodejsFunction` bundled locally by esbuild, with a least-privilege role of its own. */
export class HardenedFunction extends Construct {
  readonly function: nodejs.NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: HardenedFunctionProps) {
    super(scope, id);
    const problems: string[] = [];
    if (props.vpc && (!props.securityGroups || props.securityGroups.length === 0)) {
      problems.push('securityGroups: required when vpc is set (no default security group with open egress)');
    }
    if (!props.vpc && (props.securityGroups || props.vpcSubnets)) {
      problems.push('securityGroups/vpcSubnets: only valid with vpc');
    }
    if (props.memorySize !== undefined && (props.memorySize < 128 || props.memorySize > 10240)) {
      problems.push('memorySize: must be 128-10240 MB');
    }
    if (problems.length > 0) {
      throw new Error(`HardenedFunction ${this.node.path}:\n  - ${problems.join('\n  - ')}`);
    }

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN,
    });

    // Own role instead of the AWS managed execution policies: logs only to its own group.
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      roleName: props.roleName,
      description: `Execution role of ${props.description}`,
      inlinePolicies: {
        Logs: new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({
              actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
              resources: [this.logGroup.logGroupArn],
            }),
          ],
        }),
        ...(props.vpc
          ? {
              Vpc: new iam.PolicyDocument({
                statements: [
                  new iam.PolicyStatement({
                    // What AWSLambdaVPCAccessExecutionRole grants; EC2 does not scope these by resource.
                    actions: [
                      'ec2:CreateNetworkInterface',
                      'ec2:DescribeNetworkInterfaces',
                      'ec2:DescribeSubnets',
                      'ec2:DeleteNetworkInterface',
                      'ec2:AssignPrivateIpAddresses',
                      'ec2:UnassignPrivateIpAddresses',
                    ],
                    resources: ['*'],
                  }),
                ],
              }),
            }
          : {}),
      },
    });
    if (props.vpc) {
      acknowledge(
        this.role,
        'AwsSolutions-IAM5[Resource::*]',
        'Lambda VPC networking: ec2:CreateNetworkInterface/Describe*/DeleteNetworkInterface have no resource-level scoping usable by the Lambda service (same as AWSLambdaVPCAccessExecutionRole).',
      );
    }

    this.function = new nodejs.NodejsFunction(this, 'Function', {
      entry: props.entry,
      handler: 'handler',
      description: props.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? Duration.seconds(10),
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      systemLogLevelV2: lambda.SystemLogLevel.WARN,
      tracing: lambda.Tracing.ACTIVE,
      vpc: props.vpc,
      vpcSubnets: props.vpc
        ? (props.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_ISOLATED })
        : undefined,
      securityGroups: props.securityGroups,
      allowPublicSubnet: false,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      projectRoot: REPO_ROOT,
      depsLockFilePath: LOCK_FILE,
      environment: { NODE_OPTIONS: LAMBDA_NODE_OPTIONS, ...props.environment },
      awsSdkConnectionReuse: false,
      bundling: {
        // Never Docker (ARCHITECTURE §9): esbuild is a local dev dependency.
        forceDockerBundling: false,
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        target: 'node24',
        format: nodejs.OutputFormat.CJS,
        // Bundle the SDK v3 clients we use (pinned by the lock file) instead of trusting the runtime's copy.
        bundleAwsSDK: !props.useRuntimeAwsSdk,
        // pg's optional native binding and Cloudflare socket shim are never used on Lambda.
        externalModules: [
          ...(props.useRuntimeAwsSdk ? ['@aws-sdk/*'] : []),
          'pg-native',
          'cloudflare:sockets',
        ],
      },
    });
    // X-Ray's PutTraceSegments/PutTelemetryRecords (added by `tracing`) support no resource scoping.
    const defaultPolicy = this.role.node.tryFindChild('DefaultPolicy');
    if (defaultPolicy) {
      acknowledge(
        defaultPolicy,
        'AwsSolutions-IAM5[Resource::*]',
        'Active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords do not support resource-level permissions; every other statement of this policy is scoped (checked by test/infra).',
      );
    }
  }

  /** Adds an environment variable after construction (e.g. a value only known once other resources exist). */
  addEnvironment(name: string, value: string): void {
    this.function.addEnvironment(name, value);
  }
}
