// Both ends of an AWS JSON-protocol call for differential tests: an SDK request handler and a fetch that
// record what would go on the wire and answer with a canned response, so no request leaves the process.

import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';

export const REGION = 'eu-west-1';
export const CREDENTIALS = {
  accessKeyId: 'ASIAWIRETESTWIRETEST',
  secretAccessKey: 'wire-test-secret-access-key',
  sessionToken: 'wire-test-session-token',
};

/** One request as it would be sent: lower-case header names, body as text. */
export interface WireRequest {
  readonly method: string;
  readonly hostname: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** A canned answer, in AWS's shape: status, headers, JSON text. */
export interface WireResponse {
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly body: string;
}

export type Responder = (request: WireRequest) => WireResponse;

function lowerCase(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}

/** An SDK v3 `requestHandler` that records the signed HttpRequest and answers without any I/O. */
export function capturingRequestHandler(respond: Responder) {
  const sent: WireRequest[] = [];
  const handler = {
    sent,
    handle: async (request: {
      method: string;
      hostname: string;
      path: string;
      headers: Record<string, string>;
      body?: unknown;
    }) => {
      // Decoded from the bytes themselves: the SDK's JSON bodies are a Uint8Array subclass whose
      // valueOf() is a string method (Buffer.from(body) would call it, and the SDK warns).
      const body =
        typeof request.body === 'string'
          ? request.body
          : new TextDecoder().decode(request.body as Uint8Array);
      const wire: WireRequest = {
        method: request.method,
        hostname: request.hostname,
        path: request.path,
        headers: lowerCase(request.headers),
        body,
      };
      sent.push(wire);
      const answer = respond(wire);
      return {
        response: {
          statusCode: answer.status,
          headers: { 'content-type': 'application/x-amz-json-1.1', ...answer.headers },
          body: new TextEncoder().encode(answer.body),
        },
      };
    },
    updateHttpClientConfig: () => undefined,
    httpHandlerConfigs: () => ({}),
    destroy: () => undefined,
  };
  return handler;
}

/** A `fetch` that records what AwsJsonClient sends (a signed Request) and answers from the same responder. */
export function capturingFetch(respond: Responder | ((request: WireRequest, call: number) => WireResponse)) {
  const sent: WireRequest[] = [];
  const fetchFn = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init);
    const url = new URL(request.url);
    const wire: WireRequest = {
      method: request.method,
      hostname: url.hostname,
      path: url.pathname,
      headers: lowerCase(Object.fromEntries(request.headers.entries())),
      body: await request.text(),
    };
    sent.push(wire);
    const answer = respond(wire, sent.length);
    return new Response(answer.body, { status: answer.status, headers: answer.headers ?? {} });
  };
  return { sent, fetch: fetchFn as typeof fetch };
}

/** `20261128T205940Z` → epoch ms. */
export function amzDateMs(amzDate: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
  if (!m) throw new Error(`not an X-Amz-Date: ${amzDate}`);
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
}

/** Node's SHA-256 in smithy's Checksum shape, written here independently of the adapter's. */
class TestSha256 {
  readonly #secret: string | Uint8Array | undefined;
  #hash: Hash | Hmac;
  constructor(secret?: string | Uint8Array) {
    this.#secret = secret;
    this.#hash = this.#fresh();
  }
  update(data: string | Uint8Array): void {
    this.#hash.update(data);
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.#hash.digest());
  }
  reset(): void {
    this.#hash = this.#fresh();
  }
  #fresh(): Hash | Hmac {
    return this.#secret === undefined ? createHash('sha256') : createHmac('sha256', this.#secret);
  }
}

/**
 * Recomputes the Authorization header of a recorded request with @smithy/signature-v4 (the SDK's
 * signer) at its own X-Amz-Date, signing exactly the headers given (minus authorization).
 */
export async function resign(request: WireRequest, service: string): Promise<string> {
  const signer = new SignatureV4({
    credentials: CREDENTIALS,
    region: REGION,
    service,
    sha256: TestSha256 as never,
    uriEscapePath: true,
    // Sign exactly the headers given: no X-Amz-Content-Sha256 added (the SDK sends it where it signs it).
    applyChecksum: false,
  });
  const { authorization: _auth, ...headers } = request.headers;
  const signed = await signer.sign(
    {
      method: request.method,
      protocol: 'https:',
      hostname: request.hostname,
      path: request.path,
      query: {},
      headers,
      body: request.body,
    },
    { signingDate: new Date(amzDateMs(request.headers['x-amz-date'] ?? '')) },
  );
  return signed.headers.authorization ?? '';
}
