// A VPC with isolated subnets only (no NAT, no internet gateway), the interface endpoints its Lambdas need, and flow logs.
import { Aws, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

export interface IsolatedNetworkProps {
  /** Explicit zones, so synth needs no lookup. */
  readonly availabilityZones: readonly string[];
  readonly cidr: string;
  /** Zones (the first N of availabilityZones) that get an endpoint ENI. @default every zone */
  readonly endpointZones?: number;
  readonly flowLogRetention: logs.RetentionDays;
  /** @default RemovalPolicy.RETAIN */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/**
 * AWS services the VPC Lambdas' own code calls: Secrets Manager (migration, admin), KMS (admin decrypt),
 * SQS (admin queue depth), CloudWatch monitoring (admin GetMetricData for /admin/metrics and the queue's
 * oldest-message age). No CloudWatch Logs endpoint: Lambda delivers function logs itself, outside the
 * function's network, and no code of ours calls the Logs API (the deploy rehearsal derives the needed
 * endpoints from the roles: test/infra/rehearsal/checks.ts).
 */
export const INTERFACE_ENDPOINTS = {
  SecretsManager: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
  Kms: ec2.InterfaceVpcEndpointAwsService.KMS,
  Sqs: ec2.InterfaceVpcEndpointAwsService.SQS,
  Monitoring: ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_MONITORING,
} as const;

/**
 * What each endpoint lets through besides this account's own resources: actions that have no
 * resource (IAM evaluates them against `*`) and that the VPC functions need. Secrets Manager's
 * GetRandomPassword is called by the database rotation function (AWS's single-user rotation);
 * CloudWatch's metric APIs never take a resource.
 */
export const RESOURCELESS_ACTIONS: Readonly<Record<keyof typeof INTERFACE_ENDPOINTS, readonly string[]>> = {
  SecretsManager: ['secretsmanager:GetRandomPassword'],
  Kms: [],
  Sqs: [],
  Monitoring: ['cloudwatch:GetMetricData', 'cloudwatch:GetMetricStatistics', 'cloudwatch:PutMetricData'],
};

/** The IAM service prefix and resource ARN service name of each endpoint. */
const ENDPOINT_SERVICE: Readonly<Record<keyof typeof INTERFACE_ENDPOINTS, string>> = {
  SecretsManager: 'secretsmanager',
  Kms: 'kms',
  Sqs: 'sqs',
  Monitoring: 'cloudwatch',
};

export class IsolatedNetwork extends Construct {
  readonly vpc: ec2.Vpc;
  /** Security group of every interface endpoint: HTTPS from inside the VPC only. */
  readonly endpointSecurityGroup: ec2.SecurityGroup;
  readonly endpoints: Readonly<Record<keyof typeof INTERFACE_ENDPOINTS, ec2.InterfaceVpcEndpoint>>;
  readonly flowLogGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: IsolatedNetworkProps) {
    super(scope, id);
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr(props.cidr),
      availabilityZones: [...props.availabilityZones],
      natGateways: 0,
      createInternetGateway: false,
      subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 22 }],
      restrictDefaultSecurityGroup: true,
    });

    for (const subnet of this.vpc.isolatedSubnets) {
      Validations.of(subnet).acknowledge({
        id: 'CloudFormation-Validate::W3010',
        reason:
          'Zones come from the environment config on purpose: synth must work offline, without an AZ lookup.',
      });
    }

    this.flowLogGroup = new logs.LogGroup(this, 'FlowLogs', {
      retention: props.flowLogRetention,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN,
    });
    this.vpc.addFlowLog('FlowLog', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(this.flowLogGroup),
      trafficType: ec2.FlowLogTrafficType.ALL,
    });

    this.endpointSecurityGroup = new ec2.SecurityGroup(this, 'EndpointSecurityGroup', {
      vpc: this.vpc,
      description: 'Interface VPC endpoints: HTTPS from inside the VPC',
      allowAllOutbound: false,
    });
    this.endpointSecurityGroup.addIngressRule(
      // The literal CIDR rather than the VPC's token, so the rule is checkable at synth (cdk-nag EC23).
      ec2.Peer.ipv4(props.cidr),
      ec2.Port.tcp(443),
      'HTTPS from the VPC',
    );

    const endpoints: Partial<Record<keyof typeof INTERFACE_ENDPOINTS, ec2.InterfaceVpcEndpoint>> = {};
    for (const [name, service] of Object.entries(INTERFACE_ENDPOINTS) as [
      keyof typeof INTERFACE_ENDPOINTS,
      ec2.InterfaceVpcEndpointAwsService,
    ][]) {
      endpoints[name] = this.vpc.addInterfaceEndpoint(name, {
        service,
        privateDnsEnabled: true,
        subnets: {
          subnetType: ec2.SubnetType.PRIVATE_ISOLATED,
          availabilityZones: props.availabilityZones.slice(
            0,
            props.endpointZones ?? props.availabilityZones.length,
          ),
        },
        securityGroups: [this.endpointSecurityGroup],
        open: false,
      });
      // Endpoint policy (replaces the default full access): only this account's principals, and only
      // on this account's resources, so a stolen credential of another account, or data sent to
      // another account's queue or secret, cannot leave through our endpoints.
      const prefix = ENDPOINT_SERVICE[name];
      const endpoint = endpoints[name];
      const inAccount = { StringEquals: { 'aws:PrincipalAccount': Aws.ACCOUNT_ID } };
      endpoint.addToPolicy(
        new iam.PolicyStatement({
          sid: 'OwnAccountResources',
          principals: [new iam.AnyPrincipal()],
          actions: [`${prefix}:*`],
          resources: [`arn:${Aws.PARTITION}:${prefix}:${Aws.REGION}:${Aws.ACCOUNT_ID}:*`],
          conditions: inAccount,
        }),
      );
      if (RESOURCELESS_ACTIONS[name].length > 0) {
        endpoint.addToPolicy(
          new iam.PolicyStatement({
            sid: 'ResourcelessActions',
            principals: [new iam.AnyPrincipal()],
            actions: [...RESOURCELESS_ACTIONS[name]],
            resources: ['*'],
            conditions: inAccount,
          }),
        );
      }
    }
    this.endpoints = endpoints as Record<keyof typeof INTERFACE_ENDPOINTS, ec2.InterfaceVpcEndpoint>;
  }
}
