// One Secrets Manager secret per admin holder (ARCHITECTURE §2, §5): each readable only by the admin function,
// the rotation function, the holder's configured principal (and the canary, for its own), and each holder's
// role given to the admin function by configuration, never stored in the secret.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config/index.js';
import { USER_CONFIG_VALUES } from '../helpers/user-config-values.js';
import { type CfnJson, synthEnv } from './helpers/synth-env.js';

const ANA = 'arn:aws:iam::111122223333:role/ana-privacy';

/** A template value built by Stack.toJsonString, with each Ref spelled `{{LogicalId}}`. */
function joined(value: CfnJson): string {
  if (typeof value === 'string') return value;
  if (value['Fn::Join']) return (value['Fn::Join'][1] as CfnJson[]).map(joined).join(value['Fn::Join'][0]);
  if (value.Ref) return `{{${value.Ref}}}`;
  throw new Error(`unexpected template value ${JSON.stringify(value)}`);
}

describe('admin credentials per holder (prod, privacy-1 held by a configured principal)', () => {
  const base = loadConfig('prod', { values: USER_CONFIG_VALUES.prod });
  const config = {
    ...base,
    admin: {
      holders: base.admin.holders.map((h) => (h.id === 'privacy-1' ? { ...h, principalArn: ANA } : h)),
    },
  };
  const resources: Record<string, CfnJson> = synthEnv('prod', config).json.api.Resources;
  const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
  /** prod's default holders and the canary's own, as pinned logical ids, sorted. */
  const EVERY_CREDENTIAL = [
    'AdminCredentialcanary',
    'AdminCredentialops',
    'AdminCredentialprivacyH1',
    'AdminCredentialprivacyH2',
    'AdminCredentialsupport',
  ];
  const admin = ofType('AWS::Lambda::Function').find(([id]) => id.startsWith('AdminFunction'))?.[1];

  it("denies GetSecretValue on each holder's secret to every principal but its readers", () => {
    const policies = Object.fromEntries(
      ofType('AWS::SecretsManager::ResourcePolicy').map(([, r]) => [
        r.Properties.SecretId.Ref,
        // CDK adds a DeleteSecret deny where the secret is retained; the read restriction is this statement.
        (r.Properties.ResourcePolicy.Statement as CfnJson[]).filter((st) =>
          [st.Action].flat().includes('secretsmanager:GetSecretValue'),
        ),
      ]),
    );
    const role = (prefix: string) => ({ 'Fn::GetAtt': [expect.stringMatching(prefix), 'Arn'] });
    const rotation = role('^RotateAdminTokenRole');
    const adminRole = role('^AdminRole');
    const deny = (readers: unknown[]) => [
      {
        Sid: 'OnlyTheHolderItsFunctionsAndRotationRead',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 'secretsmanager:GetSecretValue',
        Resource: '*',
        Condition: { ArnNotEquals: { 'aws:PrincipalArn': readers } },
      },
    ];
    expect(policies).toEqual({
      AdminCredentialprivacyH1: deny([rotation, ANA, adminRole]),
      AdminCredentialprivacyH2: deny([rotation, adminRole]),
      AdminCredentialops: deny([rotation, adminRole]),
      AdminCredentialsupport: deny([rotation, adminRole]),
      AdminCredentialcanary: deny([rotation, adminRole, role('^CanaryRole')]),
    });
  });

  it('gives the admin function each holder with its configured role and its own secret', () => {
    expect(JSON.parse(joined(admin?.Properties.Environment.Variables.ADMIN_HOLDERS))).toEqual({
      'privacy-1': { role: 'privacy', secretArn: '{{AdminCredentialprivacyH1}}' },
      'privacy-2': { role: 'privacy', secretArn: '{{AdminCredentialprivacyH2}}' },
      ops: { role: 'operator', secretArn: '{{AdminCredentialops}}' },
      support: { role: 'reader', secretArn: '{{AdminCredentialsupport}}' },
      canary: { role: 'reader', secretArn: '{{AdminCredentialcanary}}' },
    });
  });

  it("lets the admin role read every holder's secret, and the canary role its own only", () => {
    const reads = (rolePrefix: string) =>
      ofType('AWS::IAM::Policy')
        .filter(([, p]) => JSON.stringify(p.Properties.Roles).includes(`"${rolePrefix}`))
        .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as CfnJson[])
        .filter((s) => [s.Action].flat().includes('secretsmanager:GetSecretValue'))
        .flatMap((s) => [s.Resource].flat().map((r: CfnJson) => r.Ref))
        .filter((ref: string) => ref.startsWith('AdminCredential'))
        .sort();
    expect(reads('AdminRole')).toEqual(EVERY_CREDENTIAL);
    expect(reads('CanaryRole')).toEqual(['AdminCredentialcanary']);
  });

  it("lets the admin role describe every holder's secret, for /admin/health's secret ages", () => {
    const described = ofType('AWS::IAM::Policy')
      .filter(([, p]) => JSON.stringify(p.Properties.Roles).includes('"AdminRole'))
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as CfnJson[])
      .filter((s) => [s.Action].flat().includes('secretsmanager:DescribeSecret'))
      .flatMap((s) => [s.Resource].flat().map((r: CfnJson) => r.Ref))
      .filter((ref: string) => ref?.startsWith('AdminCredential'));
    expect([...new Set(described)].sort()).toEqual(EVERY_CREDENTIAL);
  });

  it("denies PutSecretValue on each holder's secret to every principal but the rotation function", () => {
    // With PutSecretValue anyone could set another holder's token to one they know (docs/SECURITY.md).
    const writes = ofType('AWS::SecretsManager::ResourcePolicy').map(([, r]) => [
      r.Properties.SecretId.Ref,
      (r.Properties.ResourcePolicy.Statement as CfnJson[]).filter((st) =>
        [st.Action].flat().includes('secretsmanager:PutSecretValue'),
      ),
    ]);
    const onlyRotation = [
      {
        Sid: 'OnlyRotationWritesAValue',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 'secretsmanager:PutSecretValue',
        Resource: '*',
        Condition: {
          ArnNotEquals: {
            'aws:PrincipalArn': { 'Fn::GetAtt': [expect.stringMatching('^RotateAdminTokenRole'), 'Arn'] },
          },
        },
      },
    ];
    expect(Object.fromEntries(writes)).toEqual({
      AdminCredentialprivacyH1: onlyRotation,
      AdminCredentialprivacyH2: onlyRotation,
      AdminCredentialops: onlyRotation,
      AdminCredentialsupport: onlyRotation,
      AdminCredentialcanary: onlyRotation,
    });
  });
});
