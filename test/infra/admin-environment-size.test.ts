// Lambda refuses a function whose environment variables total more than 4 KB (AWS Lambda quotas:
// https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html), failing the deploy. The admin
// function's grows with the admin holders (ADMIN_HOLDERS): config caps them, and this
// checks the cap against the limit with every template token given a worst-case length.
import { describe, expect, it } from 'vitest';
import { loadConfig, parseEnvConfig } from '../../lib/config/index.js';
import { USER_CONFIG_VALUES } from '../helpers/user-config-values.js';
import { type CfnJson, synthEnv } from './helpers/synth-env.js';

/**
 * Longer than any ARN, URL or host name a token of this app resolves to. The longest is a holder's secret ARN:
 * `arn:aws-us-gov:secretsmanager:` (30) + a region (≤ 14) + `:` + account (12) + `:secret:` (8) +
 * `signalgate/staging/admin-credential/` (36) + a 32-character id + the `-XXXXXX` suffix (7) = 140.
 */
const TOKEN_STANDIN = 'x'.repeat(160);
const LAMBDA_ENVIRONMENT_LIMIT_BYTES = 4096;

/** The variables as deployed, each token (Ref, Fn::GetAtt, …) replaced by TOKEN_STANDIN. */
function resolved(value: CfnJson): string {
  if (typeof value === 'string') return value;
  if (value['Fn::Join']) return (value['Fn::Join'][1] as CfnJson[]).map(resolved).join(value['Fn::Join'][0]);
  return TOKEN_STANDIN;
}

describe('admin function environment size', () => {
  it('stays under 4 KB with the most holders config allows, each with the longest id', () => {
    const base = loadConfig('prod', { values: USER_CONFIG_VALUES.prod });
    const holders = Array.from({ length: 8 }, (_, i) => ({
      id: `${String(i)}${'h'.repeat(31)}`,
      role: i < 2 ? ('privacy' as const) : ('reader' as const),
    }));
    const config = parseEnvConfig('prod', { ...base, admin: { holders } });
    const resources: Record<string, CfnJson> = synthEnv('prod', config).json.api.Resources;
    const admin = Object.entries(resources).find(
      ([id, r]) => r.Type === 'AWS::Lambda::Function' && id.startsWith('AdminFunction'),
    )?.[1];
    const variables = Object.fromEntries(
      Object.entries(admin?.Properties.Environment.Variables as Record<string, CfnJson>).map(([k, v]) => [
        k,
        resolved(v),
      ]),
    );
    // 8 configured holders and the canary's own.
    expect(Object.keys(JSON.parse(variables.ADMIN_HOLDERS as string))).toHaveLength(9);
    const bytes = Object.entries(variables).reduce(
      (sum, [k, v]) => sum + Buffer.byteLength(k) + Buffer.byteLength(v),
      0,
    );
    expect(bytes).toBeLessThan(LAMBDA_ENVIRONMENT_LIMIT_BYTES);
  });

  it('refuses a ninth holder and an id over 32 characters, one line each', () => {
    const base = loadConfig('prod', { values: USER_CONFIG_VALUES.prod });
    const holder = (id: string) => ({ id, role: 'privacy' as const });
    const problems = (holders: ReturnType<typeof holder>[]) => {
      try {
        parseEnvConfig('prod', { ...base, admin: { holders } });
        return [];
      } catch (error) {
        return (error as Error).message.split('\n').slice(1);
      }
    };
    expect(problems(Array.from({ length: 9 }, (_, i) => holder(`h${i}`)))).toEqual([
      "  - admin.holders: at most 8 holders (the admin function's environment is limited to 4 KB); has 9",
    ]);
    expect(problems([holder('a'.repeat(33)), holder('b')])).toEqual([
      '  - admin.holders.0.id: at most 32 characters',
    ]);
  });
});
