// A minimal AWS JSON-protocol client for the webhook's hot path: SigV4 (AWS's own signer, injected),
// fetch, bounded retries with jitter and a timeout per attempt. Loads in a fraction of the time of the
// SDK v3 clients (docs/BENCHMARKS.md, cold init).

import { AwsServiceError } from './aws-service-error.js';

/**
 * Signs one request with SigV4: @smithy/signature-v4's SignatureV4 (see sigv4-signer.ts for the one the
 * Lambda uses). An interface so tests and the Lambda can each bring theirs.
 */
export interface RequestSigner {
  sign(
    request: SignableRequest,
    options: { signingDate: Date },
  ): Promise<{ headers: Record<string, string> }>;
}

/** The part of smithy's HttpRequest that a JSON-protocol call has. */
export interface SignableRequest {
  readonly method: string;
  readonly protocol: string;
  readonly hostname: string;
  readonly path: string;
  readonly query: Record<string, string>;
  readonly headers: Record<string, string>;
  readonly body: string;
}

export interface AwsJsonClientOptions {
  /** Signing name and endpoint prefix, e.g. `kms`, `secretsmanager`, `sqs`. */
  readonly service: string;
  readonly region: string;
  /** Signs for this service and region. */
  readonly signer: RequestSigner;
  /** `1.1` for KMS and Secrets Manager, `1.0` for SQS (each service's Smithy model says which). */
  readonly jsonVersion: '1.0' | '1.1';
  /** X-Amz-Target prefix, e.g. `TrentService`, `secretsmanager`, `AmazonSQS`. */
  readonly targetPrefix: string;
  /** @default global fetch; tests inject one */
  readonly fetch?: typeof fetch;
  /**
   * Per attempt. Three attempts of 2 s plus back-off stay under the webhook's 10 s Lambda timeout and
   * Twilio's 15 s.
   * @default 2000
   */
  readonly timeoutMs?: number;
  /** @default 2 (3 attempts in all, like the SDK's standard retry mode) */
  readonly maxRetries?: number;
  /** @default 100 — full jitter: attempt n waits random() × min(1 s, base × 2ⁿ) */
  readonly retryBaseDelayMs?: number;
  /** Signing time in epoch ms. @default Date.now */
  readonly now?: () => number;
  /** @default Math.random */
  readonly random?: () => number;
  /** @default setTimeout-based */
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * Throttling codes the SDK retries (@smithy/service-error-classification THROTTLING_ERROR_CODES,
 * TRANSIENT_ERROR_CODES); 5xx and 429 are retried whatever the code.
 */
const RETRYABLE_TYPES = new Set([
  'BandwidthLimitExceeded',
  'EC2ThrottledException',
  'LimitExceededException',
  'PriorRequestNotComplete',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'ThrottledException',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'TransactionInProgressException',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
]);
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

export class AwsJsonClient {
  readonly #signer: RequestSigner;
  readonly #hostname: string;
  readonly #service: string;
  readonly #contentType: string;
  readonly #targetPrefix: string;
  readonly #fetch: typeof fetch;
  readonly #timeoutMs: number;
  readonly #maxRetries: number;
  readonly #baseDelayMs: number;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #sleep: (ms: number) => Promise<void>;

  constructor(options: AwsJsonClientOptions) {
    this.#service = options.service;
    this.#hostname = `${options.service}.${options.region}.${awsDnsSuffix(options.region)}`;
    this.#contentType = `application/x-amz-json-${options.jsonVersion}`;
    this.#targetPrefix = options.targetPrefix;
    this.#signer = options.signer;
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.#timeoutMs = options.timeoutMs ?? 2000;
    this.#maxRetries = options.maxRetries ?? 2;
    this.#baseDelayMs = options.retryBaseDelayMs ?? 100;
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? Math.random;
    this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** Calls one operation; resolves with the parsed JSON answer, throws AwsServiceError otherwise. */
  async call(operation: string, input: Readonly<Record<string, unknown>>): Promise<Record<string, unknown>> {
    const name = `${this.#service}:${operation}`;
    const body = JSON.stringify(input);
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.#attempt(name, operation, body, attempt);
      if (outcome.ok) return outcome.value;
      if (!outcome.retryable || attempt > this.#maxRetries) throw outcome.error;
      await this.#sleep(this.#random() * Math.min(MAX_DELAY_MS, this.#baseDelayMs * 2 ** attempt));
    }
  }

  async #attempt(
    name: string,
    operation: string,
    body: string,
    attempt: number,
  ): Promise<
    { ok: true; value: Record<string, unknown> } | { ok: false; retryable: boolean; error: AwsServiceError }
  > {
    // Signed per attempt: a retry after back-off gets a fresh X-Amz-Date, as the SDK's does.
    const signed = await this.#signer.sign(
      {
        method: 'POST',
        protocol: 'https:',
        hostname: this.#hostname,
        path: '/',
        query: {},
        headers: {
          host: this.#hostname,
          'content-type': this.#contentType,
          'content-length': String(Buffer.byteLength(body)),
          'x-amz-target': `${this.#targetPrefix}.${operation}`,
        },
        body,
      },
      { signingDate: new Date(this.#now()) },
    );
    // fetch sets Host and Content-Length itself, to the values signed above.
    const { host: _host, 'content-length': _length, ...headers } = signed.headers;
    let response: Response;
    let text: string;
    try {
      response = await this.#fetch(`https://${this.#hostname}/`, {
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      text = await response.text();
    } catch (cause) {
      const timedOut = (cause as { name?: string }).name === 'TimeoutError';
      return {
        ok: false,
        retryable: true,
        error: new AwsServiceError({
          type: timedOut ? 'TimeoutError' : 'NetworkError',
          message: timedOut ? `no answer within ${this.#timeoutMs} ms` : 'request failed',
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
          retryable: false,
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
    const type = errorType(rawType);
    const message = parsed?.message ?? parsed?.Message;
    return {
      ok: false,
      retryable: response.status >= 500 || response.status === 429 || RETRYABLE_TYPES.has(type),
      error: new AwsServiceError({
        type,
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
