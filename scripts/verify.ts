// `npm run verify -- --env <name>` (a deployment in AWS, with the operator's credentials) or
// `npm run verify -- --url <base URL>` (the local stack or any URL): checks it end to end, prints a ✓/✗
// checklist and exits 1 on any ✗. Never prints a token.
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { WAFV2Client } from '@aws-sdk/client-wafv2';
import { ENV_NAMES, isEnvName, loadConfig } from '../lib/config/index.js';
import { type Check, runChecklist } from './verify/checklist.js';
import { buildChecks } from './verify/verify-checks.js';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      env: { type: 'string' },
      url: { type: 'string' },
      'config-file': { type: 'string' },
      region: { type: 'string' },
    },
    strict: true,
  });
  if ((values.env === undefined) === (values.url === undefined)) {
    console.error(`verify: pass --env <${ENV_NAMES.join('|')}> or --url <base URL> (one of them)`);
    return 2;
  }
  let checks: Check[];
  if (values.env !== undefined) {
    const envName = values.env;
    if (!isEnvName(envName)) {
      console.error(`verify: unknown environment "${envName}": expected one of ${ENV_NAMES.join(', ')}`);
      return 2;
    }
    const root = path.resolve(__dirname, '..');
    const given = values['config-file'];
    const config = loadConfig(envName, {
      file: given
        ? { path: path.resolve(given), label: given, required: true }
        : {
            path: path.join(root, 'config', `${envName}.json`),
            label: `config/${envName}.json`,
            required: false,
          },
    });
    // Each client gives up after 10 s without a connection rather than hanging on a blocked network.
    // --region wins over the config, as -c region=… did at deploy time.
    const clientConfig = {
      region: values.region ?? config.region,
      requestHandler: { connectionTimeout: 10_000 },
    };
    checks = buildChecks({
      kind: 'aws',
      envName,
      clients: {
        cloudFormation: new CloudFormationClient(clientConfig),
        secretsManager: new SecretsManagerClient(clientConfig),
        cloudWatch: new CloudWatchClient(clientConfig),
        wafv2: new WAFV2Client(clientConfig),
      },
    });
  } else {
    checks = buildChecks({ kind: 'url', url: String(values.url), env: process.env, cwd: process.cwd() });
  }
  const started = Date.now();
  const results = await runChecklist(checks, (line) => console.log(line));
  const failed = results.filter((r) => !r.ok).length;
  console.log(
    `${failed === 0 ? 'all' : `${failed} of`} ${results.length} checks ${failed === 0 ? 'passed' : 'failed'} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  return failed === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    // One line, no stack trace; no message above carries a token.
    console.error(`verify: ${error.message}`);
    process.exit(1);
  },
);
