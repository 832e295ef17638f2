// Synthesises one environment in-process, once per test file, with cdk.json's context and without bundling.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { App, type Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { vi } from 'vitest';
import { type BuildOptions, buildSignalgate, type SignalgateStacks } from '../../../lib/app.js';
import { type EnvConfig, type EnvName, loadConfig } from '../../../lib/config/index.js';
import { USER_CONFIG_VALUES } from '../../helpers/user-config-values.js';

/**
 * Every test file that synthesizes imports this module, and its first test pays for the synth: one
 * environment takes 10-20 s alone and several times that on two cores busy with other suites, well past
 * vitest's 60 s default. Set here, once, for exactly those files.
 */
export const SYNTH_TEST_TIMEOUT_MS = 300_000;
vi.setConfig({ testTimeout: SYNTH_TEST_TIMEOUT_MS });

/** Synthesised CloudFormation is untyped JSON; tests index into it freely. */
// biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON has no static type
export type CfnJson = any;

export const REPO_ROOT = path.resolve(__dirname, '../../..');
export const ENVS: readonly EnvName[] = ['dev', 'staging', 'prod'];
export type StackPart = keyof SignalgateStacks;
export const PARTS: readonly StackPart[] = ['network', 'data', 'api', 'monitoring'];

/** cdk.json's context (feature flags), so tests see what `cdk synth` sees. */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(path.join(REPO_ROOT, 'cdk.json'), 'utf8')) as {
    context: Record<string, unknown>;
  };
  return cdkJson.context;
}

export interface SynthesizedEnv {
  readonly config: EnvConfig;
  readonly app: App;
  readonly stacks: SignalgateStacks;
  readonly templates: Record<StackPart, Template>;
  /** Every stack's template as JSON, for scans across resources. */
  readonly json: Record<
    StackPart,
    { Resources: Record<string, { Type: string; Properties?: CfnJson }>; Outputs?: CfnJson }
  >;
}

const cache = new Map<string, SynthesizedEnv>();

/**
 * An environment's stacks, from its defaults with a user's values (test/helpers/user-config-values.ts) merged in;
 * `config` and `options` replace them (then the result is not cached).
 */
export function synthEnv(env: EnvName, config?: EnvConfig, options?: BuildOptions): SynthesizedEnv {
  const key = env;
  const cached = config || options ? undefined : cache.get(key);
  if (cached) return cached;
  const app = new App({
    context: { ...cdkJsonContext(), env, 'aws:cdk:bundling-stacks': [] },
  });
  const resolved = config ?? loadConfig(env, { values: USER_CONFIG_VALUES[env] });
  const stacks = buildSignalgate(app, resolved, options);
  const templates = {} as Record<StackPart, Template>;
  const json = {} as SynthesizedEnv['json'];
  for (const part of PARTS) {
    templates[part] = Template.fromStack(stacks[part] as Stack);
    json[part] = templates[part].toJSON() as SynthesizedEnv['json'][StackPart];
  }
  const result = { config: resolved, app, stacks, templates, json };
  if (!config && !options) cache.set(key, result);
  return result;
}

/** Every resource of every stack of the environment, with its stack part. */
export function allResources(
  synth: SynthesizedEnv,
): Array<{ part: StackPart; id: string; type: string; props: CfnJson }> {
  return PARTS.flatMap((part) =>
    Object.entries(synth.json[part].Resources).map(([id, r]) => ({
      part,
      id,
      type: r.Type,
      props: r.Properties ?? {},
    })),
  );
}
