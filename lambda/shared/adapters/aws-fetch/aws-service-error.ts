// The fault an AWS JSON-protocol call ends in: the AWS error type and HTTP status, never the request body.

/** Thrown by AwsJsonClient when AWS answers with an error, or when no answer came after every retry. */
export class AwsServiceError extends Error {
  /** The short AWS error type (`__type` without its namespace), e.g. `ThrottlingException`; the error's name too. */
  readonly type: string;
  /** HTTP status of the last answer; undefined when no answer came (network error, timeout). */
  readonly statusCode: number | undefined;
  /** `x-amzn-requestid` of the last answer, for AWS support and CloudTrail. */
  readonly requestId: string | undefined;
  /** e.g. `kms:GenerateDataKey`. */
  readonly operation: string;
  /** How many requests were sent, retries included. */
  readonly attempts: number;

  constructor(options: {
    type: string;
    message: string;
    operation: string;
    attempts: number;
    statusCode?: number;
    requestId?: string;
    cause?: unknown;
  }) {
    super(
      `${options.operation} failed: ${options.type}${options.message ? `: ${options.message}` : ''}`,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = options.type;
    this.type = options.type;
    this.statusCode = options.statusCode;
    this.requestId = options.requestId;
    this.operation = options.operation;
    this.attempts = options.attempts;
  }
}
