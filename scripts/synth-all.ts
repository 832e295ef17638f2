// `npm run synth`: synthesises every environment offline through the CDK CLI (cdk-nag included), printing which
// environment it is synthesizing and each one's result and time as soon as it ends.
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { ENV_NAMES } from '../lib/config/index.js';
import { type SynthResult, synthAll } from './synth/synth-all.js';

const root = path.resolve(__dirname, '..');
const cdk = path.join(root, 'node_modules', '.bin', 'cdk');
const seconds = (startNs: bigint) => (Number(process.hrtime.bigint() - startNs) / 1e9).toFixed(1);

/** One `cdk synth` into cdk.out/<env>; its output is shown only when it fails. */
function synth(env: string): Promise<SynthResult> {
  const start = process.hrtime.bigint();
  return new Promise((resolve) => {
    const child = spawn(
      cdk,
      [
        'synth',
        '--quiet',
        '--no-notices',
        '--no-version-reporting',
        '-c',
        `env=${env}`,
        '-o',
        `cdk.out/${env}`,
      ],
      // Nothing needs AWS: no credentials, no instance metadata probing.
      { cwd: root, env: { ...process.env, AWS_EC2_METADATA_DISABLED: 'true' } },
    );
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    child.on('close', (code) => resolve({ env, ok: code === 0, time: seconds(start), output }));
  });
}

async function main(): Promise<void> {
  const total = process.hrtime.bigint();
  const failed = await synthAll(ENV_NAMES, {
    synth,
    log: (line) => console.log(line),
    error: (line) => console.error(line),
    seconds: () => seconds(total),
  });
  if (failed.length > 0) {
    console.error(`synth failed for: ${failed.join(', ')}`);
    process.exit(1);
  }
}

void main();
