import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { encryptionKey } from '../../lib/constructs/encryption-key.js';
import { piiKeyUserRoleName } from '../../lib/stack-names.js';
import { type KeyRequest, keyPolicyDenies } from './helpers/key-policy-denies.js';
import {
  allResources,
  type CfnJson,
  cdkJsonContext,
  ENVS,
  PARTS,
  REPO_ROOT,
  synthEnv,
} from './helpers/synth-env.js';

const run = promisify(execFile);

/** Actions AWS offers no resource-level permission for; `Resource: "*"` is the only possible scope. */
const UNSCOPABLE_ACTIONS = new Set([
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
  'ec2:CreateNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSubnets',
  'ec2:DeleteNetworkInterface',
  'ec2:AssignPrivateIpAddresses',
  'ec2:UnassignPrivateIpAddresses',
  // Added by RotationSchedule to custom rotation Lambdas; Secrets Manager does not scope it by resource.
  'secretsmanager:GetRandomPassword',
  // The admin Lambda's metric reads for /admin/metrics; CloudWatch offers no resource scoping for it.
  'cloudwatch:GetMetricData',
]);

const asArray = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** Every identity-policy statement (inline role policies and AWS::IAM::Policy) of the environment. */
function identityStatements(env: (typeof ENVS)[number]) {
  return allResources(synthEnv(env)).flatMap(({ id, type, props }) => {
    if (type === 'AWS::IAM::Policy')
      return asArray(props.PolicyDocument.Statement).map((s: CfnJson) => ({ id, s }));
    if (type === 'AWS::IAM::Role') {
      return asArray(props.Policies).flatMap((p: CfnJson) =>
        asArray(p.PolicyDocument.Statement).map((s: CfnJson) => ({ id, s })),
      );
    }
    return [];
  });
}

/** Values that look like credentials: long random-looking strings, private keys, Twilio tokens. */
function looksLikeSecret(value: string): boolean {
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(value)) return true;
  if (/^[0-9a-f]{32}$/i.test(value)) return true; // a Twilio auth token's shape
  if (/^(?=.*[A-Z])(?=.*[a-z])(?=.*\d)[A-Za-z0-9+/=_-]{24,}$/.test(value)) return true;
  return false;
}

describe.each(ENVS)('%s security', (env) => {
  const synth = synthEnv(env);

  it('limits every interface endpoint to this account, yet lets through every resource-less call a role is granted', () => {
    const endpoints = Object.values(synth.json.network.Resources).filter(
      (r) => r.Type === 'AWS::EC2::VPCEndpoint' && r.Properties.VpcEndpointType === 'Interface',
    );
    expect(endpoints.length).toBe(4); // Secrets Manager, KMS, SQS, CloudWatch monitoring
    const serviceOf = (e: CfnJson): string =>
      JSON.stringify(e.Properties.ServiceName).match(/\.([a-z]+)"/)?.[1] ?? '';
    const prefixOf: Record<string, string> = {
      secretsmanager: 'secretsmanager',
      kms: 'kms',
      sqs: 'sqs',
      logs: 'logs',
      monitoring: 'cloudwatch',
    };
    const policies = new Map<string, CfnJson[]>();
    for (const e of endpoints) {
      const statements: CfnJson[] = e.Properties.PolicyDocument?.Statement ?? [];
      // No statement may admit another account's principal (the default policy admits everyone).
      expect(statements.length, serviceOf(e)).toBeGreaterThan(0);
      for (const st of statements) {
        expect(st.Effect).toBe('Allow');
        expect(st.Condition).toEqual({ StringEquals: { 'aws:PrincipalAccount': { Ref: 'AWS::AccountId' } } });
        for (const resource of asArray<CfnJson>(st.Resource)) {
          if (resource === '*') {
            for (const action of asArray<string>(st.Action))
              expect(action, 'no wildcard on *').not.toContain('*');
          } else {
            // arn:<partition>:<service>:<region>:<this account>:*
            expect(JSON.stringify(resource)).toContain('{"Ref":"AWS::AccountId"}');
          }
        }
      }
      policies.set(prefixOf[serviceOf(e)] ?? '?', statements);
    }
    // IAM evaluates a resource-less action against "*": the endpoint must allow it on "*" or the call fails.
    for (const { id, s: st } of identityStatements(env)) {
      if (st.Effect !== 'Allow' || !asArray(st.Resource).includes('*')) continue;
      for (const action of asArray<string>(st.Action)) {
        const endpoint = policies.get(action.split(':')[0] as string);
        if (!endpoint) continue;
        const allowed = endpoint.some(
          (e) => asArray(e.Resource).includes('*') && asArray<string>(e.Action).includes(action),
        );
        expect(allowed, `${id}: ${action} on * through the endpoint`).toBe(true);
      }
    }
  });

  // The roles the PII key admits, written out: `signalgate-<env>-<region>-<function>` (IAM names are account-wide).
  const WEBHOOK_ROLE = `signalgate-${env}-eu-west-1-webhook`;
  const ADMIN_ROLE = `signalgate-${env}-eu-west-1-admin`;
  const ACCOUNT = { dev: '480957213364', staging: '480957213365', prod: '480957213366' }[env];
  const piiKeyStatements = (): CfnJson[] => {
    const keys = Object.values(synth.json.data.Resources).filter((r) => r.Type === 'AWS::KMS::Key');
    const pii = keys.filter((k) =>
      String(k.Properties.Description).includes('envelope encryption of message PII'),
    );
    expect(pii).toHaveLength(1);
    return pii[0]?.Properties.KeyPolicy.Statement;
  };
  const roleArnInPolicy = (name: string) => ({
    'Fn::Join': [
      '',
      ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, `:role/${name}`],
    ],
  });
  const USE_ACTIONS = [
    'kms:CreateGrant',
    'kms:Decrypt',
    'kms:Encrypt',
    'kms:GenerateDataKey*',
    'kms:ReEncrypt*',
  ];

  it('writes the PII key policy as: administration for the account, use only by the webhook and admin roles by ARN and by tag', () => {
    expect(piiKeyStatements()).toEqual([
      {
        Action: 'kms:*',
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
        Resource: '*',
      },
      {
        Sid: 'CreateGrantOnlyForAwsResources',
        Action: 'kms:CreateGrant',
        Condition: {
          BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' },
        },
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Resource: '*',
      },
      {
        Sid: 'UseOnlyByNamedRoles',
        Action: USE_ACTIONS,
        Condition: {
          ArnNotEquals: { 'aws:PrincipalArn': [roleArnInPolicy(WEBHOOK_ROLE), roleArnInPolicy(ADMIN_ROLE)] },
        },
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Resource: '*',
      },
      {
        Sid: 'UseOnlyByTaggedRoles',
        Action: USE_ACTIONS,
        Condition: { StringNotEquals: { 'aws:PrincipalTag/signalgate:pii-access': env } },
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Resource: '*',
      },
    ]);
  });

  it('refuses the PII key to every principal but the webhook and admin roles, a session that tags itself like them included', () => {
    const statements = piiKeyStatements();
    const denied = (request: KeyRequest) =>
      keyPolicyDenies(statements, request, { account: ACCOUNT, partition: 'aws' });
    const iamArn = (resource: string) => `arn:aws:iam::${ACCOUNT}:${resource}`;
    const tag = { 'signalgate:pii-access': env };

    // The key users keep their operations (which one each may call is up to its IAM policy).
    expect(
      denied({
        action: 'kms:GenerateDataKey',
        principalArn: iamArn(`role/${WEBHOOK_ROLE}`),
        principalTags: tag,
      }),
    ).toBe(false);
    expect(
      denied({ action: 'kms:Decrypt', principalArn: iamArn(`role/${ADMIN_ROLE}`), principalTags: tag }),
    ).toBe(false);

    // Session tags (AssumeRole with sts:TagSession, GetFederationToken) override a role's tags: a caller can carry
    // the key users' tag, never their role ARN.
    const forged = [
      iamArn('role/ops-automation'),
      iamArn('user/alice'),
      `arn:aws:sts::${ACCOUNT}:federated-user/alice`,
      iamArn('root'),
      iamArn(`role/signalgate-${env === 'prod' ? 'staging' : 'prod'}-eu-west-1-webhook`),
      iamArn(`role/signalgate-${env}-us-east-1-admin`),
      `arn:aws:iam::111122223333:role/${ADMIN_ROLE}`,
    ];
    const operations = [
      'kms:Decrypt',
      'kms:Encrypt',
      'kms:GenerateDataKey',
      'kms:GenerateDataKeyWithoutPlaintext',
      'kms:ReEncryptFrom',
    ];
    for (const principalArn of forged) {
      for (const action of operations)
        expect(denied({ action, principalArn, principalTags: tag }), `${principalArn} ${action}`).toBe(true);
      // Nor through a grant that an AWS service creates on its behalf.
      expect(
        denied({
          action: 'kms:CreateGrant',
          principalArn,
          principalTags: tag,
          context: { 'kms:GrantIsForAWSResource': 'true' },
        }),
        `${principalArn} CreateGrant`,
      ).toBe(true);
    }
    expect(denied({ action: 'kms:Decrypt', principalTags: tag }), 'anonymous').toBe(true);
    // A key user whose tag was removed is cut off too.
    expect(denied({ action: 'kms:Decrypt', principalArn: iamArn(`role/${ADMIN_ROLE}`) })).toBe(true);

    // Administration stays with the account (the root statement allows kms:*; no Deny touches these).
    for (const action of [
      'kms:PutKeyPolicy',
      'kms:ScheduleKeyDeletion',
      'kms:DisableKey',
      'kms:EnableKeyRotation',
      'kms:DescribeKey',
      'kms:RevokeGrant',
    ])
      expect(denied({ action, principalArn: iamArn('root') }), action).toBe(false);
  });

  it('gives the PII key users, and no other function, the role names the key policy admits', () => {
    const resources = allResources(synth);
    const roleName = (part: string, fn: CfnJson): string | undefined => {
      const roleId = fn.Properties?.Role?.['Fn::GetAtt']?.[0];
      return resources.find((r) => r.part === part && r.id === roleId)?.props.RoleName;
    };
    const functions = resources.filter((r) => r.type === 'AWS::Lambda::Function');
    const variables = (fn: (typeof functions)[number]) => fn.props.Environment?.Variables ?? {};
    const webhook = functions.filter((f) => 'TWILIO_TOKEN_SECRET_ARNS' in variables(f));
    const admin = functions.filter((f) => 'ADMIN_HOLDERS' in variables(f));
    expect(webhook.map((f) => roleName(f.part, { Properties: f.props }))).toEqual([WEBHOOK_ROLE]);
    expect(admin.map((f) => roleName(f.part, { Properties: f.props }))).toEqual([ADMIN_ROLE]);
    // Every function handed the PII key is one of them.
    expect(
      functions
        .filter((f) => 'KMS_KEY_ID' in variables(f))
        .map((f) => roleName(f.part, { Properties: f.props }))
        .sort(),
    ).toEqual([ADMIN_ROLE, WEBHOOK_ROLE]);
    // No other role, in any stack, carries either name or the key users' tag.
    const named = resources.filter(
      (r) => r.type === 'AWS::IAM::Role' && [WEBHOOK_ROLE, ADMIN_ROLE].includes(r.props.RoleName),
    );
    expect(named).toHaveLength(2);
    const tagged = resources.filter(
      (r) =>
        r.type === 'AWS::IAM::Role' &&
        (r.props.Tags ?? []).some((t: { Key: string }) => t.Key === 'signalgate:pii-access'),
    );
    expect(tagged.map((r) => r.props.RoleName).sort()).toEqual([ADMIN_ROLE, WEBHOOK_ROLE]);
    for (const r of tagged) expect(r.props.Tags).toContainEqual({ Key: 'signalgate:pii-access', Value: env });
  });

  it('bounds the previous Twilio and admin tokens to the configured grace (10 minutes), not hours', () => {
    const functions = Object.values(synth.json.api.Resources).filter(
      (r) => r.Type === 'AWS::Lambda::Function',
    );
    const variables = (name: string) =>
      functions.map((f) => f.Properties?.Environment?.Variables ?? {}).filter((v) => name in v);
    const twilio = variables('TWILIO_TOKEN_SECRET_ARNS');
    expect(twilio).toHaveLength(1);
    expect(twilio[0]?.TWILIO_PREVIOUS_TOKEN_GRACE_SECONDS).toBe('600');
    const admin = variables('ADMIN_HOLDERS');
    expect(admin.length).toBeGreaterThanOrEqual(1);
    for (const v of admin) expect(v.ADMIN_TOKEN_GRACE_SECONDS).toBe('600');
  });

  it('bounds how old a version a rotation may promote, so its predecessor keeps the grace to switch over', () => {
    const byService = Object.fromEntries(
      Object.values(synth.json.api.Resources)
        .filter((r) => r.Type === 'AWS::Lambda::Function')
        .map((f) => f.Properties?.Environment?.Variables ?? {})
        .filter((v) => 'ROTATION_MAX_PENDING_AGE_SECONDS' in v)
        .map((v) => [v.SIGNALGATE_SERVICE, v.ROTATION_MAX_PENDING_AGE_SECONDS]),
    );
    // Grace 600 s − cache 300 s − margin 60 s, and for Twilio also its 20 s promotion delay.
    expect(byService).toEqual({
      'signalgate-rotate-admin-token': '240',
      'signalgate-rotate-twilio-token': '220',
    });
  });

  it('has no IAM statement allowing every action', () => {
    for (const { id, s } of identityStatements(env)) {
      expect(asArray(s.Action), `${id}`).not.toContain('*');
      for (const action of asArray<string>(s.Action)) expect(action, id).not.toMatch(/^[a-z0-9-]+:\*$/);
    }
  });

  it('uses Resource "*" only for actions that cannot be scoped', () => {
    for (const { id, s } of identityStatements(env)) {
      if (s.Effect !== 'Allow' || !asArray(s.Resource).includes('*')) continue;
      for (const action of asArray<string>(s.Action)) {
        expect(UNSCOPABLE_ACTIONS.has(action), `${id}: ${action} on "*"`).toBe(true);
      }
    }
  });

  it('puts no secret-looking value in CfnJson function environment', () => {
    const functions = allResources(synth).filter((r) => r.type === 'AWS::Lambda::Function');
    expect(functions.length).toBeGreaterThan(0);
    for (const fn of functions) {
      for (const [name, value] of Object.entries<unknown>(fn.props.Environment?.Variables ?? {})) {
        if (typeof value !== 'string') continue; // references (ARNs, endpoints) resolve at deploy time
        expect(looksLikeSecret(value), `${fn.id}.${name}=${value}`).toBe(false);
        expect(name, `${fn.id}.${name}`).not.toMatch(/PASSWORD|AUTH_TOKEN$|PRIVATE_KEY/);
      }
    }
  });

  it('has no unacknowledged cdk-nag AwsSolutions finding', () => {
    for (const part of PARTS) {
      const report = new AwsSolutionsChecks().validateScope(synth.stacks[part]);
      expect(
        report.violations.map(
          (v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
        ),
        part,
      ).toEqual([]);
    }
  });
});

describe('PII key user role names', () => {
  it('fit IAM in the longest environment and region names there are', () => {
    expect(piiKeyUserRoleName('staging', 'ap-southeast-5', 'webhook')).toBe(
      'signalgate-staging-ap-southeast-5-webhook',
    );
  });

  it('refuse a name longer than IAM allows (64 characters) at synth', () => {
    expect(() => piiKeyUserRoleName('staging', `eu-${'west'.repeat(12)}-1`, 'webhook')).toThrow(
      /longer than IAM's 64 characters/,
    );
  });

  it('are required by a key restricted to its users: an empty list fails the synth', () => {
    const stack = new Stack(new App(), 'KeyOnly');
    expect(() =>
      encryptionKey(stack, 'Key', {
        logicalId: 'Key',
        alias: 'test/key',
        description: 'test',
        removalPolicy: RemovalPolicy.DESTROY,
        usableOnlyBy: { roleNames: [], tagValue: 'dev' },
      }),
    ).toThrow(/usableOnlyBy.roleNames: at least one role/);
  });
});

describe('secret values', () => {
  function filesUnder(dir: string): string[] {
    return readdirSync(dir).flatMap((name) => {
      const full = path.join(dir, name);
      return statSync(full).isDirectory() ? filesUnder(full) : [full];
    });
  }

  it('never reach the synthesised output, even when a user has them in the environment and context', async () => {
    const authToken = randomBytes(16).toString('hex');
    const adminToken = randomBytes(32).toString('base64url');
    const outdir = mkdtempSync(path.join(tmpdir(), 'signalgate-secret-scan-'));
    try {
      // What a user might do: export the local-stack secrets, pass one as context, then synth through bin/.
      await run(path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx'), ['bin/signalgate.ts'], {
        cwd: REPO_ROOT,
        env: {
          ...process.env,
          TWILIO_AUTH_TOKEN: authToken,
          ADMIN_TOKEN: adminToken,
          CDK_OUTDIR: outdir,
          CDK_CONTEXT_JSON: JSON.stringify({ ...cdkJsonContext(), env: 'dev', twilioAuthToken: authToken }),
        },
        timeout: 240_000,
      });
      const files = filesUnder(outdir);
      expect(files.some((f) => f.endsWith('signalgate-dev-api.template.json'))).toBe(true);
      expect(files.some((f) => f.endsWith('index.js'))).toBe(true);
      for (const file of files) {
        const text = readFileSync(file, 'utf8');
        expect(text.includes(authToken), file).toBe(false);
        expect(text.includes(adminToken), file).toBe(false);
      }
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });

  it('keeps the Twilio secret value out of the template: the SID and a generated token that cannot verify', () => {
    const { config, json } = synthEnv('prod');
    for (const sid of config.twilio.accountSids) {
      const secret = json.api.Resources[`TwilioAuthToken${sid}`];
      expect(secret?.Properties.SecretString).toBeUndefined();
      // Pinned: CloudFormation regenerates the value (overwriting the operator's real token) if this changes.
      // 40 characters with upper case can never be a Twilio auth token (32 lowercase hex).
      expect(secret?.Properties.GenerateSecretString).toEqual({
        SecretStringTemplate: JSON.stringify({ accountSid: sid }),
        GenerateStringKey: 'authToken',
        PasswordLength: 40,
        ExcludePunctuation: true,
        IncludeSpace: false,
        RequireEachIncludedType: true,
      });
    }
  });
});

describe('bin', () => {
  it('fails with one clear message for an unknown environment', async () => {
    const result = await run(path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx'), ['bin/signalgate.ts'], {
      cwd: REPO_ROOT,
      env: { ...process.env, CDK_CONTEXT_JSON: JSON.stringify({ env: 'qa' }), CDK_OUTDIR: tmpdir() },
    }).catch((e: { code: number; stderr: string }) => e);
    expect((result as { code: number }).code).toBe(1);
    expect((result as { stderr: string }).stderr.trim()).toBe(
      'signalgate: Unknown environment "qa": expected one of dev, staging, prod (-c env=NAME).',
    );
  });
});
