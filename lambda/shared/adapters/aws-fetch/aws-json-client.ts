// An AWS JSON-protocol client for the webhook's hot path: SigV4 by aws4fetch, retry classification by
// smithy (the SDK's own), fetch with a timeout per attempt and a bounded total. Loads in a fraction of
// the time of the SDK v3 clients (docs/BENCHMARKS.md, cold init).

import { AwsV4Signer } from 'aws4fetch';
import { AwsServiceError } from './aws-service-error.js';

/** Static credentials, as Lambda puts the execution role's into the environment. */
export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

export interface AwsJsonClientOptions {
  /** Signing name and endpoint prefix, e.g. `kms`, `secretsmanager`, `sqs`. */
  readonly service: string;
  readonly region: string;
  readonly credentials: AwsCredentials;
  /** `1.1` for KMS and Secrets Manager, `1.0` for SQS (each service's Smithy model says which). */
  readonly jsonVersion: '1.0' | '1.1';
  /** X-Amz-Target prefix, e.g. `TrentService`, `secretsmanager`, `AmazonSQS`. */
  readonly targetPrefix: string;
  /** @default global fetch; tests inject one */
  readonly fetch?: typeof fetch;
  /**
   * One attempt, TCP connect included (undici's own connect timeout is 10 s). An endpoint answers in
   * milliseconds; 2 s matches the SDK clients' connect timeout (sdk-client-options.ts).
   * @default 2000
   */
  readonly attemptTimeoutMs?: number;
  /**
   * Every attempt and back-off together: under the webhook's 10 s Lambda timeout and Twilio's 15 s, with
   * room to answer 503.
   * @default 6500
   */
  readonly totalTimeoutMs?: number;
  /**
   * When every call must have given up, whatever its own budget (epoch ms, read per call): the Lambda
   * invocation's deadline (invocation.ts), so that three calls in a row of up to totalTimeoutMs each cannot
   * outlast the function's timeout. @default none
   */
  readonly deadline?: () => number | undefined;
  /** @default 3, like the SDK's standard retry mode (SDK_MAX_ATTEMPTS) */
  readonly maxAttempts?: number;
  /** @default 100 — full jitter: the wait before attempt n+1 is random() × min(1 s, base × 2ⁿ) */
  readonly retryBaseDelayMs?: number;
  /** Signing time in epoch ms. @default Date.now */
  readonly now?: () => number;
  /** @default Math.random */
  readonly random?: () => number;
  /** @default setTimeout-based */
  readonly sleep?: (ms: number) => Promise<void>;
}

const MAX_DELAY_MS = 1000;

/** `aws.partition`'s DNS suffix for the commercial, GovCloud and China partitions (the ones Lambda runs in here). */
export function awsDnsSuffix(region: string): string {
  return region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
}

/**
 * `__type` may be `com.amazonaws.kms#NotFoundException` or carry `:http://…` after the name; the
 * SDK keeps the part between `#` and `:` (@smithy/core's sanitizeErrorCode) and so do we.
 */
function errorType(raw: string): string {
  let type = raw;
  if (type.includes(':')) type = type.split(':')[0] ?? type;
  if (type.includes('#')) type = type.split('#')[1] ?? type;
  return type;
}

/** `Date` → SigV4's `20261128T205940Z`, the form aws4fetch takes as `datetime`. */
function amzDate(ms: number): string {
  return new Date(ms).toISOString().replace(/[:-]|\.\d{3}/g, '');
}

/**
 * What the SDK's standard retry strategy retries: throttling (429 or a throttling code, whatever the
 * status), transient faults (timeouts, connection resets, 500/502/503/504) and other 5xx. aws4fetch's own
 * retry loop (AwsClient.fetch) covers only statuses ≥ 500 and 429 (not a 400 ThrottlingException, a network
 * error or a timeout) and shares one AbortSignal between its attempts, so only its signer is used and this
 * decides. Loaded on the first failed attempt: it costs ~3 ms of cold init (node:stream and the rest of
 * @smithy/core's retry module), which no successful call needs (docs/BENCHMARKS.md).
 */
let classification: Promise<typeof import('@smithy/core/retry')> | undefined;

async function retryable(error: {
  name: string;
  statusCode?: number | undefined;
  cause?: unknown;
}): Promise<boolean> {
  classification ??= import('@smithy/core/retry');
  const { isServerError, isThrottlingError, isTransientError } = await classification;
  const classified = {
    name: error.name,
    cause: error.cause,
    $metadata: error.statusCode === undefined ? {} : { httpStatusCode: error.statusCode },
  } as Parameters<typeof isTransientError>[0];
  return isThrottlingError(classified) || isTransientError(classified) || isServerError(classified);
}

export class AwsJsonClient {
  readonly #credentials: AwsCredentials;
  readonly #region: string;
  /** aws4fetch's cache of derived signing keys (one per day, region and service). */
  readonly #signingKeys = new Map<string, ArrayBuffer>();
  readonly #url: string;
  readonly #service: string;
  readonly #contentType: string;
  readonly #targetPrefix: string;
  readonly #fetch: typeof fetch;
  readonly #attemptTimeoutMs: number;
  readonly #totalTimeoutMs: number;
  readonly #deadline: () => number | undefined;
  readonly #maxAttempts: number;
  readonly #baseDelayMs: number;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #sleep: (ms: number) => Promise<void>;

  constructor(options: AwsJsonClientOptions) {
    this.#credentials = options.credentials;
    this.#region = options.region;
    this.#service = options.service;
    this.#url = `https://${options.service}.${options.region}.${awsDnsSuffix(options.region)}/`;
    this.#contentType = `application/x-amz-json-${options.jsonVersion}`;
    this.#targetPrefix = options.targetPrefix;
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.#attemptTimeoutMs = options.attemptTimeoutMs ?? 2000;
    this.#totalTimeoutMs = options.totalTimeoutMs ?? 6500;
    this.#deadline = options.deadline ?? (() => undefined);
    this.#maxAttempts = options.maxAttempts ?? 3;
    this.#baseDelayMs = options.retryBaseDelayMs ?? 100;
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? Math.random;
    this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** Calls one operation; resolves with the parsed JSON answer, throws AwsServiceError otherwise. */
  async call(operation: string, input: Readonly<Record<string, unknown>>): Promise<Record<string, unknown>> {
    const name = `${this.#service}:${operation}`;
    const body = JSON.stringify(input);
    const deadline = this.#deadline();
    const budgetMs =
      deadline === undefined ? this.#totalTimeoutMs : Math.min(this.#totalTimeoutMs, deadline - this.#now());
    if (budgetMs <= 0) {
      throw new AwsServiceError({
        type: 'TimeoutError',
        message: 'no time left in this invocation for another call',
        operation: name,
        attempts: 0,
      });
    }
    const total = AbortSignal.timeout(budgetMs);
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.#attempt(name, operation, body, attempt, total, budgetMs);
      if (outcome.ok) return outcome.value;
      if (attempt >= this.#maxAttempts || total.aborted || !(await retryable(outcome.error)))
        throw outcome.error;
      await this.#sleep(this.#random() * Math.min(MAX_DELAY_MS, this.#baseDelayMs * 2 ** attempt));
      if (total.aborted) throw outcome.error;
    }
  }

  async #attempt(
    name: string,
    operation: string,
    body: string,
    attempt: number,
    total: AbortSignal,
    budgetMs: number,
  ): Promise<{ ok: true; value: Record<string, unknown> } | { ok: false; error: AwsServiceError }> {
    let response: Response;
    let text: string;
    try {
      // Signed per attempt: a retry after back-off gets a fresh X-Amz-Date, as the SDK's does. The signer
      // rather than AwsClient.sign: the body stays a string for fetch, with no Request built around it
      // (~25 % less CPU per call here).
      const { accessKeyId, secretAccessKey, sessionToken } = this.#credentials;
      const signed = await new AwsV4Signer({
        url: this.#url,
        method: 'POST',
        headers: { 'content-type': this.#contentType, 'x-amz-target': `${this.#targetPrefix}.${operation}` },
        body,
        accessKeyId,
        secretAccessKey,
        ...(sessionToken ? { sessionToken } : {}),
        service: this.#service,
        region: this.#region,
        cache: this.#signingKeys,
        datetime: amzDate(this.#now()),
      }).sign();
      response = await this.#fetch(signed.url, {
        method: signed.method,
        headers: signed.headers,
        body,
        signal: AbortSignal.any([AbortSignal.timeout(this.#attemptTimeoutMs), total]),
      });
      text = await response.text();
    } catch (cause) {
      const timedOut = (cause as { name?: string }).name === 'TimeoutError';
      return {
        ok: false,
        error: new AwsServiceError({
          type: timedOut ? 'TimeoutError' : 'NetworkError',
          message: timedOut
            ? `no answer within ${this.#attemptTimeoutMs} ms (${budgetMs} ms for every attempt)`
            : 'request failed',
          operation: name,
          attempts: attempt,
          cause,
        }),
      };
    }
    const parsed = parseJson(text);
    const requestId = response.headers.get('x-amzn-requestid') ?? undefined;
    if (response.ok) {
      if (parsed === undefined) {
        return {
          ok: false,
          error: new AwsServiceError({
            type: 'InvalidResponse',
            message: 'answer is not a JSON object',
            operation: name,
            attempts: attempt,
            statusCode: response.status,
            ...(requestId ? { requestId } : {}),
          }),
        };
      }
      return { ok: true, value: parsed };
    }
    const rawType =
      response.headers.get('x-amzn-errortype') ??
      (typeof parsed?.__type === 'string' ? parsed.__type : undefined) ??
      (typeof parsed?.code === 'string' ? parsed.code : undefined) ??
      `Http${response.status}`;
    const message = parsed?.message ?? parsed?.Message;
    return {
      ok: false,
      error: new AwsServiceError({
        type: errorType(rawType),
        message: typeof message === 'string' ? message : '',
        operation: name,
        attempts: attempt,
        statusCode: response.status,
        ...(requestId ? { requestId } : {}),
      }),
    };
  }
}

function parseJson(text: string): Record<string, unknown> | undefined {
  if (text.trim() === '') return {};
  try {
    const value = JSON.parse(text) as unknown;
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
