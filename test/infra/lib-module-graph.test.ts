// lib/ (what `cdk synth` loads) reaches the Lambda code only through the shared contract and names: no SDK
// adapter, no AWS SDK client. A synth must not load the KMS SDK (issue 13). Judged on the modules Node really
// loads in a fresh process, not on import statements.
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './helpers/synth-env.js';

/** The absolute paths of every module a fresh Node process loads for `entries` (through tsx, like `cdk`). */
function loadedModules(entries: readonly string[]): string[] {
  const script = `${entries.map((e) => `require(${JSON.stringify(e)});`).join('')}process.stdout.write(JSON.stringify(Object.keys(require.cache)));`;
  const out = execFileSync(process.execPath, ['--require', 'tsx/cjs', '-e', script], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    env: { ...process.env, AWS_EC2_METADATA_DISABLED: 'true' },
  });
  return JSON.parse(out) as string[];
}

const FORBIDDEN = /[\\/]lambda[\\/]shared[\\/]adapters[\\/]|[\\/]node_modules[\\/]@aws-sdk[\\/]client-/;
/** The forbidden modules among `modules`, as `lambda/…` or `node_modules/…`. */
const forbidden = (modules: string[]) =>
  modules
    .filter((m) => FORBIDDEN.test(m))
    .map((m) =>
      m.includes('node_modules/') ? m.slice(m.lastIndexOf('node_modules/')) : path.relative(REPO_ROOT, m),
    );

describe('the CDK app module graph', () => {
  it('loads no Lambda SDK adapter and no AWS SDK client', () => {
    // What bin/signalgate.ts loads of ours: the stacks and the config.
    const modules = loadedModules(['./lib/app.ts', './lib/config/index.ts']);
    expect(modules.some((m) => m.endsWith('lib/stacks/api-stack.ts'))).toBe(true);
    expect(forbidden(modules)).toEqual([]);
  }, 60_000);

  it('would see one: loading the KMS key provider pulls in the adapter and the KMS client', () => {
    const found = forbidden(loadedModules(['./lambda/shared/adapters/aws/kms-key-provider.ts']));
    expect(found).toContain('lambda/shared/adapters/aws/kms-key-provider.ts');
    expect(found.some((m) => m.startsWith('node_modules/@aws-sdk/client-kms/'))).toBe(true);
  }, 60_000);
});
