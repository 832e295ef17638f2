// Network stack: the isolated VPC every in-VPC function and the database live in.
import { Stack, type StackProps } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type { Construct } from 'constructs';
import type { EnvConfig } from '../config/index.js';
import { IsolatedNetwork } from '../constructs/isolated-network.js';
import { removalPolicyOf } from '../constructs/per-resource.js';

export interface NetworkStackProps extends StackProps {
  readonly config: EnvConfig;
}

export class NetworkStack extends Stack {
  readonly network: IsolatedNetwork;
  readonly vpc: ec2.IVpc;
  private readonly configuredZones: string[];

  constructor(scope: Construct, id: string, props: NetworkStackProps) {
    super(scope, id, props);
    const { config } = props;
    this.configuredZones = [...config.availabilityZones];
    this.network = new IsolatedNetwork(this, 'Network', {
      availabilityZones: config.availabilityZones,
      cidr: config.vpcCidr,
      endpointZones: config.vpcEndpointZones,
      flowLogRetention: config.logRetentionDays,
      logRemovalPolicy: removalPolicyOf(config.removalPolicies.logs),
    });
    this.vpc = this.network.vpc;
  }

  /** The configured zones: an environment-bound stack would otherwise look them up (needs AWS at synth). */
  override get availabilityZones(): string[] {
    return this.configuredZones ?? super.availabilityZones;
  }
}
