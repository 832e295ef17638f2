// `npm run synth`: synthesises every environment offline through the CDK CLI (cdk-nag included) and prints the times.
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { ENV_NAMES } from '../lib/config/index.js';

const root = path.resolve(__dirname, '..');
const cdk = path.join(root, 'node_modules', '.bin', 'cdk');
const seconds = (startNs: bigint) => (Number(process.hrtime.bigint() - startNs) / 1e9).toFixed(1);

/** One `cdk synth` into cdk.out/<env>; its output is shown only when it fails. */
function synth(env: string): Promise<{ env: string; ok: boolean; time: string; output: string }> {
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
  // The environments are independent; in parallel the wall time is about that of the slowest.
  const results = await Promise.all(ENV_NAMES.map(synth));
  for (const r of results) {
    if (!r.ok) console.error(r.output);
    console.log(`${r.ok ? 'ok  ' : 'FAIL'} ${r.env.padEnd(8)} ${r.time} s  -> cdk.out/${r.env}`);
  }
  console.log(`total    ${seconds(total)} s`);
  const failed = results.filter((r) => !r.ok).map((r) => r.env);
  if (failed.length > 0) {
    console.error(`synth failed for: ${failed.join(', ')}`);
    process.exit(1);
  }
}

void main();
