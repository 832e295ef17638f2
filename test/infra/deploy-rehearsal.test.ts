// The deploy rehearsal (ARCHITECTURE §7): every environment synthesized as `cdk synth` does it, with
// CloudFormation's schema validation as errors and AWS Control Tower's guard rules, then the semantic checks
// that AWS applies at deploy and run time. Mutation tests in deploy-rehearsal-mutations.test.ts.
import { describe, expect, it } from 'vitest';
import { ENVS } from './helpers/synth-env.js';
import { checkDeployOrder, checkIntegrations, checkReachability } from './rehearsal/checks.js';
import { type Rehearsal, rehearse } from './rehearsal/synth-rehearsal.js';

const SYNTH_TIMEOUT_MS = 240_000;

describe.each(ENVS)('deploy rehearsal (%s)', (env) => {
  let rehearsal: Rehearsal;
  const get = () => {
    rehearsal ??= rehearse(env);
    return rehearsal;
  };

  it(
    'synthesizes with no CloudFormation validation error and no unacknowledged Control Tower finding',
    () => {
      const { synthError, plugins } = get();
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
      expect(checkReachability(get().app)).toEqual([]);
    },
    SYNTH_TIMEOUT_MS,
  );

  it(
    '(b) every service-to-service integration is allowed by the resource policies AWS evaluates',
    () => {
      expect(checkIntegrations(get().app)).toEqual([]);
    },
    SYNTH_TIMEOUT_MS,
  );

  it(
    '(c) deploys in an order that works: migration before rotations, nothing rotates a placeholder',
    () => {
      expect(checkDeployOrder(get().app)).toEqual([]);
    },
    SYNTH_TIMEOUT_MS,
  );
});
