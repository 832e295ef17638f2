import { describe, expect, it } from 'vitest';
import { allResources, type CfnJson, synthEnv } from './helpers/synth-env.js';

describe('canary and own numbers in the api stack (prod)', () => {
  const synth = synthEnv('prod');
  const resources = allResources(synth).filter((r) => r.part === 'api');
  const byId = (prefix: string, type: string) =>
    resources.find((r) => r.id.startsWith(prefix) && r.type === type)?.props as CfnJson;

  it('is out of the VPC and calls the same public URL as Twilio (the webhook function PUBLIC_BASE_URL)', () => {
    const canary = byId('CanaryFunction', 'AWS::Lambda::Function');
    const webhook = byId('WebhookFunction', 'AWS::Lambda::Function');
    expect(canary.VpcConfig).toBeUndefined();
    expect(canary.Environment.Variables.PUBLIC_BASE_URL).toEqual(
      webhook.Environment.Variables.PUBLIC_BASE_URL,
    );
  });

  it("may read only the first Twilio secret and its own admin holder's secret, and invoke only the admin function", () => {
    const policy = byId('CanaryRoleDefaultPolicy', 'AWS::IAM::Policy');
    const statements: CfnJson[] = policy.PolicyDocument.Statement;
    const invoke = statements.filter((s) => [s.Action].flat().includes('lambda:InvokeFunction'));
    expect(invoke.map((s) => s.Resource)).toEqual([
      { 'Fn::GetAtt': [expect.stringMatching(/^AdminFunction/), 'Arn'] },
    ]);
    const reads = statements.filter((s) => [s.Action].flat().includes('secretsmanager:GetSecretValue'));
    const secrets = reads.flatMap((s) => [s.Resource].flat()).map((r: CfnJson) => r.Ref);
    expect(secrets.sort()).toEqual([
      'AdminCredentialcanary',
      'TwilioAuthTokenACd8917a10aab95fc5a03aac04b051cfb7',
    ]);
  });

  it('gives the admin function the configured own numbers (export and erase refuse them)', () => {
    const admin = byId('AdminFunction', 'AWS::Lambda::Function');
    expect(admin.Environment.Variables.OWN_NUMBERS).toBe('+442071838750');
  });
});
