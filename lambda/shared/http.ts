// HTTP helpers every API handler shares: security headers, generic bodies, header lookup, body decoding.

import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';

/** A Lambda handler for API Gateway REST proxy events (webhook and admin functions). */
export type ApiHandler = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;

/**
 * ARCHITECTURE §2: on every response — the handlers', API Gateway's gateway responses and the WAF's
 * custom 413 all take their headers from here (lib/constructs quote them for API Gateway and list them
 * for WAF). HSTS is included: API Gateway does not add it to proxy responses, so the handlers must, and
 * a browser ignores it over the local stack's plain HTTP (RFC 6797 §8.1), so it is harmless there.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
  // Two years, the span the HSTS preload list asks for.
  'Strict-Transport-Security': 'max-age=63072000; includeSubDomains',
};

/** Generic error bodies: never a stack trace, SQL, secret or phone number. */
/**
 * Seconds a 503 asks the caller to wait (`Retry-After`). Twilio retries a 5xx only when the webhook URL
 * carries `rp=…5xx` (docs/DEPLOY.md), so a busy or throttled edge answers 503, never 429.
 */
export const RETRY_AFTER_SECONDS = 5;

export const ErrorBody = {
  400: 'invalid request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not found',
  405: 'method not allowed',
  409: 'conflict',
  410: 'gone',
  413: 'payload too large',
  415: 'unsupported media type',
  429: 'too many requests',
  500: 'internal error',
  503: 'service unavailable',
} as const;
export type ErrorStatus = keyof typeof ErrorBody;

export function jsonResponse(
  statusCode: number,
  body: unknown,
  extraHeaders: Record<string, string> = {},
): APIGatewayProxyResult {
  return {
    statusCode,
    headers: { ...SECURITY_HEADERS, 'Content-Type': 'application/json; charset=utf-8', ...extraHeaders },
    body: JSON.stringify(body),
  };
}

export function errorResponse(
  status: ErrorStatus,
  extraHeaders: Record<string, string> = {},
): APIGatewayProxyResult {
  return jsonResponse(status, { error: ErrorBody[status] }, extraHeaders);
}

/** Case-insensitive single header lookup over API Gateway's two header maps. */
export function header(
  event: Pick<APIGatewayProxyEvent, 'headers' | 'multiValueHeaders'>,
  name: string,
): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === wanted && typeof value === 'string') return value;
  }
  for (const [key, values] of Object.entries(event.multiValueHeaders ?? {})) {
    if (key.toLowerCase() === wanted && Array.isArray(values) && typeof values[0] === 'string')
      return values[0];
  }
  return undefined;
}

/** The raw body bytes, honouring API Gateway's base64 flag. */
export function bodyBytes(event: Pick<APIGatewayProxyEvent, 'body' | 'isBase64Encoded'>): Buffer {
  if (event.body == null) return Buffer.alloc(0);
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
}

/** The media type of a Content-Type header, lower-cased, without parameters. */
export function mediaType(contentType: string | undefined): string | undefined {
  if (contentType === undefined) return undefined;
  return contentType.split(';', 1)[0]?.trim().toLowerCase();
}
