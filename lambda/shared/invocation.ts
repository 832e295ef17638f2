// Which Lambda invocation a log line belongs to: the request id, whether it is the container's first
// (cold start) and its X-Ray trace id. The Lambda entry wraps its handler; every logger reads it.

import { EnvVar } from './names.js';

/** What the wrapper needs of the Lambda context object. */
export interface InvocationContext {
  readonly awsRequestId: string;
  /** Milliseconds until Lambda stops the invocation (the function's timeout); absent outside Lambda. */
  getRemainingTimeInMillis?(): number;
}

/**
 * Kept back from an invocation's deadline for what follows the last AWS call that gives up: the answer
 * (a 503 Twilio retries), its log line and metric. Without it the function would be stopped mid-call and
 * API Gateway would answer 502, with no line saying which call hung.
 */
export const ANSWER_RESERVE_MS = 1000;

/** The fields every log line of an invocation carries. */
export interface InvocationFields {
  readonly awsRequestId: string;
  readonly coldStart: boolean;
  /** The trace header's `Root` (what the X-Ray console and Logs Insights search by); absent untraced. */
  readonly xrayTraceId?: string;
}

// One invocation at a time per container (the Node.js runtime's model), so one slot is enough.
let current: InvocationFields | undefined;
let deadline: number | undefined;

/** The current invocation's fields, or none outside an invocation (init, the local stack, tests). */
export function invocationFields(): InvocationFields | undefined {
  return current;
}

/**
 * When the current invocation's AWS calls must have given up (epoch ms): Lambda's deadline less
 * ANSWER_RESERVE_MS. None outside an invocation or where the context cannot tell (the local stack, tests).
 */
export function invocationDeadline(): number | undefined {
  return deadline;
}

/** `Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1` → `1-5759e988-…`. */
function traceRoot(header: string | undefined): string | undefined {
  return header ? /(?:^|;)Root=([^;]+)/.exec(header)?.[1] : undefined;
}

/**
 * For the Lambda entry: `export const handler = withInvocation(makeXHandler(…))`. The runtime sets the
 * trace header in the environment before each invocation, so it is read per invocation. An environment
 * initialised for provisioned concurrency was warmed before any request: no invocation of it is cold.
 */
export function withInvocation<E, C, R>(
  handler: (event: E, context: C) => Promise<R>,
  env: NodeJS.ProcessEnv = process.env,
  now: () => number = Date.now,
): (event: E, context: C & InvocationContext) => Promise<R> {
  let cold = env[EnvVar.lambdaInitializationType] !== 'provisioned-concurrency';
  return async (event, context) => {
    const xrayTraceId = traceRoot(env[EnvVar.xrayTraceId]);
    current = {
      awsRequestId: context.awsRequestId,
      coldStart: cold,
      ...(xrayTraceId ? { xrayTraceId } : {}),
    };
    cold = false;
    const remaining = context.getRemainingTimeInMillis?.();
    deadline = remaining === undefined ? undefined : now() + remaining - ANSWER_RESERVE_MS;
    try {
      return await handler(event, context);
    } finally {
      current = undefined;
      deadline = undefined;
    }
  };
}
