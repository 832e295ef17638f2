// npm run rotate -- --env <dev|staging|prod> (--twilio <AccountSid> | --admin <holder>) [--revoke-previous]
// Rotates one Signalgate secret now with the operator's AWS credentials; with --revoke-previous the
// old value stops verifying at once instead of after the grace, and the functions that cache it get a new
// configuration so that Lambda retires their warm instances (docs/RUNBOOK.md#emergency-rotation).

import path from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PROMOTION_DELAY_MS } from '../lambda/rotate-twilio-token/twilio-token-rotation.js';
import { EnvVar, SecretName } from '../lambda/shared/names.js';
import { adminHoldersOf, type EnvConfig, loadConfig } from '../lib/config/index.js';
import { REPO_ROOT } from '../lib/paths.js';
import { OutputKey, stackName } from '../lib/stack-names.js';
import { type EmergencyRotationOptions, emergencyRotation } from './rotate/emergency-rotation.js';
import {
  FunctionsNotRecycledError,
  type RecycleOptions,
  recycleFunctions,
} from './rotate/recycle-functions.js';

const USAGE =
  'usage: npm run rotate -- --env <dev|staging|prod> (--twilio <AccountSid> | --admin <holder>) [--revoke-previous]';

export interface RotateArgs {
  readonly env: string;
  readonly target:
    | { readonly kind: 'twilio'; readonly accountSid: string }
    | { readonly kind: 'admin'; readonly holder: string };
  readonly revokePrevious: boolean;
}

/** Parses the command line; throws one line naming what is wrong. */
export function parseRotateArgs(argv: readonly string[]): RotateArgs {
  let env: string | undefined;
  let twilio: string | undefined;
  let admin: string | undefined;
  let revokePrevious = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--env') env = argv[++i];
    else if (arg === '--twilio') twilio = argv[++i];
    else if (arg === '--admin') {
      const next = argv[i + 1];
      admin = next !== undefined && !next.startsWith('--') ? argv[++i] : '';
    } else if (arg === '--revoke-previous') revokePrevious = true;
    else throw new Error(`unknown argument ${arg}; ${USAGE}`);
  }
  if (!env) throw new Error(`--env is required; ${USAGE}`);
  if ((twilio === undefined) === (admin === undefined))
    throw new Error(`give exactly one of --twilio <AccountSid> or --admin <holder>; ${USAGE}`);
  if (admin !== undefined && (admin === '' || admin.startsWith('--')))
    throw new Error(`--admin needs a holder id (config admin.holders); ${USAGE}`);
  if (twilio !== undefined && !/^AC[0-9a-f]{32}$/.test(twilio))
    throw new Error('--twilio needs an Account SID (AC + 32 lowercase hex)');
  return {
    env,
    target:
      twilio !== undefined
        ? { kind: 'twilio', accountSid: twilio }
        : { kind: 'admin', holder: admin as string },
    revokePrevious,
  };
}

/** The secret a target names, checked against the environment's config. */
export function secretIdFor(
  args: RotateArgs,
  config: Pick<EnvConfig, 'admin' | 'canary' | 'twilio'>,
): string {
  if (args.target.kind === 'admin') {
    const holder = args.target.holder;
    if (!adminHoldersOf(config).some((h) => h.id === holder))
      throw new Error(
        `${holder} is not an admin holder of ${args.env} (admin.holders in lib/config/${args.env}.ts)`,
      );
    return SecretName.adminCredential(args.env, holder);
  }
  if (!config.twilio.accountSids.includes(args.target.accountSid))
    throw new Error(
      `${args.target.accountSid} is not a Twilio account of ${args.env} (lib/config/${args.env}.ts)`,
    );
  return SecretName.twilioAuthToken(args.env, args.target.accountSid);
}

/**
 * Twilio keeps signing with the old token until the rotation function promotes the new one, PROMOTION_DELAY_MS
 * after AWSCURRENT moved (lambda/rotate-twilio-token); the margin covers Twilio's promotion call. Revoking
 * sooner would refuse genuine webhooks, which Twilio does not retry after a 4xx.
 */
export const TWILIO_SWITCH_OVER_MS = PROMOTION_DELAY_MS + 20_000;

/** The AWS clients the command uses (injected by tests). */
export interface RotateClients {
  readonly secretsManager: Pick<SecretsManagerClient, 'send'>;
  readonly cloudFormation: Pick<CloudFormationClient, 'send'>;
  readonly lambda: Pick<LambdaClient, 'send'>;
}

/**
 * The functions whose warm instances cache the target's secret, from the api stack's outputs: the webhook
 * (Twilio tokens) or the admin function (admin credentials), and the canary where it exists (it reads both).
 */
export async function functionsCaching(
  args: RotateArgs,
  cloudFormation: RotateClients['cloudFormation'],
): Promise<string[]> {
  const stack = stackName(args.env, 'api');
  let outputs: Record<string, string>;
  try {
    const described = await cloudFormation.send(new DescribeStacksCommand({ StackName: stack }));
    outputs = Object.fromEntries(
      (described.Stacks?.[0]?.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']),
    );
  } catch (error) {
    throw new Error(`cannot read the outputs of ${stack}: ${(error as Error).name} (nothing was changed)`);
  }
  const key = args.target.kind === 'twilio' ? OutputKey.webhookFunctionName : OutputKey.adminFunctionName;
  const main = outputs[key];
  if (!main)
    throw new Error(`${stack} has no ${key} output: deploy the current version first (nothing was changed)`);
  const canary = outputs[OutputKey.canaryFunctionName];
  return canary ? [main, canary] : [main];
}

/** Runs the command; returns the exit status. Never writes a secret value: only names and version ids. */
export async function runRotate(
  argv: readonly string[],
  envConfig: (env: string) => EnvConfig,
  clients: (region: string) => RotateClients,
  out: { stdout: (line: string) => void; stderr: (line: string) => void },
  options: { readonly rotation?: Partial<EmergencyRotationOptions>; readonly recycle?: RecycleOptions } = {},
): Promise<number> {
  let stage = 'rotate';
  try {
    const args = parseRotateArgs(argv);
    const config = envConfig(args.env);
    const secretId = secretIdFor(args, config);
    const aws = clients(config.region);
    // Resolved before anything changes, so a missing output stops the command with the secret untouched.
    const functions = args.revokePrevious ? await functionsCaching(args, aws.cloudFormation) : [];
    const report = await emergencyRotation(aws.secretsManager, {
      ...options.rotation,
      secretId,
      revokePrevious: args.revokePrevious,
      ...(args.target.kind === 'twilio' ? { switchOverMs: TWILIO_SWITCH_OVER_MS } : {}),
    });
    out.stdout(
      `rotated ${report.secretId}: version ${report.newVersionId} is current; ${
        report.previousRevoked
          ? `previous version ${report.previousVersionId} revoked (AWSPREVIOUS removed)`
          : 'the previous value stays valid for the configured grace'
      }`,
    );
    if (!args.revokePrevious) return 0;
    stage = 'recycle';
    await recycleFunctions(aws.lambda, functions, report.newVersionId, options.recycle);
    out.stdout(
      `retired the warm instances of ${functions.join(', ')} (${EnvVar.secretsEpoch}=${report.newVersionId}, update Successful): none holds the old value`,
    );
    return 0;
  } catch (error) {
    const message =
      stage === 'recycle' && error instanceof FunctionsNotRecycledError
        ? `the secret is rotated and AWSPREVIOUS removed, but warm instances may still accept the old value for up to secretCacheSeconds: ${error.message}. Run the same command again, or update those functions' configuration by hand (docs/RUNBOOK.md#emergency-rotation)`
        : (error as Error).message;
    out.stderr(`rotate: ${message}`);
    return 1;
  }
}

async function main(): Promise<void> {
  const status = await runRotate(
    process.argv.slice(2),
    // The same user values the CDK app reads (config/<env>.json): the account SIDs and the region are there.
    (env) =>
      loadConfig(env, {
        file: {
          path: path.join(REPO_ROOT, 'config', `${env}.json`),
          label: `config/${env}.json`,
          required: false,
        },
      }),
    (region) => ({
      secretsManager: new SecretsManagerClient({ region }),
      cloudFormation: new CloudFormationClient({ region }),
      lambda: new LambdaClient({ region }),
    }),
    {
      stdout: (line) => process.stdout.write(`${line}\n`),
      stderr: (line) => process.stderr.write(`${line}\n`),
    },
  );
  process.exitCode = status;
}

if (process.argv[1]?.endsWith('rotate.ts')) {
  main().catch((error: Error) => {
    process.stderr.write(`rotate: ${error.name}\n`);
    process.exit(1);
  });
}
