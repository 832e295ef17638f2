import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
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

  it('lets only the webhook and admin roles encrypt or decrypt with the PII key, keeping administration for the account', () => {
    const keys = Object.values(synth.json.data.Resources).filter((r) => r.Type === 'AWS::KMS::Key');
    const pii = keys.find((k) =>
      String(k.Properties.Description).includes('envelope encryption of message PII'),
    );
    const statements: CfnJson[] = pii?.Properties.KeyPolicy.Statement ?? [];
    // KMS evaluates an explicit Deny before any Allow, from the key policy or from IAM.
    const deny = statements.find((st) => st.Effect === 'Deny' && st.Sid === 'CryptoOnlyForTaggedRoles');
    expect(deny).toMatchObject({
      Principal: { AWS: '*' },
      Resource: '*',
      Condition: { StringNotEquals: { 'aws:PrincipalTag/signalgate:pii-access': env } },
    });
    expect(asArray(deny?.Action)).toEqual(
      expect.arrayContaining(['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey*', 'kms:ReEncrypt*']),
    );
    // The account root keeps the key's administration (the deny names only cryptographic actions).
    const admin = statements.find(
      (st) => st.Effect === 'Allow' && JSON.stringify(st.Principal).includes(':root'),
    );
    expect(asArray(admin?.Action)).toContain('kms:*');
    for (const action of asArray<string>(deny?.Action))
      expect(action).not.toMatch(/^kms:(Put|Schedule|Disable|Create|Update|Delete|\*)/);

    // Exactly the roles of the functions that seal (webhook) and open (admin) records carry the tag.
    const resources = synth.json.api.Resources;
    const tagged = Object.entries(resources)
      .filter(([, r]) => r.Type === 'AWS::IAM::Role')
      .filter(([, r]) =>
        (r.Properties.Tags ?? []).some(
          (t: { Key: string; Value: string }) => t.Key === 'signalgate:pii-access' && t.Value === env,
        ),
      )
      .map(([id]) => id)
      .sort();
    const roleOf = (variable: string) =>
      Object.values(resources)
        .filter(
          (r) =>
            r.Type === 'AWS::Lambda::Function' && variable in (r.Properties?.Environment?.Variables ?? {}),
        )
        .map((r) => r.Properties.Role['Fn::GetAtt'][0] as string);
    expect(tagged).toEqual([...roleOf('TWILIO_TOKEN_SECRET_ARNS'), ...roleOf('ADMIN_HOLDERS')].sort());
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
