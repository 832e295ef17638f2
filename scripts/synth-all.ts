// `npm run synth`: synthesises every environment offline through the CDK CLI (cdk-nag included) and prints the times.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { ENV_NAMES } from '../lib/config/index.js';

const root = path.resolve(__dirname, '..');
const cdk = path.join(root, 'node_modules', '.bin', 'cdk');
const seconds = (startNs: bigint) => (Number(process.hrtime.bigint() - startNs) / 1e9).toFixed(1);

const total = process.hrtime.bigint();
const failed: string[] = [];
for (const env of ENV_NAMES) {
  const start = process.hrtime.bigint();
  const result = spawnSync(
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
    // No credentials or lookups are needed; an empty profile makes any accidental AWS call fail fast.
    {
      cwd: root,
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, AWS_EC2_METADATA_DISABLED: 'true' },
    },
  );
  const ok = result.status === 0;
  if (!ok) failed.push(env);
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${env.padEnd(8)} ${seconds(start)} s  -> cdk.out/${env}`);
}
console.log(`total    ${seconds(total)} s`);
if (failed.length > 0) {
  console.error(`synth failed for: ${failed.join(', ')}`);
  process.exit(1);
}
