// npm run rotate -- --env <dev|staging|prod> (--twilio <AccountSid> | --admin) [--revoke-previous]
// Rotates one Signalgate secret now with the operator's AWS credentials; with --revoke-previous the
// old value stops verifying at once instead of after the grace (docs/RUNBOOK.md#emergency-rotation).

import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SecretName } from '../lambda/shared/names.js';
import { loadConfig } from '../lib/config/index.js';
import { emergencyRotation } from './rotate/emergency-rotation.js';

const USAGE =
  'usage: npm run rotate -- --env <dev|staging|prod> (--twilio <AccountSid> | --admin) [--revoke-previous]';

export interface RotateArgs {
  readonly env: string;
  readonly target: { readonly kind: 'twilio'; readonly accountSid: string } | { readonly kind: 'admin' };
  readonly revokePrevious: boolean;
}

/** Parses the command line; throws one line naming what is wrong. */
export function parseRotateArgs(argv: readonly string[]): RotateArgs {
  let env: string | undefined;
  let twilio: string | undefined;
  let admin = false;
  let revokePrevious = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--env') env = argv[++i];
    else if (arg === '--twilio') twilio = argv[++i];
    else if (arg === '--admin') admin = true;
    else if (arg === '--revoke-previous') revokePrevious = true;
    else throw new Error(`unknown argument ${arg}; ${USAGE}`);
  }
  if (!env) throw new Error(`--env is required; ${USAGE}`);
  if ((twilio === undefined) === !admin)
    throw new Error(`give exactly one of --twilio <AccountSid> or --admin; ${USAGE}`);
  if (twilio !== undefined && !/^AC[0-9a-f]{32}$/.test(twilio))
    throw new Error('--twilio needs an Account SID (AC + 32 lowercase hex)');
  return {
    env,
    target: twilio !== undefined ? { kind: 'twilio', accountSid: twilio } : { kind: 'admin' },
    revokePrevious,
  };
}

/** The secret a target names, checked against the environment's config. */
export function secretIdFor(args: RotateArgs, configuredSids: readonly string[]): string {
  if (args.target.kind === 'admin') return SecretName.adminToken(args.env);
  if (!configuredSids.includes(args.target.accountSid))
    throw new Error(
      `${args.target.accountSid} is not a Twilio account of ${args.env} (lib/config/${args.env}.ts)`,
    );
  return SecretName.twilioAuthToken(args.env, args.target.accountSid);
}

async function main(): Promise<void> {
  const args = parseRotateArgs(process.argv.slice(2));
  const config = loadConfig(args.env);
  const secretId = secretIdFor(args, config.twilio.accountSids);
  const report = await emergencyRotation(new SecretsManagerClient({ region: config.region }), {
    secretId,
    revokePrevious: args.revokePrevious,
  });
  process.stdout.write(
    `rotated ${report.secretId}: version ${report.newVersionId} is current; ${
      report.previousRevoked
        ? `previous version ${report.previousVersionId} revoked (AWSPREVIOUS removed)`
        : 'the previous value stays valid for the configured grace'
    }\n`,
  );
}

if (process.argv[1]?.endsWith('rotate.ts')) {
  main().catch((error: Error) => {
    process.stderr.write(`rotate: ${error.message}\n`);
    process.exit(1);
  });
}
