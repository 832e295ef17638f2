// Raw HTTP/1.1 over a loopback socket, for requests fetch refuses to make (odd casing kept, duplicate
// headers, malformed framing) and for answers read as bytes.

import { connect } from 'node:net';
import type { FuzzRequest } from './fuzz-requests.js';

export interface RawAnswer {
  /** 0 when nothing parseable came back. */
  readonly status: number;
  readonly headers: string;
  readonly body: string;
}

/** Bound on one exchange: the server's own header timeout is 10 s, so a healthy one answers sooner. */
const EXCHANGE_TIMEOUT_MS = 15_000;

export function rawExchange(port: number, bytes: Buffer): Promise<RawAnswer | 'timeout'> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      resolve('timeout');
    }, EXCHANGE_TIMEOUT_MS);
    const finish = () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('latin1');
      const split = text.indexOf('\r\n\r\n');
      const head = split < 0 ? text : text.slice(0, split);
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0);
      resolve({ status, headers: head, body: split < 0 ? '' : text.slice(split + 4) });
    };
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('close', finish);
    // A reset after the answer (the server hanging up on a bad request) still leaves the answer.
    socket.on('error', () => undefined);
    socket.write(bytes);
  });
}

/** Bytes outside visible ASCII in a request target, percent-encoded as a client library would. */
function encodeTarget(target: string): string {
  return target.replace(/[^\x21-\x7e]/gu, (c) =>
    [...Buffer.from(c, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''),
  );
}

/** The request as bytes: the fuzzed headers as given, then a correct Content-Length and Connection: close. */
export function requestBytes(request: FuzzRequest, port: number): Buffer {
  const target = encodeTarget(request.path) + (request.query ? `?${encodeTarget(request.query)}` : '');
  const lines = [`${request.method} ${target} HTTP/1.1`, `Host: 127.0.0.1:${port}`];
  for (const [name, value] of request.headers) lines.push(`${name}: ${value}`);
  lines.push(`Content-Length: ${request.body.length}`, 'Connection: close');
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'utf8'), request.body]);
}

/** Runs `work` over `items` with at most `limit` in flight. */
export async function inPool<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
