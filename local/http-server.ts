// The local HTTP front door, standing in for API Gateway: body limit, malformed requests, routing,
// and security headers on every answer. Handlers get API Gateway events and never see Node's HTTP.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { ErrorBody, errorResponse, SECURITY_HEADERS } from '../lambda/shared/http.js';
import type { Logger } from '../lambda/shared/logger.js';
import { toApiGatewayEvent } from './api-gateway-event.js';
import type { Dispatch } from './routes.js';

/** API Gateway's own payload limit; larger bodies never reach a handler there either. */
export const MAX_REQUEST_BYTES = 10 * 1024 * 1024;

export interface LocalServerOptions {
  readonly dispatch: (path: string) => Dispatch | undefined;
  readonly logger: Logger;
  /** @default MAX_REQUEST_BYTES */
  readonly maxBodyBytes?: number;
}

class BodyTooLargeError extends Error {}

function send(response: ServerResponse, result: APIGatewayProxyResult, close = false): void {
  // Security headers first, so a handler may refine but never drop them.
  const headers: Record<string, string | string[]> = { ...SECURITY_HEADERS };
  for (const [name, value] of Object.entries(result.headers ?? {})) headers[name] = String(value);
  for (const [name, values] of Object.entries(result.multiValueHeaders ?? {}))
    headers[name] = values.map(String);
  const body = result.body ? Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8') : undefined;
  if (body) headers['Content-Length'] = String(body.length);
  if (close) headers.Connection = 'close';
  response.writeHead(result.statusCode, headers);
  response.end(body);
}

/** Reads the body, counting bytes as they come, so an oversized one is refused without being held. */
function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        request.off('data', onData);
        chunks.length = 0;
        request.resume(); // discard the rest rather than buffer it
        reject(new BodyTooLargeError());
        return;
      }
      chunks.push(chunk);
    };
    request.on('data', onData);
    request.once('end', () => resolve(Buffer.concat(chunks, size)));
    request.once('error', reject);
  });
}

function rawErrorResponse(status: number, message: string): string {
  const body = JSON.stringify({ error: message });
  const headers = Object.entries({
    ...SECURITY_HEADERS,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(body)),
    Connection: 'close',
  })
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  const reason = status === 408 ? 'Request Timeout' : 'Bad Request';
  return `HTTP/1.1 ${status} ${reason}\r\n${headers}\r\n${body}`;
}

export function createLocalServer(options: LocalServerOptions): Server {
  const limit = options.maxBodyBytes ?? MAX_REQUEST_BYTES;
  const log = options.logger;

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const started = performance.now();
    let url: URL;
    try {
      url = new URL(request.url ?? '/', 'http://127.0.0.1');
    } catch {
      return send(response, errorResponse(400));
    }
    const declared = Number(request.headers['content-length'] ?? 0);
    if (declared > limit) return send(response, errorResponse(413), true);

    const dispatch = options.dispatch(url.pathname);
    if (!dispatch) return send(response, errorResponse(404));

    let body: Buffer;
    try {
      body = await readBody(request, limit);
    } catch (error) {
      if (error instanceof BodyTooLargeError) return send(response, errorResponse(413), true);
      throw error;
    }
    const event = toApiGatewayEvent(request, url.pathname, url.search, body, dispatch.route);
    const result = await dispatch.handler(event);
    send(response, result);
    log.info('local.request', {
      method: event.httpMethod,
      resource: event.resource,
      status: result.statusCode,
      ms: Math.round((performance.now() - started) * 10) / 10,
      requestId: event.requestContext.requestId,
    });
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      // A handler fault answers like API Gateway's 500 without detail; the server keeps serving.
      log.error('local.unhandled_fault', { error });
      if (!response.headersSent) send(response, errorResponse(500));
      else response.destroy();
    });
  });
  // Bounds that keep a slow or stalled client from holding a connection (API Gateway: 29 s).
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.keepAliveTimeout = 5_000;
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    // Malformed request line or headers, or a timeout: answer once, generically, and hang up.
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const timedOut = error.code === 'ERR_HTTP_REQUEST_TIMEOUT';
    socket.end(rawErrorResponse(timedOut ? 408 : 400, timedOut ? 'request timeout' : ErrorBody[400]));
  });
  return server;
}
