// Fuzzes every route over real HTTP against a running local stack (loopback), then sends duplicate
// storms: the same signed message 50 times at once. No 5xx, no leak, no unearned 2xx, no crash, and
// every accepted message stored exactly once.

import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import fc from 'fast-check';
import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Route } from '../../lambda/shared/names.js';
import { inboundParams } from '../helpers/api-events.js';
import { processAlive } from '../helpers/local-stack.js';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.js';
import { printReportAfterAll, reportRow } from './adversarial-report.js';
import { scale } from './adversarial-scale.js';
import { type FuzzRequest, fuzzRequestArb, normalisedPath } from './fuzz-requests.js';
import { inPool, rawExchange, requestBytes } from './raw-http.js';
import { leaksIn } from './response-leaks.js';
import { type RunningStack, startRunningStack } from './running-stack.js';

printReportAfterAll('local stack over HTTP');

const STORM_SIZE = 50;
/** Requests in flight at once: enough to interleave, few enough for two cores. */
const FUZZ_CONCURRENCY = 8;

let db: TestDatabase;
let stack: RunningStack;

// Each scenario gets its own database and stack: the storm compares the stack's counters exactly, and the
// fuzz earns 127.0.0.1 an admin lockout and queues messages of its own.
beforeEach(async () => {
  db = await createTestDatabase();
  stack = await startRunningStack(db.url);
});

afterEach(async () => {
  const pid = stack?.process.child.pid;
  expect(pid).toBeDefined();
  expect(await stack?.stop()).toBe(0);
  expect(processAlive(pid as number)).toBe(false);
  await db?.drop();
});

/** Rows of `table` for these MessageSids, counting a signed payload stored as quarantined for its route. */
async function storedCount(table: string, sids: readonly string[]): Promise<number> {
  const route = table === 'messages' ? 'message' : 'status';
  const result = await db.pool.query<{ n: number }>(
    `SELECT count(DISTINCT sid)::int AS n FROM (
       SELECT message_sid AS sid FROM ${table} WHERE message_sid = ANY($1)
       UNION SELECT message_sid FROM quarantined_payloads WHERE route = $2 AND message_sid = ANY($1)
     ) stored`,
    [sids, route],
  );
  return result.rows[0]?.n ?? 0;
}

/** Polls until `expected` rows are there or 30 s have passed; returns the last count. */
async function waitStored(table: string, sids: readonly string[]): Promise<number> {
  const deadline = Date.now() + 30_000;
  let n = await storedCount(table, sids);
  while (n < sids.length && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    n = await storedCount(table, sids);
  }
  return n;
}

/** Requests that break HTTP framing rather than content, each with the answer it must get. */
function framingCases(port: number, signedChunked: { body: string; signature: string }): [string, Buffer][] {
  const host = `Host: 127.0.0.1:${port}\r\n`;
  const chunked = `${signedChunked.body.length.toString(16)}\r\n${signedChunked.body}\r\n0\r\n\r\n`;
  return [
    [
      'declared 20 MB',
      Buffer.from(`POST ${Route.messages} HTTP/1.1\r\n${host}Content-Length: 20971520\r\n\r\n`),
    ],
    [
      'Content-Length and Transfer-Encoding',
      Buffer.from(
        `POST ${Route.messages} HTTP/1.1\r\n${host}Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
      ),
    ],
    [
      'two Content-Lengths',
      Buffer.from(
        `POST ${Route.messages} HTTP/1.1\r\n${host}Content-Length: 1\r\nContent-Length: 2\r\n\r\nab`,
      ),
    ],
    ['null bytes', Buffer.from('\u0000\u0001\u0002 GET / HTTP/1.1\r\n\r\n')],
    [
      'header of 40 KB',
      Buffer.from(`GET ${Route.health} HTTP/1.1\r\n${host}X-Big: ${'a'.repeat(40_000)}\r\n\r\n`),
    ],
    [
      'absolute-form target',
      Buffer.from(`GET http://evil.example${Route.health} HTTP/1.1\r\n${host}Connection: close\r\n\r\n`),
    ],
    ['asterisk target', Buffer.from(`OPTIONS * HTTP/1.1\r\n${host}Connection: close\r\n\r\n`)],
    ['HTTP/1.0 without Host', Buffer.from(`GET /admin/audit HTTP/1.0\r\n\r\n`)],
    ['bare LF line ends', Buffer.from(`GET /admin/health HTTP/1.1\n${host.trim()}\nX-Admin-Token: x\n\n`)],
    [
      'signed message, chunked body',
      Buffer.from(
        `POST ${Route.messages} HTTP/1.1\r\n${host}Content-Type: application/x-www-form-urlencoded\r\n` +
          `X-Twilio-Signature: ${signedChunked.signature}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n${chunked}`,
      ),
    ],
  ];
}

describe('the local stack under fuzzed HTTP', () => {
  it(`stores a message delivered ${STORM_SIZE} times at once exactly once, answering 200 to every delivery`, async () => {
    const row = reportRow(`duplicate storms of ${STORM_SIZE} (HTTP)`);
    const sids: string[] = [];
    let answeredOk = 0;
    for (let storm = 0; storm < scale.duplicateStorms; storm++) {
      const params = inboundParams();
      sids.push(params.MessageSid as string);
      const headers = {
        'Content-Type': 'application/x-www-form-urlencoded',
        'X-Twilio-Signature': getExpectedTwilioSignature(
          stack.twilioToken,
          stack.url + Route.messages,
          params,
        ),
        'I-Twilio-Idempotency-Token': randomBytes(8).toString('hex'),
      };
      const body = new URLSearchParams(params).toString();
      const answers = await Promise.all(
        Array.from({ length: STORM_SIZE }, () =>
          fetch(`${stack.url}${Route.messages}`, { method: 'POST', headers, body }).then(async (r) => {
            await r.arrayBuffer();
            return r.status;
          }),
        ),
      );
      row.cases += STORM_SIZE;
      answeredOk += answers.filter((s) => s === 200).length;
      expect(answers).toEqual(Array(STORM_SIZE).fill(200));
    }
    const stored = await waitStored('messages', sids);
    const rows = await db.pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM messages WHERE message_sid = ANY($1)',
      [sids],
    );
    row.sent = answeredOk;
    row.stored = rows.rows[0]?.n ?? 0;
    row.note = `${sids.length} distinct messages`;
    row.failures = Math.abs((rows.rows[0]?.n ?? 0) - sids.length);
    expect(stored).toBe(sids.length);
    expect(rows.rows[0]?.n).toBe(sids.length);

    // Every delivery reached the queue: the ingest side dropped the other 49 of each storm as duplicates.
    // The first copy of each is stored before the queue has worked through the rest, so the counters are
    // read once the queue has had time to drain (up to 15 s), then compared exactly.
    const expectedDropped = (STORM_SIZE - 1) * scale.duplicateStorms;
    let counters: Record<string, number> = {};
    for (const deadline = Date.now() + 15_000; Date.now() < deadline; ) {
      const metrics = await fetch(`${stack.url}/admin/metrics`, {
        headers: { 'X-Admin-Token': stack.adminToken },
      });
      expect(metrics.status).toBe(200);
      counters = ((await metrics.json()) as { counters: Record<string, number> }).counters;
      if ((counters.duplicatesDropped ?? 0) >= expectedDropped) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(counters.messagesQueued).toBe(STORM_SIZE * scale.duplicateStorms);
    expect(counters.duplicatesDropped).toBe(expectedDropped);
  });

  it(`answers ${scale.httpRequests} hostile requests without a 5xx, a leak, an unearned 2xx or a crash`, async () => {
    const row = reportRow('fuzz every route over HTTP (local stack)');
    const secrets = await stack.secrets();
    const seed = Number.parseInt(randomBytes(4).toString('hex'), 16);
    row.note = `seed ${seed}`;
    const requests = fc.sample(
      fuzzRequestArb({
        twilioToken: stack.twilioToken,
        adminToken: stack.adminToken,
        publicBaseUrl: stack.url,
      }),
      { numRuns: scale.httpRequests, seed },
    );
    const chunkedParams = inboundParams();
    const framing = framingCases(stack.port, {
      body: new URLSearchParams(chunkedParams).toString(),
      signature: getExpectedTwilioSignature(stack.twilioToken, stack.url + Route.messages, chunkedParams),
    });

    const problems: string[] = [];
    const accepted = { messages: [] as string[], statuses: [] as string[] };
    const check = (label: string, answer: Awaited<ReturnType<typeof rawExchange>>, request?: FuzzRequest) => {
      row.cases++;
      if (answer === 'timeout') return problems.push(`${label}: no answer`);
      const found = leaksIn(answer, { secrets });
      if (answer.status === 0) found.push('no status line');
      // The webhook needs no database and the ports are healthy: even a 503 would be a swallowed fault.
      if (answer.status >= 500) found.push(`status ${answer.status}`);
      if (answer.status > 0 && !/x-content-type-options: nosniff/i.test(answer.headers))
        found.push('no nosniff');
      const ok = answer.status >= 200 && answer.status < 300;
      if (request && ok) {
        const route = normalisedPath(request);
        if (request.signed && request.messageSid) {
          (request.path === Route.messages ? accepted.messages : accepted.statuses).push(request.messageSid);
        } else if (route !== Route.health && !request.carriesAdminToken)
          found.push(`${answer.status} without a signature or the admin token`);
      }
      // The rule of the edge: a request whose signature verifies is never answered 4xx (ARCHITECTURE §1).
      if (request?.signed && answer.status >= 400 && answer.status < 500)
        found.push('verified request answered 4xx');
      if (found.length > 0) problems.push(`${label} → ${answer.status}: ${found.join(', ')}`);
      return undefined;
    };

    await inPool(requests, FUZZ_CONCURRENCY, async (request) => {
      const answer = await rawExchange(stack.port, requestBytes(request, stack.port));
      check(`${request.method} ${request.path.slice(0, 80)}`, answer, request);
    });
    for (const [label, bytes] of framing) {
      const answer = await rawExchange(stack.port, bytes);
      check(label, answer);
      if (label === 'signed message, chunked body' && answer !== 'timeout' && answer.status === 200)
        accepted.messages.push(chunkedParams.MessageSid as string);
    }
    row.failures = problems.length;
    expect(problems).toEqual([]);

    // Still serving, still the same process, no fault reported on its console or in its log.
    const health = await fetch(`${stack.url}${Route.health}`);
    expect(health.status).toBe(200);
    expect(stack.process.child.exitCode).toBeNull();
    expect(stack.process.output()).not.toMatch(/unexpected fault/);
    const log = await readFile(path.join(stack.dataDir, 'signalgate.log'), 'utf8');
    expect(log).not.toMatch(/local\.unhandled_fault|unexpected_fault/);
    expect(accepted.messages).toContain(chunkedParams.MessageSid);

    const storedMessages = await waitStored('messages', accepted.messages);
    const storedStatuses = await waitStored('message_status_updates', accepted.statuses);
    row.sent = accepted.messages.length + accepted.statuses.length;
    row.stored = storedMessages + storedStatuses;
    expect(storedMessages).toBe(accepted.messages.length);
    expect(storedStatuses).toBe(accepted.statuses.length);
  });
});
