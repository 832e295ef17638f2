// A database outage as the ingest Lambda meets it (ARCHITECTURE §1): RDS Proxy or the database does not
// answer. One attempt tells ingest the database is unavailable; it does not retry each record alone
// (eleven waits for a ten-record batch ran past the function timeout, so the records came back without
// the backoff), and it never starts an attempt that would not end before the function times out.

import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeIngestHandler } from '../../../lambda/ingest/make-ingest-handler.js';
import {
  AWS_BACKOFF,
  isDatabaseUnreachable,
  type RedeliveryQueue,
} from '../../../lambda/ingest/redelivery.js';
import { poolForProxy, type Queryable } from '../../../lambda/shared/db/pool.js';
import type { QueuedEnvelope } from '../../../lambda/shared/envelope-schema.js';
import { createLogger } from '../../../lambda/shared/logger.js';
import { createEmfMetrics } from '../../../lambda/shared/metrics.js';
import { inboundParams, signedWebhookEvent } from '../../helpers/api-events.js';
import { sumMetric } from '../../helpers/emf.js';
import { sqsEvent } from '../../helpers/sqs-events.js';
import { webhookFixture } from '../../helpers/webhook-fixture.js';

async function signedMessages(count: number): Promise<string[]> {
  const web = webhookFixture();
  for (let i = 0; i < count; i++) {
    const res = await web.handler(
      signedWebhookEvent({ token: web.token, params: inboundParams({ Body: `hello ${i}` }) }),
    );
    expect(res.statusCode).toBe(200);
  }
  return (web.queue.sent.splice(0) as QueuedEnvelope[]).map((e) => JSON.stringify(e));
}

/** Counts the statements sent to the database (each one is an attempt). */
function counting(db: Queryable) {
  const counter = { attempts: 0 };
  const wrapped: Queryable = {
    query: ((...args: Parameters<Queryable['query']>) => {
      counter.attempts++;
      return (db.query as (...a: unknown[]) => unknown)(...args);
    }) as Queryable['query'],
  };
  return { db: wrapped, counter };
}

function recordingQueue() {
  const deferred: { receiptHandle: string; seconds: number }[] = [];
  const deadLettered: string[] = [];
  const queue: RedeliveryQueue = {
    defer: async (receiptHandle, seconds) => {
      deferred.push({ receiptHandle, seconds });
    },
    deadLetter: async (record) => {
      deadLettered.push(record.messageId);
    },
  };
  return { queue, deferred, deadLettered };
}

function ingestWith(db: Queryable) {
  const emf: string[] = [];
  const redelivery = recordingQueue();
  const handler = makeIngestHandler(async () => ({
    db,
    metrics: createEmfMetrics('test', (l) => emf.push(l)),
    logger: createLogger('signalgate-ingest', () => {}),
    redelivery: { queue: redelivery.queue, backoff: AWS_BACKOFF },
  }));
  return { handler, redelivery, metric: (name: string) => sumMetric(emf, name) };
}

/** A port that accepts TCP connections and never answers: a proxy or database that hangs. */
let silent: net.Server;
let silentPort: number;
/** A port nothing listens on: connections are refused. */
let closedPort: number;
const sockets = new Set<net.Socket>();
beforeAll(async () => {
  silent = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  silentPort = (silent.address() as net.AddressInfo).port;
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  closedPort = (probe.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
});
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => silent.close(() => resolve()));
});

const proxyPoolAt = (port: number) =>
  poolForProxy(
    { host: '127.0.0.1', port, database: 'signalgate', user: 'ingest', password: async () => 'token' },
    { max: 2 },
  );

describe('ingest when the database cannot be reached', () => {
  it.each([
    ['does not answer (connect timeout)', () => silentPort],
    ['refuses connections', () => closedPort],
  ])(
    'a database that %s: one attempt for a 10-record batch, all 10 deferred with the backoff, long before the function timeout',
    async (_case, port) => {
      const pool = proxyPoolAt(port());
      try {
        const { db, counter } = counting(pool);
        const { handler, redelivery, metric } = ingestWith(db);
        const event = sqsEvent(await signedMessages(10));
        const started = Date.now();
        const result = await handler(event, {
          getRemainingTimeInMillis: () => 30_000 - (Date.now() - started),
        });
        const elapsed = Date.now() - started;

        expect(counter.attempts).toBe(1);
        expect(result.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(
          event.Records.map((r) => r.messageId).sort(),
        );
        // First receive: the AWS backoff's first step, 30 s.
        expect(redelivery.deferred.map((d) => d.receiptHandle).sort()).toEqual(
          event.Records.map((r) => r.receiptHandle).sort(),
        );
        expect(redelivery.deferred.map((d) => d.seconds)).toEqual(Array(10).fill(30));
        expect(redelivery.deadLettered).toEqual([]);
        expect(metric('IngestRetriesDeferred')).toBe(10);
        expect(elapsed).toBeLessThan(15_000);
      } finally {
        await pool.end();
      }
    },
    60_000,
  );

  it('bounds the AWS pool: 5 s to connect, 8 s per query', () => {
    const pool = proxyPoolAt(closedPort);
    try {
      expect(pool.options.connectionTimeoutMillis).toBe(5_000);
      expect((pool.options as { query_timeout?: number }).query_timeout).toBe(8_000);
    } finally {
      void pool.end();
    }
  });
});

class CheckViolationError extends Error {
  readonly code = '23514';
  constructor() {
    super('new row violates check constraint');
    this.name = 'CheckViolationError';
  }
}

/** Inserts every message; a statement that carries the poisoned MessageSid fails as a check constraint would. */
function databaseRefusing(poisonSid: string): Queryable {
  return {
    query: (async (text: string, values: unknown[][]) => {
      const sids = (values[0] ?? []) as string[];
      if (text.includes('erased_subjects') && !text.includes('INSERT')) return { rows: [], rowCount: 0 };
      if (sids.includes(poisonSid)) throw new CheckViolationError();
      return { rows: sids.map((message_sid) => ({ message_sid })), rowCount: sids.length };
    }) as unknown as Queryable['query'],
  };
}

describe('ingest near the end of its invocation', () => {
  it('starts no attempt without time for it (connect + query) and for the defers: every record is deferred', async () => {
    const bodies = await signedMessages(10);
    const { db, counter } = counting(databaseRefusing('none'));
    const { handler, redelivery } = ingestWith(db);
    const result = await handler(sqsEvent(bodies), { getRemainingTimeInMillis: () => 15_000 });
    expect(counter.attempts).toBe(0);
    expect(result.batchItemFailures).toHaveLength(10);
    expect(redelivery.deferred.map((d) => d.seconds)).toEqual(Array(10).fill(30));
  });

  it('stops retrying records one by one when the time runs low and defers the rest', async () => {
    const bodies = await signedMessages(10);
    const poison = (JSON.parse(bodies[0] as string) as { messageSid: string }).messageSid;
    const { db, counter } = counting(databaseRefusing(poison));
    const { handler, redelivery, metric } = ingestWith(db);
    // Enough time for the batch and two records alone, then only 15 s left.
    const remaining = [29_000, 26_000, 23_000];
    const result = await handler(sqsEvent(bodies), {
      getRemainingTimeInMillis: () => remaining.shift() ?? 15_000,
    });
    expect(counter.attempts).toBe(3); // the batch, the poisoned record, one good record
    expect(metric('MessagesStored')).toBe(1);
    expect(redelivery.deadLettered).toHaveLength(1);
    expect(redelivery.deferred).toHaveLength(8);
    expect(result.batchItemFailures).toHaveLength(8);
  });
});

describe('isDatabaseUnreachable', () => {
  const serverError = (code: string) =>
    Object.assign(new Error('server said no'), { code, severity: 'ERROR' });
  it('is true without an answer from a server and for the classes of a server that cannot serve', () => {
    expect(isDatabaseUnreachable(new Error('Query read timeout'))).toBe(true);
    expect(isDatabaseUnreachable(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isDatabaseUnreachable(Object.assign(new Error('pipe'), { code: 'EPIPE' }))).toBe(true);
    expect(isDatabaseUnreachable(serverError('57P03'))).toBe(true);
    expect(isDatabaseUnreachable(serverError('08006'))).toBe(true);
    expect(isDatabaseUnreachable(serverError('53300'))).toBe(true);
  });
  it("is false for a server's answer about the statement: a trigger, a constraint", () => {
    expect(isDatabaseUnreachable(serverError('P0001'))).toBe(false);
    expect(isDatabaseUnreachable(serverError('23514'))).toBe(false);
    expect(isDatabaseUnreachable(serverError('42501'))).toBe(false);
  });
});
