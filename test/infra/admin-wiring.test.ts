// The admin, retention and rotation Lambdas as wired into the API stack: network placement, environment contract,
// admin routes, rotation schedules and the retention rule.
import type { CfnElement } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { PROMOTION_DELAY_MS } from '../../lambda/rotate-twilio-token/twilio-token-rotation.js';
import { EnvVar, Route, ServiceName } from '../../lambda/shared/names.js';
import { type CfnJson, ENVS, synthEnv } from './helpers/synth-env.js';

/** The admin Lambda's environment variables (lambda/admin/admin-config.ts), all identifiers or ARNs. */
const ADMIN_ENV = [
  EnvVar.environment,
  EnvVar.serviceName,
  EnvVar.dbHost,
  EnvVar.dbPort,
  EnvVar.dbName,
  EnvVar.dbUser,
  EnvVar.retentionDays,
  EnvVar.adminHolders,
  EnvVar.blindIndexSecretArn,
  EnvVar.kmsKeyId,
  EnvVar.queueUrl,
  EnvVar.dlqUrl,
  EnvVar.monitoredSecretArns,
] as const;

const RETENTION_ENV = [
  EnvVar.environment,
  EnvVar.serviceName,
  EnvVar.dbHost,
  EnvVar.dbPort,
  EnvVar.dbName,
  EnvVar.dbUser,
  EnvVar.retentionDays,
] as const;

describe.each(ENVS)('%s admin wiring', (env) => {
  const synth = synthEnv(env);
  const { config, stacks } = synth;
  const api = synth.json.api.Resources;
  const stack = stacks.api;
  const logicalId = (construct: { function: { node: { defaultChild?: unknown } } }) =>
    stack.resolve((construct.function.node.defaultChild as CfnElement).logicalId) as string;
  const fn = (construct: Parameters<typeof logicalId>[0]): CfnJson => {
    const resource = api[logicalId(construct)];
    expect(resource?.Type).toBe('AWS::Lambda::Function');
    return resource?.Properties;
  };

  it('runs the admin function in the VPC, as a database client, without reserved concurrency, within the API timeout', () => {
    const admin = fn(stack.admin);
    expect(admin.VpcConfig?.SubnetIds).toBeDefined();
    // dev has no proxy: its clients' group admits them to the instance (lib/config/dev.ts).
    const group = {
      dev: 'DatabaseClientSecurityGroup',
      staging: 'ProxyClientSecurityGroup',
      prod: 'ProxyClientSecurityGroup',
    }[env];
    expect(JSON.stringify(admin.VpcConfig.SecurityGroupIds)).toContain(group);
    // Bounded by the admin routes' throttling, not a reservation (a first deploy in a new account fails on one).
    expect(admin.ReservedConcurrentExecutions).toBeUndefined();
    expect(admin.Timeout).toBeLessThanOrEqual(29);
  });

  it('gives the admin function its configuration as identifiers and ARNs only', () => {
    const vars: Record<string, CfnJson> = fn(stack.admin).Environment.Variables;
    for (const name of ADMIN_ENV) expect(vars[name], name).toBeDefined();
    expect(vars[EnvVar.environment]).toBe(env);
    expect(vars[EnvVar.serviceName]).toBe(ServiceName.admin);
    expect(vars[EnvVar.dbUser]).toBe('signalgate_admin_api');
    expect(vars[EnvVar.retentionDays]).toBe(String(config.retentionDays));
    // The holders' secrets are monitored through ADMIN_HOLDERS (monitoredSecretsOf), named there once.
    const monitored = JSON.stringify(vars[EnvVar.monitoredSecretArns]);
    expect(monitored).not.toContain('admin:');
    for (const label of ['blindIndexKey', 'database', ...config.twilio.accountSids.map((s) => `twilio:${s}`)])
      expect(monitored, label).toContain(label);
    // No variable names a secret value; secret-looking literals are covered by security.test.ts.
    for (const name of Object.keys(vars))
      expect(name).not.toMatch(/PASSWORD|AUTH_TOKEN$|PRIVATE_KEY|^ADMIN_TOKEN$/);
  });

  it('routes every admin resource with ANY to the admin function', () => {
    const adminArn = JSON.stringify({ 'Fn::GetAtt': [logicalId(stack.admin), 'Arn'] });
    const methods = Object.values(api).filter((r) => r.Type === 'AWS::ApiGateway::Method');
    const adminMethods = methods.filter((m) =>
      JSON.stringify(m.Properties.Integration ?? {}).includes(adminArn),
    );
    const adminPaths = new Set(Object.values(Route).filter((r) => r.startsWith('/admin/')));
    expect(adminMethods).toHaveLength(adminPaths.size);
    for (const m of adminMethods) expect(m.Properties.HttpMethod).toBe('ANY');
  });

  it('exposes no subject number in any admin path: the only path parameter is the approval id', () => {
    const parts = Object.values(api)
      .filter((r) => r.Type === 'AWS::ApiGateway::Resource')
      .map((r) => r.Properties.PathPart as string);
    expect(parts.filter((p) => p.startsWith('{')).sort()).toEqual(['{id}']);
    for (const part of ['export', 'erase', 'approvals', 'retention', 'run', 'audit'])
      expect(parts).toContain(part);
  });

  it('throttles every admin resource tighter, addressed the way API Gateway encodes resource paths', () => {
    const stage = Object.values(api).find((r) => r.Type === 'AWS::ApiGateway::Stage');
    const settings: CfnJson[] = stage?.Properties.MethodSettings ?? [];
    for (const path of new Set(Object.values(Route).filter((r) => r.startsWith('/admin/')))) {
      const setting = settings.find((s) => s.ResourcePath === `/${path.replace(/\//g, '~1')}`);
      expect(setting, path).toMatchObject({
        HttpMethod: '*',
        ThrottlingRateLimit: config.api.adminThrottling.rateLimit,
        ThrottlingBurstLimit: config.api.adminThrottling.burstLimit,
      });
    }
  });

  it("rotates every admin holder's secret with its Lambda on schedule; Twilio tokens only once enabled; never the blind-index key", () => {
    const schedules = Object.values(api).filter((r) => r.Type === 'AWS::SecretsManager::RotationSchedule');
    const bySecret = new Map(schedules.map((s) => [JSON.stringify(s.Properties.SecretId), s.Properties]));
    const secretRef = (secret: { node: { defaultChild?: unknown } }) =>
      JSON.stringify({ Ref: stack.resolve((secret.node.defaultChild as CfnElement).logicalId) });
    const expectRotation = (
      secret: Parameters<typeof secretRef>[0],
      handler: Parameters<typeof logicalId>[0],
      days: number,
    ) => {
      const schedule = bySecret.get(secretRef(secret));
      expect(schedule, secret.node.defaultChild ? secretRef(secret) : '').toBeDefined();
      expect(schedule.RotationLambdaARN).toEqual({ 'Fn::GetAtt': [logicalId(handler), 'Arn'] });
      expect(schedule.RotationRules.ScheduleExpression).toBe(`rate(${days} days)`);
    };
    const holderIds = [...stack.secrets.adminCredentials.keys()];
    // The configured holders, and the canary's own reader where the canary runs (staging, prod).
    expect(holderIds).toEqual(
      env === 'dev'
        ? ['privacy-1', 'privacy-2', 'ops']
        : ['privacy-1', 'privacy-2', 'ops', 'support', 'canary'],
    );
    for (const { secret } of stack.secrets.adminCredentials.values())
      expectRotation(secret, stack.rotateAdminToken, config.rotation.adminTokenDays);
    // Twilio tokens rotate only once twilio.rotationEnabled says the real tokens are stored (issue 11; the
    // enabled case is in stacks.test.ts): a schedule rotates at creation, and would rotate the generated value.
    expect(config.twilio.rotationEnabled).toBe(false);
    for (const secret of stack.secrets.twilioAuthTokens.values())
      expect(bySecret.has(secretRef(secret))).toBe(false);
    expect(bySecret.has(secretRef(stack.secrets.blindIndexKey))).toBe(false);
    expect(schedules).toHaveLength(env === 'dev' ? 3 : 5);
  });

  it('gives the Twilio rotation time to wait out the webhook refresh interval before promoting', () => {
    expect(fn(stack.rotateTwilioToken).Timeout * 1000).toBeGreaterThanOrEqual(PROMOTION_DELAY_MS + 30_000);
    // finishSecret: the 20 s delay, at most six Twilio calls of at most 5 s each (twilio-node's own default
    // is 30 s per call, which would not fit), 10 s for Secrets Manager: what it learns is always acted on.
    expect(fn(stack.rotateTwilioToken).Timeout).toBe(60);
    expect(fn(stack.rotateAdminToken).Timeout).toBe(30);
  });

  it('lets each rotation function promote a version made by three steps that ran to its timeout', () => {
    // Secrets Manager runs createSecret, setSecret and testSecret before finishSecret, each up to the
    // function's Timeout after a start-up of up to 10 s (Lambda's Init limit), and finishSecret starts up
    // before it checks the version's age: the bound the function enforces must leave that much.
    for (const construct of [stack.rotateAdminToken, stack.rotateTwilioToken]) {
      const props = fn(construct);
      const boundSeconds = Number(props.Environment.Variables.ROTATION_MAX_PENDING_AGE_SECONDS);
      expect(boundSeconds).toBeGreaterThanOrEqual(3 * (props.Timeout + 10) + 10);
    }
  });

  it('keeps both rotation Lambdas out of the VPC with only their environment and service name', () => {
    for (const [construct, service] of [
      [stack.rotateAdminToken, ServiceName.rotateAdminToken],
      [stack.rotateTwilioToken, ServiceName.rotateTwilioToken],
    ] as const) {
      const props = fn(construct);
      expect(props.VpcConfig).toBeUndefined();
      expect(props.Environment.Variables[EnvVar.environment]).toBe(env);
      expect(props.Environment.Variables[EnvVar.serviceName]).toBe(service);
    }
  });

  it('runs retention daily at 03:00 UTC in the VPC, with database settings only', () => {
    const retention = fn(stack.retention);
    expect(retention.VpcConfig?.SubnetIds).toBeDefined();
    expect(retention.ReservedConcurrentExecutions).toBeUndefined();
    expect(retention.Timeout).toBe(300);
    // dev logs in to the instance itself, whose RDS CA certificate Node verifies only with Lambda's CA bundle.
    const caBundle = { dev: ['NODE_EXTRA_CA_CERTS'], staging: [], prod: [] }[env];
    expect(Object.keys(retention.Environment.Variables).sort()).toEqual(
      ['NODE_OPTIONS', ...caBundle, ...RETENTION_ENV].sort(),
    );
    const rules = Object.values(api).filter((r) => r.Type === 'AWS::Events::Rule');
    const rule = rules.find((r) => r.Properties.ScheduleExpression === 'cron(0 3 * * ? *)');
    expect(rule).toBeDefined();
    expect(rule?.Properties.Targets[0].Arn).toEqual({ 'Fn::GetAtt': [logicalId(stack.retention), 'Arn'] });
  });
});
