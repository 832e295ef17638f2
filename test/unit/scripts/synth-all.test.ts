import { describe, expect, it } from 'vitest';
import { type SynthResult, synthAll } from '../../../scripts/synth/synth-all.js';

describe('npm run synth progress', () => {
  it('says what it synthesizes, then reports each environment as soon as it ends', async () => {
    const lines: string[] = [];
    const finish = new Map<string, (r: SynthResult) => void>();
    const run = synthAll(['dev', 'staging', 'prod'], {
      synth: (env) => new Promise((resolve) => finish.set(env, resolve)),
      log: (line) => lines.push(line),
      error: (line) => lines.push(`ERR ${line}`),
      seconds: () => '42.0',
    });
    await new Promise((r) => setImmediate(r));
    expect(lines).toEqual([
      'synthesizing dev, staging, prod in parallel (cdk-nag included; about a minute on a busy machine)…',
      '  dev: started',
      '  staging: started',
      '  prod: started',
    ]);
    finish.get('staging')?.({ env: 'staging', ok: true, time: '11.2', output: 'quiet' });
    await new Promise((r) => setImmediate(r));
    // staging's line appears while dev and prod are still running.
    expect(lines.at(-1)).toBe('ok   staging  11.2 s  -> cdk.out/staging');
    finish.get('prod')?.({ env: 'prod', ok: false, time: '12.5', output: 'cdk-nag: AwsSolutions-IAM5' });
    finish.get('dev')?.({ env: 'dev', ok: true, time: '13.0', output: '' });
    expect(await run).toEqual(['prod']);
    expect(lines.slice(5)).toEqual([
      'ERR cdk-nag: AwsSolutions-IAM5',
      'FAIL prod     12.5 s  -> cdk.out/prod',
      'ok   dev      13.0 s  -> cdk.out/dev',
      'total    42.0 s',
    ]);
  });
});
