// Erasure is final (ARCHITECTURE §4): the erase core writes a tombstone with the deletes, atomically,
// and ingest drops every later copy of the subject's messages: Twilio redeliveries, SQS retries, DLQ
// redrives and the local queue journal. Runs against a real Postgres.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresSubjectRecords } from '../../lambda/admin/adapters/postgres-subject-records.js';
import { makeIngestHandler } from '../../lambda/ingest/make-ingest-handler.js';
import { createLogger } from '../../lambda/shared/logger.js';
import { createEmfMetrics } from '../../lambda/shared/metrics.js';
import type { QueuedEnvelope } from '../../lambda/shared/ports.js';
import { LocalQueue } from '../../local/local-queue.js';
import { QueueJournal } from '../../local/queue-journal.js';
import { inboundParams, signedWebhookEvent, statusParams } from '../helpers/api-events.js';
import { sumMetric } from '../helpers/emf.js';
import { sqsEvent, sqsRecord } from '../helpers/sqs-events.js';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.js';
import { webhookFixture } from '../helpers/webhook-fixture.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

function ingestWith(pool: pg.Pool | pg.Client = db.pool) {
  const emf: string[] = [];
  const handler = makeIngestHandler(async () => ({
    db: pool,
    metrics: createEmfMetrics('test', (l) => emf.push(l)),
    logger: createLogger('signalgate-ingest', () => {}),
  }));
  return { handler, metric: (name: string) => sumMetric(emf, name) };
}

/** Signed webhooks from `from` through the real webhook handler; returns the envelopes it queued. */
async function webhooksFrom(fixture: ReturnType<typeof webhookFixture>, from: string, count = 1) {
  for (let i = 0; i < count; i++) {
    const res = await fixture.handler(
      signedWebhookEvent({
        token: fixture.token,
        params: inboundParams({ From: from, Body: `secret ${i}` }),
      }),
    );
    expect(res.statusCode).toBe(200);
  }
  return fixture.queue.sent.splice(0) as QueuedEnvelope[];
}

const rowsOf = async (index: string) =>
  Number(
    (
      await db.pool.query<{ n: string }>(
        `SELECT (SELECT count(*) FROM messages WHERE from_index = $1 OR to_index = $1)
              + (SELECT count(*) FROM message_status_updates WHERE from_index = $1 OR to_index = $1) AS n`,
        [index],
      )
    ).rows[0]?.n,
  );

async function subject(phone: string) {
  const fixture = webhookFixture();
  const index = (await fixture.deps.blindIndex())(phone);
  return { fixture, index };
}

describe('erasing a subject', () => {
  it('deletes its rows and leaves a tombstone holding the blind index and the time, never the number', async () => {
    const phone = '+14155550201';
    const { fixture, index } = await subject(phone);
    const { handler } = ingestWith();
    await handler(sqsEvent((await webhooksFrom(fixture, phone, 3)).map((e) => JSON.stringify(e))));
    expect(await rowsOf(index)).toBe(3);

    const erased = await new PostgresSubjectRecords(db.pool).erase(index);
    expect(erased).toEqual({
      messages: 3,
      statuses: 0,
      quarantined: 0,
      calls: 0,
      callStatuses: 0,
      recordings: 0,
    });
    expect(await rowsOf(index)).toBe(0);
    const tombstones = await db.pool.query('SELECT * FROM erased_subjects WHERE blind_index = $1', [index]);
    expect(tombstones.rows).toHaveLength(1);
    expect(Object.keys(tombstones.rows[0]).sort()).toEqual(['blind_index', 'erased_at']);
    expect(JSON.stringify(tombstones.rows[0])).not.toContain('5550201');
  });

  it('changes nothing when the tombstone cannot be written (rows and tombstone commit together)', async () => {
    const phone = '+14155550202';
    const { fixture, index } = await subject(phone);
    await ingestWith().handler(
      sqsEvent((await webhooksFrom(fixture, phone, 2)).map((e) => JSON.stringify(e))),
    );
    // A fault at the tombstone write: a trigger that refuses this subject's tombstone.
    await db.pool.query(`
      CREATE FUNCTION refuse_tombstone() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.blind_index = '${index}' THEN RAISE EXCEPTION 'tombstone refused'; END IF; RETURN NEW; END $$;
      CREATE TRIGGER refuse_tombstone BEFORE INSERT ON erased_subjects FOR EACH ROW EXECUTE FUNCTION refuse_tombstone();`);
    try {
      await expect(new PostgresSubjectRecords(db.pool).erase(index)).rejects.toThrow('tombstone refused');
      expect(await rowsOf(index)).toBe(2);
    } finally {
      await db.pool.query(
        'DROP TRIGGER refuse_tombstone ON erased_subjects; DROP FUNCTION refuse_tombstone();',
      );
    }
  });

  it('keeps the tombstone when the retention run deletes old rows', async () => {
    const phone = '+14155550203';
    const { fixture, index } = await subject(phone);
    await ingestWith().handler(sqsEvent((await webhooksFrom(fixture, phone)).map((e) => JSON.stringify(e))));
    const records = new PostgresSubjectRecords(db.pool);
    await records.erase(index);
    await records.deleteReceivedBefore(new Date(Date.now() + 365 * 86_400_000));
    expect(
      (await db.pool.query('SELECT 1 FROM erased_subjects WHERE blind_index = $1', [index])).rowCount,
    ).toBe(1);
  });

  it('waits for an insert in flight and deletes it too, so no row of the subject survives the race', async () => {
    const phone = '+14155550204';
    const { fixture, index } = await subject(phone);
    const [envelope] = await webhooksFrom(fixture, phone);
    // An ingest transaction that inserted the subject's message but has not committed yet.
    const inFlight = new pg.Client(db.url);
    await inFlight.connect();
    try {
      await inFlight.query('BEGIN');
      await inFlight.query(
        `INSERT INTO messages (message_sid, account_sid, from_index, to_index, num_media, sealed, received_at)
         VALUES ($1, $2, $3, $4, 0, '\\x00', now())`,
        [envelope?.messageSid, envelope?.accountSid, index, 'business'],
      );
      const erasing = new PostgresSubjectRecords(db.pool).erase(index);
      await new Promise((resolve) => setTimeout(resolve, 200)); // the erasure is now waiting
      await inFlight.query('COMMIT');
      expect(await erasing).toEqual({
        messages: 1,
        statuses: 0,
        quarantined: 0,
        calls: 0,
        callStatuses: 0,
        recordings: 0,
      });
      expect(await rowsOf(index)).toBe(0);
    } finally {
      await inFlight.end();
    }
  });
});

describe('ingest after an erasure', () => {
  it('drops and counts an SQS retry or a DLQ redrive of the same envelope, storing nothing', async () => {
    const phone = '+14155550211';
    const { fixture, index } = await subject(phone);
    const bodies = (await webhooksFrom(fixture, phone, 2)).map((e) => JSON.stringify(e));
    await ingestWith().handler(sqsEvent(bodies));
    await new PostgresSubjectRecords(db.pool).erase(index);

    const { handler, metric } = ingestWith();
    const retry = await handler(sqsEvent(bodies));
    // A redrive from the DLQ arrives with a high receive count; it is acknowledged, not retried again.
    const redrive = await handler({ Records: bodies.map((b) => sqsRecord(b, 7)) });
    expect(retry.batchItemFailures).toEqual([]);
    expect(redrive.batchItemFailures).toEqual([]);
    expect(await rowsOf(index)).toBe(0);
    expect(metric('ErasedSubjectDropped')).toBe(4);
    expect(metric('MessagesStored')).toBe(0);
    expect(metric('DuplicatesDropped')).toBe(0);
  });

  it('drops a Twilio redelivery (a new webhook for the same message) and status callbacks naming the subject', async () => {
    const phone = '+14155550212';
    const { fixture, index } = await subject(phone);
    const params = inboundParams({ From: phone });
    const first = await fixture.handler(signedWebhookEvent({ token: fixture.token, params }));
    expect(first.statusCode).toBe(200);
    await ingestWith().handler(sqsEvent(fixture.queue.sent.splice(0).map((e) => JSON.stringify(e))));
    await new PostgresSubjectRecords(db.pool).erase(index);

    const again = await fixture.handler(signedWebhookEvent({ token: fixture.token, params }));
    expect(again.statusCode).toBe(200); // the signed webhook is answered as always, never refused
    const status = await fixture.handler(
      signedWebhookEvent({
        token: fixture.token,
        params: statusParams({ MessageSid: params.MessageSid as string, To: phone }),
        path: '/webhooks/twilio/status',
      }),
    );
    expect(status.statusCode).toBe(204);
    const { handler, metric } = ingestWith();
    await handler(sqsEvent(fixture.queue.sent.splice(0).map((e) => JSON.stringify(e))));
    expect(await rowsOf(index)).toBe(0);
    expect(metric('ErasedSubjectDropped')).toBe(2);
  });

  it('drops a signed webhook of the subject that fails the schema instead of quarantining it again', async () => {
    const phone = '+14155550216';
    const { fixture, index } = await subject(phone);
    await new PostgresSubjectRecords(db.pool).erase(index);

    const res = await fixture.handler(
      signedWebhookEvent({ token: fixture.token, params: inboundParams({ From: phone, NumMedia: 'x' }) }),
    );
    expect(res.statusCode).toBe(200); // answered as always, never refused
    const queued = fixture.queue.sent.splice(0) as QueuedEnvelope[];
    expect(queued.map((e) => e.kind)).toEqual(['quarantined']);
    expect(queued[0]?.fromIndex).toBe(index);

    const { handler, metric } = ingestWith();
    const result = await handler(sqsEvent(queued.map((e) => JSON.stringify(e))));
    expect(result.batchItemFailures).toEqual([]);
    const quarantined = await db.pool.query(
      'SELECT 1 FROM quarantined_payloads WHERE from_index = $1 OR to_index = $1',
      [index],
    );
    expect(quarantined.rowCount).toBe(0);
    expect(metric('ErasedSubjectDropped')).toBe(1);
    expect(metric('PayloadsQuarantined')).toBe(0);
  });

  it('stores the other subjects of the same batch', async () => {
    const erasedPhone = '+14155550213';
    const { fixture, index } = await subject(erasedPhone);
    await new PostgresSubjectRecords(db.pool).erase(index);
    const other = (await fixture.deps.blindIndex())('+14155550214');
    const bodies = [
      ...(await webhooksFrom(fixture, erasedPhone)),
      ...(await webhooksFrom(fixture, '+14155550214', 2)),
    ].map((e) => JSON.stringify(e));
    const { handler, metric } = ingestWith();
    await handler(sqsEvent(bodies));
    expect(metric('MessagesStored')).toBe(2);
    expect(metric('ErasedSubjectDropped')).toBe(1);
    expect(await rowsOf(other)).toBe(2);
    expect(await rowsOf(index)).toBe(0);
  });

  it('drops the local queue journal replaying an erased subject at the next start', async () => {
    const phone = '+14155550215';
    const { fixture, index } = await subject(phone);
    const envelopes = await webhooksFrom(fixture, phone, 2);
    await new PostgresSubjectRecords(db.pool).erase(index);
    const dir = await mkdtemp(path.join(os.tmpdir(), 'signalgate-erasure-'));
    try {
      // What a stopped local stack leaves behind: sends not yet acknowledged by ingest.
      const file = path.join(dir, 'queue.jsonl');
      await writeFile(
        file,
        envelopes
          .map((e, i) =>
            JSON.stringify({ op: 'send', id: `m${i}`, body: JSON.stringify(e), sentAt: Date.now() }),
          )
          .join('\n')
          .concat('\n'),
      );
      const { journal, pending } = await QueueJournal.open(file);
      expect(pending).toHaveLength(2);
      const { handler, metric } = ingestWith();
      const queue = new LocalQueue({
        journal,
        pending,
        consumer: handler,
        deadLetterFile: path.join(dir, 'dlq'),
      });
      await queue.close(10_000);
      expect(metric('ErasedSubjectDropped')).toBe(2);
      expect(await rowsOf(index)).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
