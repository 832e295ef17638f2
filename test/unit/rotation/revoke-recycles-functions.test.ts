// npm run rotate -- … --revoke-previous retires the warm instances of every function that caches the secret:
// Lambda sends invocations to the previous configuration while an update is InProgress and to the new one once
// LastUpdateStatus is Successful (docs.aws.amazon.com/lambda/latest/dg/functions-states.html), so the command
// updates each function's variables (merged: UpdateFunctionConfiguration replaces the whole map) after the
// secret is revoked, and reports success only once every update is Successful.
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  GetFunctionCommand,
  GetFunctionConfigurationCommand,
  LambdaClient,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import {
  DescribeSecretCommand,
  RotateSecretCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../lib/config/index.js';
import { runRotate } from '../../../scripts/rotate.js';

const SID = 'AC0123456789abcdef0123456789abcdef';
const ADMIN_FN = 'signalgate-dev-api-Admin1A2B3C-abcdef012345';
const WEBHOOK_FN = 'signalgate-dev-api-Webhook4D5E6F-0123456789ab';
const CANARY_FN = 'signalgate-dev-api-Canary7A8B9C-fedcba987654';
/** Stands for anything sensitive a client error or a function's configuration could carry. */
const SENTINEL = 'do-not-print-9f8e7d6c5b4a';

const secretsManager = new SecretsManagerClient({ region: 'eu-west-1' });
const cloudFormation = new CloudFormationClient({ region: 'eu-west-1' });
const lambda = new LambdaClient({ region: 'eu-west-1' });
const sm = mockClient(secretsManager);
const cfn = mockClient(cloudFormation);
const fn = mockClient(lambda);

/** Every call of the three clients, in order. */
let log: string[];
let stdout: string[];
let stderr: string[];

const outputs = (extra: Record<string, string> = {}) => ({
  Stacks: [
    {
      StackName: 'signalgate-dev-api',
      CreationTime: new Date(0),
      StackStatus: 'UPDATE_COMPLETE' as const,
      Outputs: Object.entries({
        WebhookFunctionName: WEBHOOK_FN,
        AdminFunctionName: ADMIN_FN,
        ...extra,
      }).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
    },
  ],
});

function rotatingSecret(): void {
  let phase = 0; // 0 before RotateSecret, 1 rotated, 2 previous removed
  sm.on(DescribeSecretCommand).callsFake(() => {
    log.push('sm:DescribeSecret');
    const stages: Record<string, string[]> =
      phase === 0
        ? { v0: ['AWSCURRENT'] }
        : phase === 1
          ? { v0: ['AWSPREVIOUS'], v1: ['AWSCURRENT'] }
          : { v0: [], v1: ['AWSCURRENT'] };
    return { RotationEnabled: true, VersionIdsToStages: stages };
  });
  sm.on(RotateSecretCommand).callsFake(() => {
    log.push('sm:RotateSecret');
    phase = 1;
    return { VersionId: 'v1' };
  });
  sm.on(UpdateSecretVersionStageCommand).callsFake((input) => {
    log.push(`sm:UpdateSecretVersionStage remove ${input.VersionStage} from ${input.RemoveFromVersionId}`);
    phase = 2;
    return {};
  });
}

function functionConfig(name: string, revision: string): Record<string, unknown> {
  return {
    FunctionName: name,
    RevisionId: revision,
    LastUpdateStatus: 'Successful',
    Environment: {
      Variables: {
        SIGNALGATE_ENV: 'dev',
        ADMIN_HOLDERS: `{"privacy-2":{"role":"privacy","secretArn":"arn:aws:secretsmanager:eu-west-1:111122223333:secret:${SENTINEL}"}}`,
        SECRET_CACHE_SECONDS: '300',
      },
    },
  };
}

const run = (argv: string[]) =>
  runRotate(
    argv,
    (env) => loadConfig(env, { values: { twilio: { accountSids: [SID] } } }),
    () => ({ secretsManager, cloudFormation, lambda }),
    { stdout: (l) => stdout.push(l), stderr: (l) => stderr.push(l) },
    {
      rotation: {
        sleep: async (ms) => {
          log.push(`sleep ${ms}`);
        },
      },
      recycle: { maxWaitSeconds: 2 },
    },
  );

beforeEach(() => {
  sm.reset();
  cfn.reset();
  fn.reset();
  log = [];
  stdout = [];
  stderr = [];
  rotatingSecret();
  cfn.on(DescribeStacksCommand).callsFake((input) => {
    log.push(`cfn:DescribeStacks ${input.StackName}`);
    return outputs({ CanaryFunctionName: CANARY_FN });
  });
  fn.on(GetFunctionConfigurationCommand).callsFake((input) => {
    log.push(`lambda:GetFunctionConfiguration ${input.FunctionName}`);
    return functionConfig(input.FunctionName, 'rev-1');
  });
  fn.on(UpdateFunctionConfigurationCommand).callsFake((input) => {
    log.push(`lambda:UpdateFunctionConfiguration ${input.FunctionName}`);
    return { FunctionName: input.FunctionName, LastUpdateStatus: 'InProgress' };
  });
  fn.on(GetFunctionCommand).callsFake((input) => {
    log.push(`lambda:GetFunction ${input.FunctionName}`);
    return { Configuration: { FunctionName: input.FunctionName, LastUpdateStatus: 'Successful' } };
  });
});

describe('npm run rotate -- --revoke-previous retires warm instances', () => {
  it('updates the admin and canary functions with their variables merged, after AWSPREVIOUS is removed, and waits for Successful', async () => {
    expect(await run(['--env', 'dev', '--admin', 'privacy-2', '--revoke-previous'])).toBe(0);

    const updates = fn.commandCalls(UpdateFunctionConfigurationCommand).map((c) => c.args[0].input);
    const merged = (name: string) => ({
      FunctionName: name,
      RevisionId: 'rev-1',
      Environment: {
        Variables: {
          SIGNALGATE_ENV: 'dev',
          ADMIN_HOLDERS: `{"privacy-2":{"role":"privacy","secretArn":"arn:aws:secretsmanager:eu-west-1:111122223333:secret:${SENTINEL}"}}`,
          SECRET_CACHE_SECONDS: '300',
          SIGNALGATE_SECRETS_EPOCH: 'v1',
        },
      },
    });
    expect(updates).toEqual([merged(ADMIN_FN), merged(CANARY_FN)]);
    expect(sm.commandCalls(RotateSecretCommand)[0]?.args[0].input).toEqual({
      SecretId: 'signalgate/dev/admin-credential/privacy-2',
      RotateImmediately: true,
    });
    // The outputs are read before anything changes; the functions are updated only once the old value is revoked.
    expect(log[0]).toBe('cfn:DescribeStacks signalgate-dev-api');
    const revoked = log.indexOf('sm:UpdateSecretVersionStage remove AWSPREVIOUS from v0');
    expect(revoked).toBeGreaterThan(0);
    expect(log.findIndex((l) => l.startsWith('lambda:'))).toBeGreaterThan(revoked);
    for (const name of [ADMIN_FN, CANARY_FN]) {
      expect(log.lastIndexOf(`lambda:GetFunction ${name}`)).toBeGreaterThan(
        log.indexOf(`lambda:UpdateFunctionConfiguration ${name}`),
      );
    }
    expect(log.some((l) => l.includes(WEBHOOK_FN))).toBe(false);
    // The admin token has no service to switch over: revoked as soon as the new version is current.
    expect(log.filter((l) => l.startsWith('sleep'))).toEqual([]);
    expect(stdout.at(-1)).toContain(`retired the warm instances of ${ADMIN_FN}, ${CANARY_FN}`);
    expect(stderr).toEqual([]);
  });

  it('updates the webhook for a Twilio token, and only it where there is no canary', async () => {
    cfn.on(DescribeStacksCommand).resolves(outputs());
    expect(await run(['--env', 'dev', '--twilio', SID, '--revoke-previous'])).toBe(0);
    expect(
      fn.commandCalls(UpdateFunctionConfigurationCommand).map((c) => c.args[0].input.FunctionName),
    ).toEqual([WEBHOOK_FN]);
    expect(sm.commandCalls(RotateSecretCommand)[0]?.args[0].input.SecretId).toBe(
      `signalgate/dev/twilio-auth-token/${SID}`,
    );
    // Twilio signs with the old token until the rotation function promotes the new one, 20 s after
    // AWSCURRENT moved: the old token is revoked only 40 s (20 s of margin) after that, never before.
    const revoked = log.indexOf('sm:UpdateSecretVersionStage remove AWSPREVIOUS from v0');
    expect(log.slice(revoked - 3, revoked)).toEqual([
      'sm:DescribeSecret',
      'sleep 40000',
      'sm:DescribeSecret',
    ]);
  });

  it('revokes nothing when AWSCURRENT moves on during the Twilio switch-over', async () => {
    cfn.on(DescribeStacksCommand).resolves(outputs());
    let rotated = false;
    sm.on(RotateSecretCommand).callsFake(() => {
      rotated = true;
      return { VersionId: 'v1' };
    });
    // Another rotation finishes while the command waits: v2 is current when it looks again.
    sm.on(DescribeSecretCommand).callsFake(() => ({
      RotationEnabled: true,
      VersionIdsToStages: !rotated
        ? { v0: ['AWSCURRENT'] }
        : log.includes('sleep 40000')
          ? { v1: ['AWSPREVIOUS'], v2: ['AWSCURRENT'] }
          : { v0: ['AWSPREVIOUS'], v1: ['AWSCURRENT'] },
    }));
    expect(await run(['--env', 'dev', '--twilio', SID, '--revoke-previous'])).toBe(1);
    expect(stderr).toEqual([
      `rotate: signalgate/dev/twilio-auth-token/${SID}: AWSCURRENT moved off version v1 meanwhile; nothing was revoked`,
    ]);
    expect(sm.commandCalls(UpdateSecretVersionStageCommand)).toHaveLength(0);
    expect(fn.calls()).toHaveLength(0);
  });

  it('reports success only after an InProgress update turns Successful', async () => {
    let polls = 0;
    fn.on(GetFunctionCommand).callsFake((input) => {
      log.push(`lambda:GetFunction ${input.FunctionName}`);
      polls++;
      return { Configuration: { LastUpdateStatus: polls <= 2 ? 'InProgress' : 'Successful' } };
    });
    cfn.on(DescribeStacksCommand).resolves(outputs());
    expect(await run(['--env', 'dev', '--admin', 'privacy-2', '--revoke-previous'])).toBe(0);
    expect(log.filter((l) => l === `lambda:GetFunction ${ADMIN_FN}`)).toHaveLength(3);
  }, 20_000);

  it('waits out an update already under way (ResourceConflictException) and retries on the new revision', async () => {
    cfn.on(DescribeStacksCommand).resolves(outputs());
    let reads = 0;
    fn.on(GetFunctionConfigurationCommand).callsFake((input) =>
      functionConfig(input.FunctionName, `rev-${++reads}`),
    );
    let updates = 0;
    fn.on(UpdateFunctionConfigurationCommand).callsFake(() => {
      if (++updates === 1)
        throw Object.assign(new Error('The operation cannot be performed at this time.'), {
          name: 'ResourceConflictException',
        });
      return { LastUpdateStatus: 'InProgress' };
    });
    expect(await run(['--env', 'dev', '--admin', 'privacy-2', '--revoke-previous'])).toBe(0);
    const calls = fn.commandCalls(UpdateFunctionConfigurationCommand).map((c) => c.args[0].input.RevisionId);
    expect(calls).toEqual(['rev-1', 'rev-2']);
  });

  it('exits 1 naming the function, says the old value may still be accepted, and prints no secret when an update fails', async () => {
    fn.on(UpdateFunctionConfigurationCommand).callsFake((input) => {
      if (input.FunctionName === CANARY_FN) return { LastUpdateStatus: 'InProgress' };
      throw Object.assign(new Error(`User is not authorized ... ${SENTINEL}`), {
        name: 'AccessDeniedException',
      });
    });
    expect(await run(['--env', 'dev', '--admin', 'privacy-2', '--revoke-previous'])).toBe(1);
    expect(stderr).toHaveLength(1);
    expect(stderr[0]).toContain(`${ADMIN_FN} was not updated (AccessDeniedException)`);
    expect(stderr[0]).toContain('warm instances may still accept the old value');
    expect(stderr[0]).not.toContain(CANARY_FN);
    expect(`${stdout.join('\n')}${stderr.join('\n')}`).not.toContain(SENTINEL);
    expect(stdout.join('\n')).not.toContain('retired');
  });

  it('exits 1 when Lambda marks the update Failed', async () => {
    cfn.on(DescribeStacksCommand).resolves(outputs());
    fn.on(GetFunctionCommand).resolves({
      Configuration: { LastUpdateStatus: 'Failed', LastUpdateStatusReason: 'KMS key is disabled' },
    });
    expect(await run(['--env', 'dev', '--admin', 'privacy-2', '--revoke-previous'])).toBe(1);
    expect(stderr[0]).toContain(`${ADMIN_FN} was not updated (LastUpdateStatus Failed: KMS key is disabled)`);
  });

  it('exits 1 when the update is still InProgress after the wait', async () => {
    cfn.on(DescribeStacksCommand).resolves(outputs());
    fn.on(GetFunctionCommand).resolves({ Configuration: { LastUpdateStatus: 'InProgress' } });
    expect(await run(['--env', 'dev', '--admin', 'privacy-2', '--revoke-previous'])).toBe(1);
    expect(stderr[0]).toContain(`${ADMIN_FN} was not updated (the update did not finish within 2 s)`);
  }, 20_000);

  it('never overwrites variables it cannot read (Environment.Error)', async () => {
    cfn.on(DescribeStacksCommand).resolves(outputs());
    fn.on(GetFunctionConfigurationCommand).resolves({
      RevisionId: 'rev-1',
      LastUpdateStatus: 'Successful',
      Environment: { Error: { ErrorCode: 'KMSAccessDeniedException', Message: SENTINEL } },
    });
    expect(await run(['--env', 'dev', '--admin', 'privacy-2', '--revoke-previous'])).toBe(1);
    expect(fn.commandCalls(UpdateFunctionConfigurationCommand)).toHaveLength(0);
    expect(stderr[0]).toContain('its environment cannot be read: KMSAccessDeniedException');
    expect(stderr[0]).not.toContain(SENTINEL);
  });

  it('changes nothing when the stack has no function-name output', async () => {
    cfn.on(DescribeStacksCommand).resolves(outputs({ AdminFunctionName: '' }));
    expect(await run(['--env', 'dev', '--admin', 'privacy-2', '--revoke-previous'])).toBe(1);
    expect(stderr).toEqual([
      'rotate: signalgate-dev-api has no AdminFunctionName output: deploy the current version first (nothing was changed)',
    ]);
    expect(sm.commandCalls(RotateSecretCommand)).toHaveLength(0);
  });

  it('touches no function without --revoke-previous', async () => {
    expect(await run(['--env', 'dev', '--admin', 'privacy-2'])).toBe(0);
    expect(fn.calls()).toHaveLength(0);
    expect(cfn.calls()).toHaveLength(0);
  });
});
