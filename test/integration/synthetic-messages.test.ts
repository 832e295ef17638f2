import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresSubjectRecords } from '../../lambda/admin/adapters/postgres-subject-records.js';
import { adminHealth } from '../../lambda/admin/admin-health.js';
import { makeIngestHandler } from '../../lambda/ingest/make-ingest-handler.js';
import { createLogger } from '../../lambda/shared/logger.js';
import { createEmfMetrics } from '../../lambda/shared/metrics.js';
import { DbRole } from '../../lambda/shared/names.js';
import type { QueuedEnvelope } from '../../lambda/shared/ports.js';
import { inboundParams, signedWebhookEvent } from '../helpers/api-events.js';
import { sumMetric } from '../helpers/emf.js';
import { sqsEvent } from '../helpers/sqs-events.js';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.js';
import { webhookFixture } from '../helpers/webhook-fixture.js';

let db: TestDatabase;
// Each side connects as its function's role, as deployed: the grants must allow what these tests do.
let ingestPool: pg.Pool;
let adminPool: pg.Pool;
let retentionPool: pg.Pool;
beforeAll(async () => {
  db = await createTestDatabase();
  ingestPool = db.poolAs(DbRole.ingest, 2);
  adminPool = db.poolAs(DbRole.admin, 2);
  retentionPool = db.poolAs(DbRole.retention, 2);
});
afterAll(async () => {
  await db?.drop();
});

const SUBJECT = '+14155550111';

/** Sends one real and one synthetic message from the same number through the webhook, then ingests both. */
async function realAndSynthetic(marker: string) {
  const fixture = webhookFixture();
  const real = inboundParams({ From: SUBJECT, Body: 'a real message' });
  const synthetic = inboundParams({ From: SUBJECT, Body: 'signalgate verify', SignalgateSynthetic: marker });
  for (const params of [real, synthetic]) {
    const res = await fixture.handler(
      signedWebhookEvent({ token: fixture.token, params, path: '/webhooks/twilio/messages' }),
    );
    expect(res.statusCode).toBe(200);
  }
  const envelopes = fixture.queue.sent.splice(0) as QueuedEnvelope[];
  const emf: string[] = [];
  const ingest = makeIngestHandler(async () => ({
    db: ingestPool,
    metrics: createEmfMetrics('test', (l) => emf.push(l)),
    logger: createLogger('signalgate-ingest', () => {}),
  }));
  const result = await ingest(sqsEvent(envelopes.map((e) => JSON.stringify(e))));
  expect(result.batchItemFailures).toEqual([]);
  return {
    fixture,
    envelopes,
    realSid: real.MessageSid as string,
    syntheticSid: synthetic.MessageSid as string,
    ingestMetric: (name: string) => sumMetric(emf, name),
  };
}

describe('synthetic messages (npm run verify, canary)', () => {
  it('are marked through the queue and counted apart from real traffic', async () => {
    const run = await realAndSynthetic('verify');
    expect(run.envelopes.map((e) => (e.kind === 'message' ? (e.synthetic ?? null) : 'status'))).toEqual([
      null,
      'verify',
    ]);
    expect(run.fixture.metric('MessagesQueued')).toBe(1);
    expect(run.fixture.metric('SyntheticMessagesQueued')).toBe(1);
    expect(run.ingestMetric('MessagesStored')).toBe(1);
    expect(run.ingestMetric('SyntheticMessagesStored')).toBe(1);
    const rows = await db.pool.query<{ message_sid: string; synthetic: string | null }>(
      'SELECT message_sid, synthetic FROM messages WHERE message_sid = ANY($1) ORDER BY synthetic NULLS FIRST',
      [[run.realSid, run.syntheticSid]],
    );
    expect(rows.rows).toEqual([
      { message_sid: run.realSid, synthetic: null },
      { message_sid: run.syntheticSid, synthetic: 'verify' },
    ]);
  });

  it('treats any other value of the field as an ordinary parameter', async () => {
    const run = await realAndSynthetic('yes');
    expect(run.envelopes.every((e) => e.kind === 'message' && e.synthetic === undefined)).toBe(true);
    expect(run.fixture.metric('MessagesQueued')).toBe(2);
    expect(run.ingestMetric('SyntheticMessagesStored')).toBe(0);
  });

  it('are left out of exports and stored counts, and shown by health as the latest synthetic message', async () => {
    const run = await realAndSynthetic('canary');
    const records = new PostgresSubjectRecords(adminPool);
    const fromIndex = (run.envelopes[0] as Extract<QueuedEnvelope, { kind: 'message' }>).fromIndex;
    const exported = await records.page(fromIndex, { kind: 'messages' }, 100);
    expect(exported.messages.map((m) => m.messageSid)).not.toContain(run.syntheticSid);
    expect(exported.messages.map((m) => m.messageSid)).toContain(run.realSid);
    // The four-eyes threshold counts what an export would hold: real messages only.
    const owner = await db.pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM messages WHERE (from_index = $1 OR to_index = $1) AND synthetic IS NULL',
      [fromIndex],
    );
    // This file stores no status update or quarantined payload: the count is the real messages alone.
    expect(await records.count(fromIndex)).toBe(owner.rows[0]?.n);
    const total = await db.pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM messages WHERE synthetic IS NULL',
    );
    expect((await records.storedCounts()).messages).toBe(total.rows[0]?.n);
    const health = await adminHealth({
      database: records,
      queueStats: { stats: async () => ({ depth: 0, inFlight: 0, oldestAgeSeconds: 0, deadLetterDepth: 0 }) },
      secretAges: { ages: async () => ({}) },
      logger: createLogger('signalgate-admin', () => {}),
      clock: { now: () => Date.now() },
    });
    expect(health.latestSynthetic?.messageSid).toBe(run.syntheticSid);
    expect(health.latestSynthetic?.kind).toBe('canary');
  });

  it('are deleted by retention after 24 hours, while real messages keep the environment retention', async () => {
    const run = await realAndSynthetic('verify');
    const records = new PostgresSubjectRecords(retentionPool);
    const ago = async (sid: string, hours: number) =>
      db.pool.query(
        `UPDATE messages SET stored_at = now() - make_interval(hours => $2), received_at = now() - make_interval(hours => $2) WHERE message_sid = $1`,
        [sid, hours],
      );
    await ago(run.syntheticSid, 23);
    await ago(run.realSid, 25);
    const cutoff = new Date(Date.now() - 30 * 24 * 3600 * 1000);
    await records.deleteReceivedBefore(cutoff);
    const left = async () =>
      (
        await db.pool.query<{ message_sid: string }>(
          'SELECT message_sid FROM messages WHERE message_sid = ANY($1)',
          [[run.realSid, run.syntheticSid]],
        )
      ).rows.map((r) => r.message_sid);
    expect((await left()).sort()).toEqual([run.realSid, run.syntheticSid].sort());
    await ago(run.syntheticSid, 25);
    const deleted = await records.deleteReceivedBefore(cutoff);
    expect(deleted.messages).toBeGreaterThanOrEqual(1);
    expect(await left()).toEqual([run.realSid]);
  });
});
