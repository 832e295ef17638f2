// One full synthesis of an environment the way `cdk synth` runs it: the bundled CloudFormation validation
// (errors fail it: @aws-cdk/core:validateAgainstDefaultRules in cdk.json) and AWS Control Tower's guard
// rules as a policy-validation plugin. The same cloud assembly feeds the semantic checks.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import { App, Validations } from 'aws-cdk-lib';
import { buildSignalgate } from '../../../lib/app.js';
import { type EnvName, loadConfig } from '../../../lib/config/index.js';
import { USER_CONFIG_VALUES } from '../../helpers/user-config-values.js';
import { cdkJsonContext } from '../helpers/synth-env.js';
import type { AppTemplates, CfnTemplate, Json } from './cfn-model.js';

export interface PluginOutcome {
  readonly plugin: string;
  readonly conclusion: string;
  /** Unacknowledged findings, as `rule: construct path`. */
  readonly violations: string[];
  /** Acknowledged findings per rule. */
  readonly acknowledged: Record<string, number>;
}

export interface Rehearsal {
  readonly app: AppTemplates;
  /** The synth's own failure (validation errors make it throw), if any. */
  readonly synthError?: string;
  readonly plugins: PluginOutcome[];
}

export function rehearse(env: EnvName): Rehearsal {
  const outdir = mkdtempSync(path.join(tmpdir(), `signalgate-rehearsal-${env}-`));
  try {
    // A deploy as a user makes it: the committed defaults with a user's values (account, Twilio SIDs…).
    const config = loadConfig(env, { values: USER_CONFIG_VALUES[env] });
    const app = new App({ outdir, context: { ...cdkJsonContext(), env, 'aws:cdk:bundling-stacks': [] } });
    const stacks = buildSignalgate(app, config);
    Validations.of(app).addPlugins(new CfnGuardValidator({}));
    let synthError: string | undefined;
    try {
      app.synth();
    } catch (error) {
      synthError = (error as Error).message;
    }
    const report = JSON.parse(readFileSync(path.join(outdir, 'validation-report.json'), 'utf8')) as Json;
    const plugins: PluginOutcome[] = (report.pluginReports as Json[]).map((p) => {
      const acknowledged: Record<string, number> = {};
      for (const v of p.suppressedViolations ?? []) {
        acknowledged[v.ruleName] = (acknowledged[v.ruleName] ?? 0) + (v.violatingConstructs?.length ?? 1);
      }
      return {
        plugin: p.pluginName,
        conclusion: p.conclusion,
        violations: (p.violations as Json[]).flatMap((v) =>
          (v.violatingConstructs as Json[]).map((c) => `${v.ruleName}: ${c.constructPath}`),
        ),
        acknowledged,
      };
    });
    const manifest = JSON.parse(readFileSync(path.join(outdir, 'manifest.json'), 'utf8')) as Json;
    const names = Object.values(stacks).map((s) => s.stackName);
    const templates: Record<string, CfnTemplate> = {};
    const dependencies: Record<string, string[]> = {};
    for (const name of names) {
      templates[name] = JSON.parse(readFileSync(path.join(outdir, `${name}.template.json`), 'utf8'));
      dependencies[name] = ((manifest.artifacts[name]?.dependencies ?? []) as string[]).filter((d) =>
        names.includes(d),
      );
    }
    return { app: { region: config.region, stacks: templates, dependencies }, synthError, plugins };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** A deep copy to break: mutation tests never touch the shared rehearsal. */
export function mutated(app: AppTemplates, mutate: (copy: AppTemplates) => void): AppTemplates {
  const copy = structuredClone(app) as AppTemplates;
  mutate(copy);
  return copy;
}
