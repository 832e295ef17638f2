import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeIngestHandler } from '../../lambda/ingest/make-ingest-handler.js';
import { runMigrations } from '../../lambda/shared/db/migrate.js';
import { MIGRATIONS } from '../../lambda/shared/db/migrations.js';
import { createLogger } from '../../lambda/shared/logger.js';
import { createEmfMetrics } from '../../lambda/shared/metrics.js';
import { SealPurpose } from '../../lambda/shared/names.js';
import type { QueuedEnvelope } from '../../lambda/shared/ports.js';
import { inboundParams, signedWebhookEvent, statusParams } from '../helpers/api-events.js';
import { sumMetric } from '../helpers/emf.js';
import { sqsEvent, sqsRecord } from '../helpers/sqs-events.js';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.js';
import { webhookFixture } from '../helpers/webhook-fixture.js';

let db: TestDatabase;
/** The ingest function's own role, as it connects in AWS and in the local stack. */
let ingestPool: pg.Pool;

beforeAll(async () => {
  db = await createTestDatabase();
  ingestPool = db.poolAs('signalgate_ingest', 25);
});
afterAll(async () => {
  await db?.drop();
});

function ingestWith(pool: pg.Pool | pg.Client) {
  const emf: string[] = [];
  const handler = makeIngestHandler(async () => ({
    db: pool,
    metrics: createEmfMetrics('test', (l) => emf.push(l)),
    logger: createLogger('signalgate-ingest', () => {}),
  }));
  const metric = (name: string) => sumMetric(emf, name);
  return { handler, metric };
}

/** Genuine envelopes, produced by the real webhook handler from signed requests. */
async function envelopes(count: number, kind: 'message' | 'status' = 'message', fixture = webhookFixture()) {
  for (let i = 0; i < count; i++) {
    const params = kind === 'message' ? inboundParams({ Body: `private body ${i}` }) : statusParams();
    const path = kind === 'message' ? '/webhooks/twilio/messages' : '/webhooks/twilio/status';
    const res = await fixture.handler(signedWebhookEvent({ token: fixture.token, params, path }));
    expect(res.statusCode).toBeLessThan(300);
  }
  return { fixture, sent: fixture.queue.sent.splice(0) as QueuedEnvelope[] };
}

const count = async (sql: string, params: unknown[] = []) =>
  Number((await db.pool.query<{ n: string }>(`SELECT count(*) AS n ${sql}`, params)).rows[0]?.n);

describe('migrations', () => {
  it('apply from an empty database and are a no-op when re-run', async () => {
    const fresh = await createTestDatabase({ migrate: false });
    try {
      const client = await fresh.pool.connect();
      try {
        const first = await runMigrations(client);
        expect(first.applied).toEqual(MIGRATIONS.map((m) => m.version));
        const again = await runMigrations(client);
        expect(again.applied).toEqual([]);
      } finally {
        client.release();
      }
    } finally {
      await fresh.drop();
    }
  });

  it('apply once when several processes migrate at the same moment', async () => {
    const fresh = await createTestDatabase({ migrate: false });
    try {
      const clients = await Promise.all(Array.from({ length: 4 }, () => fresh.pool.connect()));
      const results = await Promise.all(clients.map((c) => runMigrations(c)));
      for (const c of clients) c.release();
      expect(results.flatMap((r) => r.applied).sort((a, b) => a - b)).toEqual(
        MIGRATIONS.map((m) => m.version),
      );
    } finally {
      await fresh.drop();
    }
  });
});

describe('ingest', () => {
  it('stores a message delivered twice in sequence exactly once', async () => {
    const { handler, metric } = ingestWith(ingestPool);
    const { sent } = await envelopes(1);
    const body = JSON.stringify(sent[0]);
    expect((await handler(sqsEvent([body]))).batchItemFailures).toEqual([]);
    expect((await handler(sqsEvent([body]))).batchItemFailures).toEqual([]);
    expect(await count('FROM messages WHERE message_sid = $1', [sent[0]?.messageSid])).toBe(1);
    expect(metric('MessagesStored')).toBe(1);
    expect(metric('DuplicatesDropped')).toBe(1);
  });

  it('stores a message delivered 20 times concurrently over separate connections exactly once', async () => {
    const { sent } = await envelopes(1);
    const body = JSON.stringify(sent[0]);
    const clients = await Promise.all(Array.from({ length: 20 }, () => ingestPool.connect()));
    try {
      const results = await Promise.all(clients.map((c) => ingestWith(c).handler(sqsEvent([body]))));
      expect(results.every((r) => r.batchItemFailures.length === 0)).toBe(true);
    } finally {
      for (const c of clients) c.release();
    }
    expect(await count('FROM messages WHERE message_sid = $1', [sent[0]?.messageSid])).toBe(1);
  });

  it('stores duplicates inside one batch once', async () => {
    const { handler, metric } = ingestWith(ingestPool);
    const { sent } = await envelopes(2);
    const bodies = [sent[0], sent[1], sent[0]].map((e) => JSON.stringify(e));
    expect((await handler(sqsEvent(bodies))).batchItemFailures).toEqual([]);
    expect(metric('MessagesStored')).toBe(2);
    expect(metric('DuplicatesDropped')).toBe(1);
  });

  it('reports one poisoned record in a batch of 10 as the only failure', async () => {
    const { handler } = ingestWith(ingestPool);
    const { sent } = await envelopes(9);
    const event = sqsEvent([
      ...sent.slice(0, 4).map((e) => JSON.stringify(e)),
      '{"v":1,"kind":"message"',
      ...sent.slice(4).map((e) => JSON.stringify(e)),
    ]);
    const poisoned = event.Records[4]?.messageId;
    const result = await handler(event);
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: poisoned }]);
    expect(await count('FROM messages WHERE message_sid = ANY($1)', [sent.map((e) => e.messageSid)])).toBe(9);
  });

  it('isolates a record the database refuses without failing the rest of the batch', async () => {
    const { handler } = ingestWith(ingestPool);
    const { sent } = await envelopes(3);
    const refusedSid = sent[1]?.messageSid as string;
    // Fault injection at the database: a trigger refuses exactly one row, as a constraint would.
    await db.pool.query(`
      CREATE FUNCTION refuse_one() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.message_sid = '${refusedSid}' THEN RAISE EXCEPTION 'refused for the test'; END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER refuse_one BEFORE INSERT ON messages FOR EACH ROW EXECUTE FUNCTION refuse_one();`);
    try {
      const event = sqsEvent(sent.map((e) => JSON.stringify(e)));
      const result = await handler(event);
      expect(result.batchItemFailures).toEqual([{ itemIdentifier: event.Records[1]?.messageId }]);
      expect(await count('FROM messages WHERE message_sid = ANY($1)', [sent.map((e) => e.messageSid)])).toBe(
        2,
      );
    } finally {
      await db.pool.query('DROP TRIGGER refuse_one ON messages; DROP FUNCTION refuse_one();');
    }
  });

  it.each([
    ['4,096 emoji', '\u{1F600}'],
    ['4,096 CJK characters', '\u8A9E'],
  ])('answers 200 to a signed WhatsApp message of %s with 10 media and stores it', async (_case, char) => {
    const fixture = webhookFixture();
    const sid = inboundParams().MessageSid as string;
    const media: Record<string, string> = {};
    for (let i = 0; i < 10; i++) {
      media[`MediaUrl${i}`] =
        `https://api.twilio.com/2010-04-01/Accounts/AC${'a'.repeat(32)}/Messages/${sid}/Media/ME${String(i).repeat(32)}`;
      media[`MediaContentType${i}`] = 'image/jpeg';
    }
    const params = inboundParams({
      MessageSid: sid,
      SmsMessageSid: sid,
      SmsSid: sid,
      From: 'whatsapp:+14155550111',
      To: 'whatsapp:+14155550100',
      ProfileName: 'A Customer',
      WaId: '14155550111',
      Body: char.repeat(4096),
      NumMedia: '10',
      NumSegments: '1',
      ...media,
    });
    const event = signedWebhookEvent({ token: fixture.token, params });
    // The largest kind of body Twilio sends: 4,096 four-byte characters, percent-encoded, and 10 media.
    if (char.length === 2) expect(Buffer.byteLength(event.body ?? '')).toBeGreaterThan(50_000);
    const res = await fixture.handler(event);
    expect(res.statusCode).toBe(200);
    const sent = fixture.queue.sent.splice(0) as QueuedEnvelope[];
    expect(sent).toHaveLength(1);
    const { handler } = ingestWith(ingestPool);
    expect((await handler(sqsEvent(sent.map((e) => JSON.stringify(e))))).batchItemFailures).toEqual([]);
    expect(
      (await count('FROM messages WHERE message_sid = $1', [sid])) +
        (await count('FROM quarantined_payloads WHERE message_sid = $1', [sid])),
    ).toBe(1);
  });

  it('records status callbacks against their message once per status', async () => {
    const { handler, metric } = ingestWith(ingestPool);
    const { sent } = await envelopes(3, 'status');
    const bodies = [...sent, sent[0]].map((e) => JSON.stringify(e));
    expect((await handler(sqsEvent(bodies))).batchItemFailures).toEqual([]);
    expect(metric('StatusUpdatesStored')).toBe(3);
    expect(
      await count('FROM message_status_updates WHERE message_sid = ANY($1)', [sent.map((e) => e.messageSid)]),
    ).toBe(3);
  });

  it('fails the whole batch back to the queue when the database is unreachable', async () => {
    const { sent } = await envelopes(2);
    const dead = new pg.Pool({
      connectionString: 'postgres://nobody:x@127.0.0.1:1/none',
      connectionTimeoutMillis: 500,
    });
    try {
      const event = sqsEvent(sent.map((e) => JSON.stringify(e)));
      const result = await ingestWith(dead).handler(event);
      expect(result.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(
        event.Records.map((r) => r.messageId).sort(),
      );
    } finally {
      await dead.end();
    }
  });

  it('stores a quarantined payload once, sealed, with only the names of its failed checks in clear', async () => {
    const { handler, metric } = ingestWith(db.pool);
    const fixture = webhookFixture();
    const secretBody = `quarantine-secret ${'z'.repeat(1700)}`;
    const params = inboundParams({ From: '+14155550177', Body: secretBody });
    const res = await fixture.handler(signedWebhookEvent({ token: fixture.token, params }));
    expect(res.statusCode).toBe(200);
    const [envelope] = fixture.queue.sent.splice(0);
    const body = JSON.stringify(envelope);
    expect((await handler(sqsEvent([body, body]))).batchItemFailures).toEqual([]);
    expect(metric('PayloadsQuarantined')).toBe(1);
    expect(metric('DuplicatesDropped')).toBe(1);
    const rows = await db.pool.query<Record<string, unknown>>(
      'SELECT route, failed_checks, message_sid, row_to_json(q)::text AS whole FROM quarantined_payloads q WHERE message_sid = $1',
      [params.MessageSid],
    );
    expect(rows.rows).toHaveLength(1);
    expect(rows.rows[0]).toMatchObject({ route: 'message', failed_checks: ['Body:too_long'] });
    for (const plaintext of ['+14155550177', '14155550177', 'quarantine-secret', '+14155550100']) {
      expect(rows.rows[0]?.whole).not.toContain(plaintext);
    }
  });

  it('dead-letters a record the database refuses at once, and backs off while the database is unreachable', async () => {
    const calls: string[] = [];
    const redelivery = {
      backoff: { baseSeconds: 30, capSeconds: 900 },
      queue: {
        defer: async (handle: string, seconds: number) => void calls.push(`defer ${handle} ${seconds}`),
        deadLetter: async (r: { messageId: string; reason: string }) =>
          void calls.push(`dead-letter ${r.messageId} ${r.reason}`),
      },
    };
    const { sent } = await envelopes(2);
    const refusedSid = sent[0]?.messageSid as string;
    await db.pool.query(`
      CREATE FUNCTION refuse_one_check() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.message_sid = '${refusedSid}' THEN RAISE check_violation USING MESSAGE = 'refused'; END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER refuse_one_check BEFORE INSERT ON messages FOR EACH ROW EXECUTE FUNCTION refuse_one_check();`);
    try {
      const handler = makeIngestHandler(async () => ({
        db: db.pool,
        metrics: createEmfMetrics('test', () => {}),
        logger: createLogger('signalgate-ingest', () => {}),
        redelivery,
      }));
      const event = sqsEvent(sent.map((e) => JSON.stringify(e)));
      expect((await handler(event)).batchItemFailures).toEqual([]);
      expect(calls).toEqual([`dead-letter ${event.Records[0]?.messageId} refused by the database`]);
    } finally {
      await db.pool.query('DROP TRIGGER refuse_one_check ON messages; DROP FUNCTION refuse_one_check();');
    }
    calls.length = 0;
    const dead = new pg.Pool({
      connectionString: 'postgres://nobody:x@127.0.0.1:1/none',
      connectionTimeoutMillis: 500,
    });
    try {
      const handler = makeIngestHandler(async () => ({
        db: dead,
        metrics: createEmfMetrics('test', () => {}),
        logger: createLogger('signalgate-ingest', () => {}),
        redelivery,
      }));
      const event = { Records: [sqsRecord(JSON.stringify(sent[1]), 4)] };
      expect((await handler(event)).batchItemFailures).toEqual([
        { itemIdentifier: event.Records[0]?.messageId },
      ]);
      // The fourth receive waits 30 s × 2³ = 240 s.
      expect(calls).toEqual([`defer ${event.Records[0]?.receiptHandle} 240`]);
    } finally {
      await dead.end();
    }
  });

  it('keeps sealed records that open again to the exact payload, and no plaintext anywhere in the database', async () => {
    const { handler } = ingestWith(ingestPool);
    const { fixture, sent } = await envelopes(5);
    const statuses = await envelopes(2, 'status', fixture);
    await handler(sqsEvent([...sent, ...statuses.sent].map((e) => JSON.stringify(e))));
    const row = (
      await db.pool.query<{ sealed: Buffer; from_index: string; to_index: string }>(
        'SELECT sealed, from_index, to_index FROM messages WHERE message_sid = $1',
        [sent[0]?.messageSid],
      )
    ).rows[0];
    const opened = JSON.parse(
      (
        await fixture.deps.sealer.open(row?.sealed as Buffer, {
          purpose: SealPurpose.message,
          id: sent[0]?.messageSid as string,
          // The row's blind indexes are part of the record's authenticated context (format v2).
          indexes: { from: row?.from_index ?? null, to: row?.to_index ?? null },
        })
      ).toString(),
    );
    expect(opened.Body).toBe('private body 0');

    // Scan every column of every table as text for the phone numbers and bodies used above.
    const tables = await db.pool.query<{ table_name: string }>(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'",
    );
    const needles = [
      '+14155550100',
      '+14155550111',
      '14155550100',
      'private body',
      'Hello from the test suite',
    ];
    for (const { table_name } of tables.rows) {
      const rows = await db.pool.query(`SELECT * FROM ${pg.escapeIdentifier(table_name)}`);
      for (const r of rows.rows) {
        for (const value of Object.values(r)) {
          const asText = Buffer.isBuffer(value) ? value.toString('latin1') : String(value);
          for (const needle of needles) expect(asText, `${table_name}`).not.toContain(needle);
        }
      }
    }
  });
});
