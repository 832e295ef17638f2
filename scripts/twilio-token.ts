// `npm run twilio-token -- --env <name> [--account-sid AC…] [--config-file F]`: sets the Twilio auth token of an environment's
// secret with the operator's AWS credentials, read without echo from the terminal or from a pipe.
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ENV_NAMES, isEnvName, loadConfig } from '../lib/config/index.js';
import { readSecretLine } from './twilio-token/read-secret-input.js';
import { chooseAccountSid, setTwilioToken } from './twilio-token/set-twilio-token.js';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      env: { type: 'string' },
      region: { type: 'string' },
      'account-sid': { type: 'string' },
      'config-file': { type: 'string' },
    },
    strict: true,
  });
  const envName = values.env;
  if (!isEnvName(envName)) throw new Error(`pass --env <${ENV_NAMES.join('|')}>`);
  const root = path.resolve(__dirname, '..');
  // The same user values the CDK app reads: config/<env>.json, or the file named like -c configFile.
  const given = values['config-file'];
  const file = given
    ? { path: path.resolve(given), label: given, required: true }
    : {
        path: path.join(root, 'config', `${envName}.json`),
        label: `config/${envName}.json`,
        required: false,
      };
  const config = loadConfig(envName, { file });
  const accountSid = chooseAccountSid(config.envName, config.twilio.accountSids, values['account-sid']);
  const token = await readSecretLine(
    process.stdin,
    process.stderr,
    `Twilio auth token of ${accountSid} (${config.envName}, not echoed): `,
  );
  // --region wins over the config, as -c region=… did at deploy time.
  const client = new SecretsManagerClient({ region: values.region ?? config.region });
  const { secretName, versionId } = await setTwilioToken(client, {
    envName: config.envName,
    accountSid,
    token,
  });
  console.log(
    `stored in ${secretName} (version ${versionId ?? 'unknown'}); the webhook picks it up within ${config.secretCacheSeconds} s`,
  );
}

main().catch((error: Error) => {
  // One line, no stack trace, never the token (no message above contains it).
  console.error(`twilio-token: ${error.message}`);
  process.exit(1);
});
