// Builds every stack of one environment into an app or stage; bin/ and the infra tests share it.
import type { Stage } from 'aws-cdk-lib';
import { Aspects, Tags } from 'aws-cdk-lib';
import type { EnvConfig } from './config/index.js';
import { ServicePermissionSourceAccount } from './constructs/service-permission-source.js';
import { acknowledgeGuardFindings } from './guard-acknowledgements.js';
import { type StackPart, stackName } from './stack-names.js';
import { ApiStack, type ApiStackProps } from './stacks/api-stack.js';
import { DataStack } from './stacks/data-stack.js';
import { MonitoringStack } from './stacks/monitoring-stack.js';
import { NetworkStack } from './stacks/network-stack.js';

export interface SignalgateStacks {
  readonly network: NetworkStack;
  readonly data: DataStack;
  readonly api: ApiStack;
  readonly monitoring: MonitoringStack;
}

export interface BuildOptions {
  /** Forces the migration trigger to run on this deploy. @default - runs when its bundle changes */
  readonly migrationRunToken?: string;
  /** Entry overrides (tests). @default the lambda/ entries */
  readonly entries?: ApiStackProps['entries'] & { readonly migrate?: string };
}

/** Stack names are `signalgate-<env>-<part>`; deploy them all with `cdk deploy -c env=<env> --all`. */
export function buildSignalgate(
  scope: Stage,
  config: EnvConfig,
  options: BuildOptions = {},
): SignalgateStacks {
  const env = { account: config.account, region: config.region };
  const name = (part: StackPart) => stackName(config.envName, part);
  const common = { env, terminationProtection: config.database.deletionProtection };

  const network = new NetworkStack(scope, name('network'), {
    ...common,
    config,
    description: `Signalgate ${config.envName}: isolated VPC, endpoints, flow logs`,
  });
  const data = new DataStack(scope, name('data'), {
    ...common,
    config,
    vpc: network.vpc,
    migrationRunToken: options.migrationRunToken,
    migrationEntry: options.entries?.migrate,
    description: `Signalgate ${config.envName}: KMS keys, Postgres, RDS Proxy, migrations`,
  });
  const api = new ApiStack(scope, name('api'), {
    ...common,
    config,
    vpc: network.vpc,
    database: data.database,
    piiKey: data.piiKey,
    entries: options.entries,
    description: `Signalgate ${config.envName}: WAF, API Gateway, webhook, ingest, admin, retention and rotation functions, queue, secrets`,
  });
  const monitoring = new MonitoringStack(scope, name('monitoring'), {
    ...common,
    config,
    monitored: { api, data, stacks: [network, data, api] },
    description: `Signalgate ${config.envName}: on-call topic, alarms, dashboard`,
  });
  for (const stack of [network, data, api, monitoring]) {
    Tags.of(stack).add('project', 'signalgate');
    Tags.of(stack).add('environment', config.envName);
    Aspects.of(stack).add(new ServicePermissionSourceAccount());
  }
  const stacks = { network, data, api, monitoring };
  acknowledgeGuardFindings(stacks, config);
  return stacks;
}
