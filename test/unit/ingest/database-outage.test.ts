// The AWS backoff on a simulated clock (issue 10): the real ingest handler, the real backoff policy and
// the queue settings the CDK app deploys, against a simulated SQS queue and a database that is down for
// four hours. Nothing is dead-lettered and nothing is lost; a record that can never be stored goes to
// the dead-letter queue on its first receive.

import { describe, expect, it } from 'vitest';
import { makeIngestHandler } from '../../../lambda/ingest/make-ingest-handler.js';
import { AWS_BACKOFF, maxReceiveCountFor } from '../../../lambda/ingest/redelivery.js';
import type { Queryable } from '../../../lambda/shared/db/pool.js';
import type { QueuedEnvelope } from '../../../lambda/shared/envelope-schema.js';
import { createLogger } from '../../../lambda/shared/logger.js';
import { createEmfMetrics } from '../../../lambda/shared/metrics.js';
import { inboundParams, signedWebhookEvent, statusParams } from '../../helpers/api-events.js';
import { sumMetric } from '../../helpers/emf.js';
import { SimulatedSqs } from '../../helpers/simulated-sqs.js';
import { ManualClock, webhookFixture } from '../../helpers/webhook-fixture.js';

const HOUR = 3600_000;
/** What the CDK app deploys (lib/constructs/ingest-queue.ts, lib/stacks/api-stack.ts): 6 × a 30 s timeout. */
const VISIBILITY_TIMEOUT_SECONDS = 180;
const RETENTION_SECONDS = 4 * 24 * 3600;

class DatabaseDownError extends Error {
  readonly code = 'ECONNREFUSED';
  constructor() {
    super('connect ECONNREFUSED 10.0.0.5:5432');
    this.name = 'DatabaseDownError';
  }
}

class CheckViolationError extends Error {
  readonly code = '23514';
  constructor() {
    super('new row violates check constraint');
    this.name = 'CheckViolationError';
  }
}

/**
 * PostgreSQL as storeEnvelopes uses it: each INSERT … unnest(…) RETURNING adds the keys it has not seen.
 * Down while `down()` says so; a row whose first column is `poison` breaks its statement, as a check
 * constraint would.
 */
function fakeDatabase(down: () => boolean, poison: ReadonlySet<string>) {
  const rows = new Set<string>();
  const db: Queryable = {
    query: (async (text: string, values: unknown[][]) => {
      if (down()) throw new DatabaseDownError();
      const keys = values[0] as string[];
      if (keys.some((k) => poison.has(k))) throw new CheckViolationError();
      const statuses = text.includes('message_status_updates') ? (values[1] as string[]) : undefined;
      const fresh: Record<string, string>[] = [];
      keys.forEach((key, i) => {
        const id = statuses ? `${key}/${statuses[i]}` : key;
        if (rows.has(id)) return;
        rows.add(id);
        if (statuses) fresh.push({ message_sid: key, status: statuses[i] as string });
        else if (text.includes('quarantined_payloads')) fresh.push({ payload_key: key });
        else fresh.push({ message_sid: key });
      });
      return { rows: fresh, rowCount: fresh.length };
    }) as unknown as Queryable['query'],
  };
  return { db, rows };
}

async function genuineEnvelopes(count: number): Promise<QueuedEnvelope[]> {
  const web = webhookFixture();
  for (let i = 0; i < count; i++) {
    const kind = i % 3 === 2 ? 'status' : 'message';
    const params =
      kind === 'status'
        ? statusParams()
        : inboundParams(i % 5 === 4 ? { Body: 'q'.repeat(1700) } : { Body: `hello ${i}` });
    const path = kind === 'status' ? '/webhooks/twilio/status' : '/webhooks/twilio/messages';
    const res = await web.handler(signedWebhookEvent({ token: web.token, params, path }));
    expect(res.statusCode).toBeLessThan(300);
  }
  return web.queue.sent.splice(0);
}

const keyOf = (e: QueuedEnvelope) =>
  e.kind === 'status'
    ? `${e.messageSid}/${e.status}`
    : e.kind === 'quarantined'
      ? e.payloadKey
      : e.messageSid;

function harness(options: { outage: [number, number]; maxReceiveCount: number; backoff: boolean }) {
  const clock = new ManualClock(0);
  const emf: string[] = [];
  const poison = new Set<string>();
  const start = options.outage[0];
  const end = options.outage[1];
  const database = fakeDatabase(() => clock.now() >= start && clock.now() < end, poison);
  const queue = new SimulatedSqs({
    clock,
    visibilityTimeoutSeconds: VISIBILITY_TIMEOUT_SECONDS,
    maxReceiveCount: options.maxReceiveCount,
    retentionSeconds: RETENTION_SECONDS,
    batchSize: 10,
  });
  const handler = makeIngestHandler(async () => ({
    db: database.db,
    metrics: createEmfMetrics('test', (line) => emf.push(line)),
    logger: createLogger('signalgate-ingest', () => {}),
    ...(options.backoff ? { redelivery: { queue, backoff: AWS_BACKOFF } } : {}),
  }));
  /** Runs the event source mapping second by second until `until` (ms on the fake clock). */
  const runUntil = async (until: number) => {
    while (clock.now() < until) {
      while ((await queue.poll(handler)) > 0) {}
      clock.advance(1000);
    }
  };
  return { clock, queue, database, poison, runUntil, metric: (name: string) => sumMetric(emf, name) };
}

describe('a four-hour database outage on a simulated clock', () => {
  it('loses nothing and dead-letters nothing; the backlog drains by itself after recovery', async () => {
    const maxReceiveCount = maxReceiveCountFor(AWS_BACKOFF);
    const h = harness({ outage: [10_000, 10_000 + 4 * HOUR], maxReceiveCount, backoff: true });
    const sent = await genuineEnvelopes(30);
    // Traffic before, through and after the outage.
    for (const e of sent.slice(0, 10)) h.queue.send(JSON.stringify(e));
    await h.runUntil(5_000);
    h.clock.advance(5_000);
    for (const e of sent.slice(10, 20)) h.queue.send(JSON.stringify(e));
    await h.runUntil(2 * HOUR);
    for (const e of sent.slice(20)) h.queue.send(JSON.stringify(e));
    await h.runUntil(10_000 + 4 * HOUR + 16 * 60_000);

    expect(h.queue.deadLetters).toEqual([]);
    expect(h.queue.expired).toEqual([]);
    expect(h.queue.size).toBe(0);
    expect([...h.database.rows].sort()).toEqual(sent.map(keyOf).sort());
    // The backoff kept the receives to a few per hour per record (without it: 80 per record).
    expect(h.queue.receives).toBeLessThan(20 * 25);
    expect(h.metric('RecordsDeadLettered')).toBe(0);
  }, 120_000);

  it('without the backoff, the previous queue settings (5 receives) dead-letter every record within 15 minutes', async () => {
    const h = harness({ outage: [0, 4 * HOUR], maxReceiveCount: 5, backoff: false });
    const sent = await genuineEnvelopes(6);
    for (const e of sent) h.queue.send(JSON.stringify(e));
    await h.runUntil(16 * 60_000);
    expect(h.queue.deadLetters.map((d) => d.by)).toEqual(Array(6).fill('redrive'));
  }, 60_000);

  it('sends a record that can never be stored to the dead-letter queue on its first receive, alone', async () => {
    const h = harness({
      outage: [HOUR, 2 * HOUR],
      maxReceiveCount: maxReceiveCountFor(AWS_BACKOFF),
      backoff: true,
    });
    const sent = await genuineEnvelopes(5);
    const refused = sent[1] as QueuedEnvelope;
    h.poison.add(refused.kind === 'quarantined' ? refused.payloadKey : (refused.messageSid as string));
    for (const e of sent) h.queue.send(JSON.stringify(e));
    h.queue.send('{"v":1,"kind":"message","messageSid":"not a sid"}');
    h.queue.send('not json at all');
    await h.runUntil(2_000);
    expect(h.queue.deadLetters.map((d) => [d.by, d.receiveCount])).toEqual([
      ['function', 1],
      ['function', 1],
      ['function', 1],
    ]);
    expect(h.queue.deadLetters.map((d) => d.body)).toContain(JSON.stringify(refused));
    expect(h.database.rows.size).toBe(4);
    expect(h.queue.size).toBe(0);
    expect(h.metric('RecordsDeadLettered')).toBe(3);
  });
});
