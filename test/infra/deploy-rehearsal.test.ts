// The deploy rehearsal (ARCHITECTURE §7): every environment synthesized as `cdk synth` does it, with
// CloudFormation's schema validation as errors and AWS Control Tower's guard rules, then the semantic checks
// of what AWS does at deploy and run time. Each check has mutation tests: a copy of dev's templates with one
// grant, route or dependency removed must make it fail (so a check that cannot fail is caught here).
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { EnvName } from '../../lib/config/index.js';
import { GUARD_REASONS } from '../../lib/guard-acknowledgements.js';
import { ENVS, REPO_ROOT } from './helpers/synth-env.js';
import { type AppTemplates, asArray, type CfnResource, type Json } from './rehearsal/cfn-model.js';
import { checkDeployOrder, checkIntegrations, checkReachability } from './rehearsal/checks.js';
import { mutated, type Rehearsal, rehearse } from './rehearsal/synth-rehearsal.js';

const SYNTH_TIMEOUT_MS = 240_000;

const rehearsals = new Map<EnvName, Rehearsal>();
function rehearsalOf(env: EnvName): Rehearsal {
  let r = rehearsals.get(env);
  if (!r) {
    r = rehearse(env);
    rehearsals.set(env, r);
  }
  return r;
}

describe.each(ENVS)('deploy rehearsal (%s)', (env) => {
  it(
    'synthesizes with no CloudFormation validation error and no unacknowledged Control Tower finding',
    () => {
      const { synthError, plugins } = rehearsalOf(env);
      expect(synthError).toBeUndefined();
      expect(plugins.map((p) => p.plugin).sort()).toEqual([
        'CloudFormation Validate',
        'cdk-validator-cfnguard',
      ]);
      for (const plugin of plugins) {
        expect(plugin.violations, plugin.plugin).toEqual([]);
        expect(plugin.conclusion, plugin.plugin).toBe('success');
      }
      const guard = plugins.find((p) => p.plugin === 'cdk-validator-cfnguard');
      console.info(`[figures] ${env} guard findings acknowledged: ${JSON.stringify(guard?.acknowledged)}`);
    },
    SYNTH_TIMEOUT_MS,
  );

  it(
    '(a) every VPC function reaches each AWS service its role may call, and the database path exists',
    () => {
      expect(checkReachability(rehearsalOf(env).app)).toEqual([]);
    },
    SYNTH_TIMEOUT_MS,
  );

  it(
    '(b) every service-to-service integration is allowed by the resource policies AWS evaluates',
    () => {
      expect(checkIntegrations(rehearsalOf(env).app)).toEqual([]);
    },
    SYNTH_TIMEOUT_MS,
  );

  it(
    '(c) deploys in an order that works: migration before rotations, nothing rotates a placeholder',
    () => {
      expect(checkDeployOrder(rehearsalOf(env).app)).toEqual([]);
    },
    SYNTH_TIMEOUT_MS,
  );
});

// --- Mutations: an environment's templates, each with one thing AWS needs removed -----------------------------
// dev logs in to the instance directly (no RDS Proxy, lib/config/dev.ts); staging keeps the proxy, so the proxy
// path's mutations run on staging's templates.

/** The environment whose templates a mutation breaks (the one that has what it removes). */
let mutating: EnvName = 'dev';
const stack = (part: string) => `signalgate-${mutating}-${part}`;

/** The one resource of `type` in `part` whose logical ID starts with `prefix` (IDs carry CDK hashes). */
function find(app: AppTemplates, part: string, type: string, prefix: string): [string, CfnResource] {
  const found = Object.entries(app.stacks[stack(part)]?.Resources ?? {}).filter(
    ([id, r]) => r.Type === type && id.startsWith(prefix),
  );
  expect(
    found.map(([id]) => id),
    `${type} ${prefix}*`,
  ).toHaveLength(1);
  return found[0] as [string, CfnResource];
}

const statements = (r: CfnResource, path: 'PolicyDocument' | 'KeyPolicy'): Json[] =>
  r.Properties[path].Statement;

interface Mutation {
  readonly name: string;
  /** @default 'dev' */
  readonly env?: EnvName;
  readonly mutate: (app: AppTemplates) => void;
  /** A fragment of the problem the check must report. */
  readonly expected: string;
}

const reachabilityMutations: Mutation[] = [
  {
    name: 'the proxy clients lose 443 egress to the endpoints (the admin timeout of issue 11)',
    env: 'staging',
    mutate: (app) => {
      const [, sg] = find(app, 'data', 'AWS::EC2::SecurityGroup', 'DatabaseProxyClientSecurityGroup');
      sg.Properties.SecurityGroupEgress = asArray(sg.Properties.SecurityGroupEgress).filter(
        (r: Json) => r.FromPort !== 443,
      );
    },
    expected: 'AdminFunction6887E710: may call secretsmanager but cannot reach',
  },
  {
    name: 'the direct database clients lose 443 egress to the endpoints',
    mutate: (app) => {
      const [, sg] = find(app, 'data', 'AWS::EC2::SecurityGroup', 'DatabaseClientSecurityGroup');
      sg.Properties.SecurityGroupEgress = asArray(sg.Properties.SecurityGroupEgress).filter(
        (r: Json) => r.FromPort !== 443,
      );
    },
    expected: 'AdminFunction6887E710: may call secretsmanager but cannot reach',
  },
  {
    name: 'the endpoint security group stops admitting HTTPS',
    mutate: (app) => {
      const [, sg] = find(app, 'network', 'AWS::EC2::SecurityGroup', 'NetworkEndpointSecurityGroup');
      sg.Properties.SecurityGroupIngress = [];
    },
    expected: 'may call kms but cannot reach',
  },
  {
    name: 'the KMS endpoint loses private DNS',
    mutate: (app) => {
      find(app, 'network', 'AWS::EC2::VPCEndpoint', 'NetworkVpcKms')[1].Properties.PrivateDnsEnabled = false;
    },
    expected: 'AdminFunction6887E710: may call kms but cannot reach',
  },
  {
    name: 'the CloudWatch monitoring endpoint is removed',
    mutate: (app) => {
      const [id] = find(app, 'network', 'AWS::EC2::VPCEndpoint', 'NetworkVpcMonitoring');
      delete app.stacks[stack('network')]?.Resources[id];
    },
    expected: 'may call cloudwatch but the VPC has no com.amazonaws.eu-west-1.monitoring interface endpoint',
  },
  {
    name: 'the proxy stops admitting its clients',
    env: 'staging',
    mutate: (app) => {
      const [id] = find(app, 'data', 'AWS::EC2::SecurityGroupIngress', 'DatabaseProxySecurityGroupfrom');
      delete app.stacks[stack('data')]?.Resources[id];
    },
    expected: 'IngestFunctionB02ED0EB: has rds-db:connect but cannot reach RDS Proxy',
  },
  {
    name: 'the instance stops admitting the proxy',
    env: 'staging',
    mutate: (app) => {
      const [id] = find(
        app,
        'data',
        'AWS::EC2::SecurityGroupIngress',
        'DatabaseInstanceSecurityGroupfromsignalgatestagingdataDatabaseProxySecurityGroup',
      );
      delete app.stacks[stack('data')]?.Resources[id];
    },
    expected: 'DatabaseProxy: cannot reach its target instance',
  },
  {
    name: 'the instance stops admitting the functions that log in to it directly',
    mutate: (app) => {
      const [id] = find(
        app,
        'data',
        'AWS::EC2::SecurityGroupIngress',
        'DatabaseInstanceSecurityGroupfromsignalgatedevdataDatabaseClientSecurityGroup',
      );
      delete app.stacks[stack('data')]?.Resources[id];
    },
    expected:
      'IngestFunctionB02ED0EB: has rds-db:connect to signalgate-dev-data/Database but cannot reach it on 5432',
  },
  {
    name: "ingest's rds-db:connect names the instance by its identifier instead of its DbiResourceId",
    mutate: (app) => {
      // The API stack reads the instance's DbiResourceId from a data stack output: make it the instance's Ref.
      const data = app.stacks[stack('data')] as { Outputs: Record<string, Json> };
      const outputs = Object.values(data.Outputs).filter(
        (o) => o.Value?.['Fn::GetAtt']?.[1] === 'DbiResourceId',
      );
      expect(outputs.length).toBeGreaterThan(0);
      for (const output of outputs) output.Value = { Ref: 'Database' };
    },
    expected: 'its rds-db:connect names signalgate-dev-data/Database by Ref, not its DbiResourceId',
  },
  {
    name: 'the instance no longer accepts IAM authentication (direct login)',
    mutate: (app) => {
      find(app, 'data', 'AWS::RDS::DBInstance', 'Database')[1].Properties.EnableIAMDatabaseAuthentication =
        false;
    },
    expected:
      'IngestFunctionB02ED0EB: logs in to signalgate-dev-data/Database with IAM, which does not enable IAM database authentication',
  },
  {
    name: 'the migration loses its egress to the instance',
    mutate: (app) => {
      const [id] = find(app, 'data', 'AWS::EC2::SecurityGroupEgress', 'DatabaseDirectClientSecurityGroupto');
      delete app.stacks[stack('data')]?.Resources[id];
    },
    expected: 'MigrationFunctionC04042BC: is configured with the instance endpoint but cannot reach it',
  },
];

const integrationMutations: Mutation[] = [
  {
    name: 'the topic policy no longer names CloudWatch (the silent alarms of issue 11)',
    mutate: (app) => {
      const [, policy] = find(app, 'monitoring', 'AWS::SNS::TopicPolicy', 'OnCallTopicPolicy');
      policy.Properties.PolicyDocument.Statement = statements(policy, 'PolicyDocument').filter(
        (s) => s.Principal?.Service !== 'cloudwatch.amazonaws.com',
      );
    },
    expected: 'the topic policy does not let cloudwatch.amazonaws.com publish',
  },
  {
    name: "the topic key's policy no longer names CloudWatch",
    mutate: (app) => {
      const [, key] = find(app, 'monitoring', 'AWS::KMS::Key', 'OnCallTopicKey');
      key.Properties.KeyPolicy.Statement = statements(key, 'KeyPolicy').filter(
        (s) => !asArray(s.Principal?.Service).includes('cloudwatch.amazonaws.com'),
      );
    },
    expected: "the topic's key policy does not allow cloudwatch.amazonaws.com kms:GenerateDataKey",
  },
  {
    name: 'the topic policy no longer names EventBridge',
    mutate: (app) => {
      const [, policy] = find(app, 'monitoring', 'AWS::SNS::TopicPolicy', 'OnCallTopicPolicy');
      policy.Properties.PolicyDocument.Statement = statements(policy, 'PolicyDocument').filter(
        (s) => s.Principal?.Service !== 'events.amazonaws.com',
      );
    },
    expected: 'the topic policy does not let events.amazonaws.com publish',
  },
  {
    // Both the POST and the ANY method's permissions: the ANY one (…/*/webhooks/twilio/messages) alone
    // already lets API Gateway invoke for POST, as AWS matches the source ARN with wildcards.
    name: "API Gateway's permissions for the messages webhook are removed",
    mutate: (app) => {
      const resources = app.stacks[stack('api')]?.Resources as Record<string, CfnResource>;
      const ids = Object.keys(resources).filter(
        (id) =>
          resources[id]?.Type === 'AWS::Lambda::Permission' && id.startsWith('Apiwebhookstwiliomessages'),
      );
      expect(ids).toHaveLength(2);
      for (const id of ids) delete resources[id];
    },
    expected:
      'API Gateway may not invoke signalgate-dev-api/WebhookFunction6FF7199F for POST /webhooks/twilio/messages',
  },
  {
    name: "the ingest role loses sqs:ReceiveMessage (the event source's poller)",
    mutate: (app) => {
      const [, policy] = find(app, 'api', 'AWS::IAM::Policy', 'IngestRoleDefaultPolicy');
      for (const s of statements(policy, 'PolicyDocument')) {
        s.Action = asArray(s.Action).filter((a) => a !== 'sqs:ReceiveMessage');
      }
    },
    expected: 'lacks sqs:ReceiveMessage',
  },
  {
    name: "Secrets Manager's invoke permission loses SourceAccount",
    mutate: (app) => {
      const [, permission] = find(app, 'api', 'AWS::Lambda::Permission', 'RotateAdminTokenFunctionInvoke');
      delete permission.Properties.SourceAccount;
    },
    expected: 'has no SourceAccount/SourceArn',
  },
  {
    name: 'the proxy role may no longer log in as the admin role',
    env: 'staging',
    mutate: (app) => {
      const [, policy] = find(app, 'data', 'AWS::IAM::Policy', 'DatabaseProxyIAMRoleDefaultPolicy');
      for (const s of statements(policy, 'PolicyDocument')) {
        s.Resource = asArray(s.Resource).filter((r) => !JSON.stringify(r).includes('/signalgate_admin_api'));
      }
    },
    expected: 'may not rds-db:connect to signalgate-staging-data/Database as signalgate_admin_api',
  },
  {
    name: 'the instance no longer accepts IAM authentication (through the proxy)',
    env: 'staging',
    mutate: (app) => {
      find(app, 'data', 'AWS::RDS::DBInstance', 'Database')[1].Properties.EnableIAMDatabaseAuthentication =
        false;
    },
    expected: 'which does not enable IAM database authentication',
  },
  {
    name: "WAF's log group loses the aws-waf-logs- prefix",
    // dev has no web ACL (lib/config/dev.ts).
    env: 'staging',
    mutate: (app) => {
      find(app, 'api', 'AWS::Logs::LogGroup', 'WebAclLogs')[1].Properties.LogGroupName =
        'signalgate-staging-waf';
    },
    expected: 'WAF logs to a log group not named aws-waf-logs-',
  },
];

const deployOrderMutations: Mutation[] = [
  {
    name: 'a rotation schedule on a Twilio secret (it would rotate the generated placeholder at creation)',
    mutate: (app) => {
      const [, secret] = find(app, 'api', 'AWS::SecretsManager::Secret', 'TwilioAuthToken');
      // The first value as a template literal, as before issue 11, with a schedule on it.
      delete secret.Properties.GenerateSecretString;
      secret.Properties.SecretString =
        '{"accountSid":"AC00bbd43b1bb444751cd45ce0288620a1","authToken":"REPLACE_ME"}';
      const resources = app.stacks[stack('api')]?.Resources as Record<string, CfnResource>;
      resources.TwilioRotation = {
        Type: 'AWS::SecretsManager::RotationSchedule',
        Properties: {
          SecretId: { Ref: find(app, 'api', 'AWS::SecretsManager::Secret', 'TwilioAuthToken')[0] },
          RotationLambdaARN: {
            'Fn::GetAtt': [find(app, 'api', 'AWS::Lambda::Function', 'RotateTwilioToken')[0], 'Arn'],
          },
          RotationRules: { ScheduleExpression: 'rate(90 days)' },
        },
      };
    },
    expected:
      'TwilioRotation: rotates signalgate-dev-api/TwilioAuthTokenAC00bbd43b1bb444751cd45ce0288620a1 at creation',
  },
  {
    name: 'a hosted database rotation that does not wait for the migration (the race of issue 11)',
    mutate: (app) => {
      const resources = app.stacks[stack('data')]?.Resources as Record<string, CfnResource>;
      resources.AppSecret = {
        Type: 'AWS::SecretsManager::Secret',
        Properties: {
          GenerateSecretString: { SecretStringTemplate: '{"username":"app"}', GenerateStringKey: 'password' },
        },
      };
      resources.AppRotation = {
        Type: 'AWS::SecretsManager::RotationSchedule',
        Properties: {
          SecretId: { Ref: 'AppSecret' },
          HostedRotationLambda: { RotationType: 'PostgreSQLSingleUser' },
          RotationRules: { ScheduleExpression: 'rate(30 days)' },
        },
      };
    },
    expected: 'AppRotation: a database rotation that can run before the migration',
  },
  {
    name: 'the migration trigger no longer waits for the instance',
    mutate: (app) => {
      const [, trigger] = find(app, 'data', 'Custom::Trigger', 'MigrationTrigger');
      trigger.DependsOn = asArray(trigger.DependsOn).filter((d) => d !== 'Database');
    },
    expected: 'the migration can run before the database exists',
  },
  {
    name: 'the API stack no longer deploys after the data stack',
    mutate: (app) => {
      (app.dependencies as Record<string, string[]>)[stack('api')] = [stack('network')];
    },
    expected: 'signalgate-dev-api: logs in to the database but can deploy before the migration',
  },
];

describe.each([
  ['(a) reachability', checkReachability, reachabilityMutations],
  ['(b) integrations', checkIntegrations, integrationMutations],
  ['(c) deploy order', checkDeployOrder, deployOrderMutations],
] as const)('mutations of dev caught by %s', (label, check, mutations) => {
  it.each(mutations.map((m) => [`${m.name} (${m.env ?? 'dev'})`, m] as const))(
    'fails when %s',
    (_name, mutation) => {
      mutating = mutation.env ?? 'dev';
      const problems = check(mutated(rehearsalOf(mutating).app, mutation.mutate));
      expect(problems.join('\n')).toContain(mutation.expected);
    },
    SYNTH_TIMEOUT_MS,
  );

  it.each(['dev', 'staging'] as const)(
    'passes on the unmutated templates of %s (the mutations, not the baseline, make it fail)',
    (env) => {
      expect(check(rehearsalOf(env).app)).toEqual([]);
      console.info(`[figures] ${label}: ${mutations.length} mutations caught`);
    },
    SYNTH_TIMEOUT_MS,
  );
});

describe('accepted guard findings', () => {
  it('documents every acknowledgement reason, word for word, in docs/SECURITY.md', () => {
    const security = readFileSync(path.join(REPO_ROOT, 'docs', 'SECURITY.md'), 'utf8');
    for (const [name, reason] of Object.entries(GUARD_REASONS)) expect(security, name).toContain(reason);
  });
});
