// Nothing genuine is ever dropped (issue 10): every payload of a realistic Twilio corpus, signed with
// twilio-node and sent through the local stack, is answered 2xx and found afterwards in PostgreSQL,
// stored normally or quarantined, and no column holds a plaintext number or body.

import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inPool } from '../adversarial/raw-http.js';
import { type RunningStack, startRunningStack } from '../adversarial/running-stack.js';
import { ACCOUNT_SID } from '../helpers/api-events.js';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.js';
import { type CorpusCase, type CorpusParams, twilioCorpus } from '../helpers/twilio-corpus.js';

const ROUTE_PATH = { message: '/webhooks/twilio/messages', status: '/webhooks/twilio/status' } as const;
const DRAIN_MS = 60_000;

let db: TestDatabase;
let stack: RunningStack;

beforeAll(async () => {
  db = await createTestDatabase();
  stack = await startRunningStack(db.url);
}, 120_000);

afterAll(async () => {
  const code = await stack?.stop();
  await db?.drop();
  expect(code).toBe(0);
});

function formBody(params: CorpusParams): string {
  const form = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    for (const v of Array.isArray(value) ? value : [value]) form.append(key, v);
  }
  return form.toString();
}

async function send(c: CorpusCase, token = stack.twilioToken): Promise<number> {
  const url = stack.url + ROUTE_PATH[c.route];
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      'X-Twilio-Signature': getExpectedTwilioSignature(token, url, c.params),
      'I-Twilio-Idempotency-Token': `${c.params.MessageSid}-${'i'.repeat(300)}`,
    },
    body: formBody(c.params),
  });
  await response.arrayBuffer();
  return response.status;
}

/** Where each case ended up: `normal`, `quarantined`, or missing. */
async function placeOf(c: CorpusCase): Promise<'normal' | 'quarantined' | undefined> {
  const sid = c.params.MessageSid as string;
  const normal =
    c.route === 'message'
      ? await db.pool.query('SELECT 1 FROM messages WHERE message_sid = $1', [sid])
      : await db.pool.query('SELECT 1 FROM message_status_updates WHERE message_sid = $1 AND status = $2', [
          sid,
          c.params.MessageStatus,
        ]);
  if ((normal.rowCount ?? 0) > 0) return 'normal';
  const quarantined = await db.pool.query(
    'SELECT 1 FROM quarantined_payloads WHERE message_sid = $1 AND route = $2',
    [sid, c.route],
  );
  return (quarantined.rowCount ?? 0) > 0 ? 'quarantined' : undefined;
}

describe('a corpus of genuine Twilio payloads through the local stack', () => {
  const corpus = twilioCorpus(ACCOUNT_SID);

  it(`answers every one of ${corpus.length} signed payloads 2xx and stores each, normal or quarantined`, async () => {
    expect(corpus.length).toBeGreaterThanOrEqual(100);
    const refused: string[] = [];
    await inPool(corpus, 4, async (c) => {
      const status = await send(c);
      if (status !== (c.route === 'message' ? 200 : 204)) refused.push(`${c.name}: ${status}`);
    });
    expect(refused).toEqual([]);

    const deadline = Date.now() + DRAIN_MS;
    let places = await Promise.all(corpus.map(placeOf));
    while (places.includes(undefined) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      places = await Promise.all(corpus.map(placeOf));
    }
    const missing = corpus.filter((_, i) => places[i] === undefined).map((c) => c.name);
    expect(missing).toEqual([]);
    const quarantined = corpus.filter((_, i) => places[i] === 'quarantined').map((c) => c.name);
    console.info(
      `[corpus] ${corpus.length} genuine payloads: 0 refused, ${corpus.length - quarantined.length} stored, ${quarantined.length} quarantined: ${quarantined.join('; ')}`,
    );
    // Documented shapes are stored normally: only what our schema does not know is quarantined.
    for (const name of [
      'plain SMS',
      'MMS with ten media',
      'status from sender "A&B Bank"',
      'status partially_delivered',
    ]) {
      expect(places[corpus.findIndex((c) => c.name === name)], name).toBe('normal');
    }
    for (const name of [
      'status delivery_unknown',
      'gbm: inbound',
      'SMS of 1,601 characters',
      'SMS with 200 parameters',
    ]) {
      expect(places[corpus.findIndex((c) => c.name === name)], name).toBe('quarantined');
    }
  }, 180_000);

  it('answers the same payloads forged (signed with another token) 403, and stores none of them', async () => {
    const forged = twilioCorpus(ACCOUNT_SID);
    const answers = new Set<number>();
    await inPool(forged, 4, async (c) => {
      answers.add(await send(c, 'f'.repeat(32)));
    });
    expect([...answers]).toEqual([403]);
    // Give the queue the time a genuine payload needs, then look for every forged MessageSid anywhere.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const sids = forged.map((c) => c.params.MessageSid as string);
    const found = await db.pool.query<{ n: number }>(
      `SELECT ((SELECT count(*) FROM messages WHERE message_sid = ANY($1))
             + (SELECT count(*) FROM message_status_updates WHERE message_sid = ANY($1))
             + (SELECT count(*) FROM quarantined_payloads WHERE message_sid = ANY($1)))::int AS n`,
      [sids],
    );
    expect(found.rows[0]?.n).toBe(0);
  });

  it('keeps no plaintext number or body in any column, and quarantine reasons quote no input', async () => {
    const tables = await db.pool.query<{ table_name: string }>(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'",
    );
    const needles = [
      ...new Set(corpus.flatMap((c) => c.secrets)),
      '14155550142',
      '14155550199',
      'corpus-body',
    ];
    for (const { table_name } of tables.rows) {
      const rows = await db.pool.query<{ row: string }>(
        `SELECT row_to_json(t)::text AS row FROM ${table_name} t`,
      );
      for (const { row } of rows.rows) {
        for (const needle of needles) expect(row, `${table_name} holds ${needle}`).not.toContain(needle);
      }
    }
    const checks = await db.pool.query<{ check: string }>(
      'SELECT DISTINCT unnest(failed_checks) AS check FROM quarantined_payloads',
    );
    for (const { check } of checks.rows) expect(check).toMatch(/^[A-Za-z]+:[a-z_]+$/);
  });
});
