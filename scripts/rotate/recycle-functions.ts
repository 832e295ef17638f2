// Retires every warm execution environment of the functions that cache a revoked secret, so none keeps the old
// value as current (docs/RUNBOOK.md#emergency-rotation). A configuration change is how Lambda is told to do it:
// "While a function update is in progress, invocations go to the function's previous code and configuration"
// and once LastUpdateStatus is Successful "the function is processing events with the new configuration"
// (https://docs.aws.amazon.com/lambda/latest/dg/functions-states.html#functions-states-updating,
// https://docs.aws.amazon.com/lambda/latest/api/API_UpdateFunctionConfiguration.html). So the old value is
// revoked everywhere when this returns, not when the update call returns: we wait for Successful.

import {
  GetFunctionConfigurationCommand,
  type GetFunctionConfigurationCommandOutput,
  type LambdaClient,
  UpdateFunctionConfigurationCommand,
  waitForFunctionUpdatedV2,
} from '@aws-sdk/client-lambda';
import { EnvVar } from '../../lambda/shared/names.js';

/** A function could not be given the new configuration: its warm instances may still hold the old value. */
export class FunctionRecycleError extends Error {
  constructor(
    readonly functionName: string,
    reason: string,
  ) {
    super(`${functionName} was not updated (${reason})`);
    this.name = 'FunctionRecycleError';
  }
}

export interface RecycleOptions {
  /** How long to wait for one function's update to finish (Lambda: up to a minute in a VPC). @default 300 */
  readonly maxWaitSeconds?: number;
  /** Attempts when another update is under way or the function changed between read and write. @default 3 */
  readonly attempts?: number;
}

type Client = Pick<LambdaClient, 'send'>;

/** Errors that mean "someone else changed or is changing the function": wait for it, read again, retry. */
const RETRYABLE = new Set(['ResourceConflictException', 'PreconditionFailedException']);

async function waitUpdated(client: Client, functionName: string, maxWaitSeconds: number): Promise<void> {
  const result = await waitForFunctionUpdatedV2(
    { client: client as LambdaClient, maxWaitTime: maxWaitSeconds, minDelay: 1, maxDelay: 5 },
    { FunctionName: functionName },
  );
  // WaiterState values (@smithy/core, not a dependency of ours): SUCCESS, FAILURE, RETRY, TIMEOUT, ABORTED.
  const state: string = result.state;
  if (state === 'SUCCESS') return;
  // The waiter's reason is a GetFunction answer (with a presigned code URL): report only the status reason.
  const reason = (result.reason as { Configuration?: { LastUpdateStatusReason?: string } } | undefined)
    ?.Configuration?.LastUpdateStatusReason;
  throw new FunctionRecycleError(
    functionName,
    state === 'FAILURE'
      ? `LastUpdateStatus Failed${reason ? `: ${reason}` : ''}`
      : `the update did not finish within ${maxWaitSeconds} s`,
  );
}

/** Variables with the epoch set, every other variable kept (UpdateFunctionConfiguration replaces the map). */
function mergedVariables(
  functionName: string,
  config: GetFunctionConfigurationCommandOutput,
  epoch: string,
): Record<string, string> {
  // With an Environment.Error Lambda returns no Variables: writing ours would erase the real ones.
  if (config.Environment?.Error)
    throw new FunctionRecycleError(
      functionName,
      `its environment cannot be read: ${config.Environment.Error.ErrorCode ?? 'error'}`,
    );
  return { ...(config.Environment?.Variables ?? {}), [EnvVar.secretsEpoch]: epoch };
}

async function recycleOne(
  client: Client,
  functionName: string,
  epoch: string,
  options: Required<RecycleOptions>,
): Promise<void> {
  try {
    await updateAndWait(client, functionName, epoch, options);
  } catch (error) {
    // Only the error's name: a message could quote the request (the function's variables).
    throw error instanceof FunctionRecycleError
      ? error
      : new FunctionRecycleError(functionName, (error as Error).name);
  }
}

async function updateAndWait(
  client: Client,
  functionName: string,
  epoch: string,
  options: Required<RecycleOptions>,
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const config = await client.send(new GetFunctionConfigurationCommand({ FunctionName: functionName }));
    if (config.LastUpdateStatus === 'InProgress') {
      await waitUpdated(client, functionName, options.maxWaitSeconds);
      continue;
    }
    const variables = mergedVariables(functionName, config, epoch);
    try {
      await client.send(
        new UpdateFunctionConfigurationCommand({
          FunctionName: functionName,
          // Fails with PreconditionFailedException if the function changed since the read: no lost update.
          ...(config.RevisionId ? { RevisionId: config.RevisionId } : {}),
          Environment: { Variables: variables },
        }),
      );
    } catch (error) {
      const name = (error as Error).name;
      if (!RETRYABLE.has(name)) throw new FunctionRecycleError(functionName, name);
      if (attempt >= options.attempts)
        throw new FunctionRecycleError(functionName, `${name} after ${attempt} attempts`);
      await waitUpdated(client, functionName, options.maxWaitSeconds);
      continue;
    }
    await waitUpdated(client, functionName, options.maxWaitSeconds);
    return;
  }
}

/**
 * Sets `SIGNALGATE_SECRETS_EPOCH` on each function (all at once, to keep the window short) and waits until each
 * update is Successful. After trying every function, rejects with FunctionsNotRecycledError naming each failure.
 */
export async function recycleFunctions(
  client: Client,
  functionNames: readonly string[],
  epoch: string,
  options: RecycleOptions = {},
): Promise<void> {
  const resolved = { maxWaitSeconds: options.maxWaitSeconds ?? 300, attempts: options.attempts ?? 3 };
  const results = await Promise.allSettled(
    functionNames.map((name) => recycleOne(client, name, epoch, resolved)),
  );
  const failed = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as FunctionRecycleError] : []));
  if (failed.length > 0) throw new FunctionsNotRecycledError(failed);
}

/** One or more functions kept their old configuration; each is named with its reason. */
export class FunctionsNotRecycledError extends Error {
  readonly functionNames: readonly string[];
  constructor(readonly failures: readonly FunctionRecycleError[]) {
    super(failures.map((f) => f.message).join('; '));
    this.name = 'FunctionsNotRecycledError';
    this.functionNames = failures.map((f) => f.functionName);
  }
}
