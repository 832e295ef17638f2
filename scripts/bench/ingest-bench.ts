// Ingest throughput into embedded PostgreSQL: the real ingest handler on SQS-shaped batches of 10,
// drained by a few concurrent pollers as Lambda's event source mapping would, against a baseline that
// stores the same records with one INSERT … ON CONFLICT per record.

import type { SQSEvent } from 'aws-lambda';
import type pg from 'pg';
import { makeIngestHandler } from '../../lambda/ingest/make-ingest-handler.js';
import { parseEnvelope } from '../../lambda/shared/envelope-schema.js';
import { silentLogger } from '../../lambda/shared/logger.js';
import { createEmfMetrics } from '../../lambda/shared/metrics.js';
import { Table } from '../../lambda/shared/names.js';
import { sqsEvent } from '../../test/helpers/sqs-events.js';
import { type BenchPostgres, startBenchPostgres } from './bench-postgres.js';
import { webhookEnvelopes } from './envelopes.js';
import { fmt, printTable, type Row } from './measure.js';

const MESSAGES = 15_000;
/** SQS → Lambda delivers at most 10 records per batch (config.ingest.batchSize is 10 everywhere). */
const BATCH = 10;
/** Concurrent pollers/instances: between staging's maxConcurrency (5) and dev's (2). */
const POLLERS = 4;

type Consumer = (event: SQSEvent) => Promise<{ failed: number }>;

/** Drains every batch with POLLERS concurrent consumers; returns messages per second. */
async function drain(batches: SQSEvent[], consume: Consumer): Promise<number> {
  let next = 0;
  let failed = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: POLLERS }, async () => {
      for (let i = next++; i < batches.length; i = next++) {
        failed += (await consume(batches[i] as SQSEvent)).failed;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  if (failed > 0) throw new Error(`${failed} records failed to store`);
  return batches.reduce((n, b) => n + b.Records.length, 0) / seconds;
}

function batchedConsumer(pool: pg.Pool): Consumer {
  const handler = makeIngestHandler(async () => ({
    db: pool,
    metrics: createEmfMetrics('bench', () => {}),
    logger: silentLogger,
  }));
  return async (event) => ({ failed: (await handler(event)).batchItemFailures.length });
}

/** The obvious first version: one statement (and one commit) per record. */
function singleRowConsumer(pool: pg.Pool): Consumer {
  const sql = `INSERT INTO ${Table.messages}
      (message_sid, account_sid, messaging_service_sid, from_index, to_index, num_media, sealed, idempotency_token, received_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
    ON CONFLICT (message_sid) DO NOTHING`;
  return async (event) => {
    let failed = 0;
    for (const record of event.Records) {
      const e = parseEnvelope(record.body);
      if (e?.kind !== 'message') {
        failed++;
        continue;
      }
      await pool.query(sql, [
        e.messageSid,
        e.accountSid,
        e.messagingServiceSid ?? null,
        e.fromIndex,
        e.toIndex,
        e.numMedia,
        Buffer.from(e.sealed, 'base64url'),
        e.idempotencyToken ?? null,
        e.receivedAt,
      ]);
    }
    return { failed };
  };
}

async function storedCount(pool: pg.Pool): Promise<number> {
  const result = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${Table.messages}`);
  return Number(result.rows[0]?.n);
}

export async function runIngestBench(): Promise<Row[]> {
  const envelopes = await webhookEnvelopes(MESSAGES);
  const bodies = envelopes.map((e) => JSON.stringify(e));
  const batches: SQSEvent[] = [];
  for (let i = 0; i < bodies.length; i += BATCH) batches.push(sqsEvent(bodies.slice(i, i + BATCH)));

  const db: BenchPostgres = await startBenchPostgres(POLLERS);
  let left: number[] = [];
  const results: { name: string; perSecond: number; stored: number }[] = [];
  try {
    const truncate = () => db.pool.query(`TRUNCATE ${Table.messages}`);
    // Warm-up: connections opened, plans cached, the table's first pages allocated.
    await drain(batches.slice(0, 50), batchedConsumer(db.pool));
    for (const [name, consumer] of [
      ['batched', batchedConsumer(db.pool)],
      ['single-row', singleRowConsumer(db.pool)],
    ] as const) {
      await truncate();
      const perSecond = await drain(batches, consumer);
      results.push({ name, perSecond, stored: await storedCount(db.pool) });
    }
  } finally {
    left = await db.stop();
  }
  const [batched, single] = results as [(typeof results)[0], (typeof results)[0]];
  const rows: Row[] = [
    {
      name: `ingest msg/s (${MESSAGES} msgs, batches of ${BATCH}, ${POLLERS} pollers)`,
      value: fmt(batched.perSecond, 0),
      baseline: `${fmt(single.perSecond, 0)} (single-row INSERT)`,
      goal: '≥ 3,000',
      met: batched.perSecond >= 3000,
    },
    { name: 'speed-up over single-row inserts', value: `${fmt(batched.perSecond / single.perSecond, 1)}×` },
    {
      name: 'rows stored (batched / single-row)',
      value: `${batched.stored} / ${single.stored}`,
      goal: `${MESSAGES} each`,
      met: batched.stored === MESSAGES && single.stored === MESSAGES,
    },
    {
      name: 'postgres processes left after stop',
      value: String(left.length),
      goal: '0',
      met: left.length === 0,
    },
  ];
  printTable('Ingest into embedded PostgreSQL (issue 7)', rows);
  return rows;
}
