// A subject's calls through export, erasure and retention (issue 14), against a real Postgres.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresSubjectRecords } from '../../lambda/admin/adapters/postgres-subject-records.js';
import type { ExportPosition } from '../../lambda/admin/ports.js';
import { exportSubject } from '../../lambda/admin/subject-export.js';
import { makeIngestHandler } from '../../lambda/ingest/make-ingest-handler.js';
import { createLogger } from '../../lambda/shared/logger.js';
import { createEmfMetrics } from '../../lambda/shared/metrics.js';
import type { QueuedEnvelope } from '../../lambda/shared/ports.js';
import { VoiceConfig } from '../../lambda/shared/voice-config.js';
import { callParams, callStatusParams, recordingParams, signedWebhookEvent } from '../helpers/api-events.js';
import { sumMetric } from '../helpers/emf.js';
import { sqsEvent } from '../helpers/sqs-events.js';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.js';
import { webhookFixture } from '../helpers/webhook-fixture.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

const voice = VoiceConfig.parse({
  enabled: true,
  defaultAnswer: { kind: 'reject' },
  fallback: { kind: 'say', text: 'Please call again later.' },
});
const quiet = createLogger('test', () => {});

/** A subject who called twice: each call with two status callbacks and a recording, one callback quarantined. */
async function subjectWithCalls(phone: string) {
  const f = webhookFixture({ voice });
  const index = (await f.deps.blindIndex())(phone);
  const send = async (path: string, params: Record<string, string>) => {
    const res = await f.handler(signedWebhookEvent({ token: f.token, params, path }));
    expect(res.statusCode).toBeLessThan(300);
  };
  const callSids: string[] = [];
  for (let c = 0; c < 2; c++) {
    const call = callParams({ From: phone, Caller: phone });
    const callSid = call.CallSid as string;
    callSids.push(callSid);
    await send('/webhooks/twilio/voice', call);
    await send(
      '/webhooks/twilio/voice/status',
      callStatusParams({ CallSid: callSid, From: phone, SequenceNumber: '0', CallStatus: 'in-progress' }),
    );
    // Status callbacks of outbound legs may name no number: found through the call.
    const noNumbers = callStatusParams({ CallSid: callSid, SequenceNumber: '1' });
    delete noNumbers.From;
    delete noNumbers.To;
    delete noNumbers.Caller;
    delete noNumbers.Called;
    await send('/webhooks/twilio/voice/status', noNumbers);
    await send('/webhooks/twilio/voice/recording', recordingParams({ CallSid: callSid }));
  }
  // A callback that fails the schema and names only the CallSid: quarantined, still the subject's.
  const bad = recordingParams({ CallSid: callSids[0] as string, RecordingStatus: 'exploded' });
  await send('/webhooks/twilio/voice/recording', bad);
  const envelopes = f.queue.sent.splice(0) as QueuedEnvelope[];
  const emf: string[] = [];
  const ingest = makeIngestHandler(async () => ({
    db: db.pool,
    metrics: createEmfMetrics('test', (l) => emf.push(l)),
    logger: quiet,
  }));
  expect((await ingest(sqsEvent(envelopes.map((e) => JSON.stringify(e))))).batchItemFailures).toEqual([]);
  return { f, index, callSids, ingest, emf, send };
}

describe("a subject's calls", () => {
  it('are exported decrypted, page by page, with their statuses, recordings and quarantined callbacks', async () => {
    const phone = '+14155550301';
    const { f, index, callSids } = await subjectWithCalls(phone);
    const records = new PostgresSubjectRecords(db.pool);
    expect(await records.count(index)).toBe(9);
    const pages = [];
    let from: ExportPosition | undefined = { kind: 'messages' };
    while (from) {
      const page = await records.page(index, from, 2);
      pages.push(await exportSubject(page, f.deps.sealer, quiet));
      from = page.next;
    }
    expect(pages).toHaveLength(5);
    const all = {
      calls: pages.flatMap((p) => p.calls),
      callStatuses: pages.flatMap((p) => p.callStatuses),
      recordings: pages.flatMap((p) => p.recordings),
      quarantined: pages.flatMap((p) => p.quarantined),
    };
    expect(all.calls.map((c) => c.callSid).sort()).toEqual([...callSids].sort());
    for (const call of all.calls) {
      expect(call.params?.From).toBe(phone);
      expect(call.direction).toBe('inbound');
    }
    expect(all.callStatuses).toHaveLength(4);
    expect(all.callStatuses.every((s) => s.params !== null)).toBe(true);
    expect(all.recordings).toHaveLength(2);
    for (const r of all.recordings) {
      expect(r.params?.RecordingUrl).toBe(
        `https://api.twilio.com/2010-04-01/Accounts/${r.params?.AccountSid}/Recordings/${r.recordingSid}`,
      );
    }
    expect(all.quarantined).toEqual([
      expect.objectContaining({
        route: 'voice_recording',
        callSid: callSids[0],
        failedChecks: ['RecordingStatus:invalid_value'],
      }),
    ]);
  });

  it('are erased with their statuses, recordings and quarantined callbacks, and later callbacks of those calls are dropped', async () => {
    const phone = '+14155550302';
    const { index, callSids, ingest, emf, send, f } = await subjectWithCalls(phone);
    const other = await subjectWithCalls('+14155550303');
    const erased = await new PostgresSubjectRecords(db.pool).erase(index);
    expect(erased).toEqual({
      messages: 0,
      statuses: 0,
      quarantined: 1,
      calls: 2,
      callStatuses: 4,
      recordings: 2,
    });
    for (const table of ['voice_calls', 'voice_call_statuses', 'voice_recordings', 'quarantined_payloads']) {
      const left = await db.pool.query(`SELECT count(*)::int AS n FROM ${table} WHERE call_sid = ANY($1)`, [
        callSids,
      ]);
      expect(left.rows[0]?.n, table).toBe(0);
    }
    expect(await new PostgresSubjectRecords(db.pool).count(other.index)).toBe(9);
    // Twilio keeps calling back about an erased call: a recording and a status without numbers.
    const late = recordingParams({ CallSid: callSids[1] as string });
    await send('/webhooks/twilio/voice/recording', late);
    const status = callStatusParams({ CallSid: callSids[1] as string, SequenceNumber: '9' });
    delete status.From;
    delete status.To;
    delete status.Caller;
    delete status.Called;
    await send('/webhooks/twilio/voice/status', status);
    const before = sumMetric(emf, 'ErasedSubjectDropped');
    await ingest(sqsEvent((f.queue.sent.splice(0) as QueuedEnvelope[]).map((e) => JSON.stringify(e))));
    expect(sumMetric(emf, 'ErasedSubjectDropped') - before).toBe(2);
    const left = await db.pool.query('SELECT count(*)::int AS n FROM voice_recordings WHERE call_sid = $1', [
      callSids[1],
    ]);
    expect(left.rows[0]?.n).toBe(0);
  });

  it('are deleted by retention once older than the cutoff', async () => {
    const { index } = await subjectWithCalls('+14155550304');
    const records = new PostgresSubjectRecords(db.pool);
    const future = new Date(Date.now() + 86_400_000);
    const deleted = await records.deleteReceivedBefore(future);
    expect(deleted.calls).toBeGreaterThanOrEqual(2);
    expect(deleted.callStatuses).toBeGreaterThanOrEqual(4);
    expect(deleted.recordings).toBeGreaterThanOrEqual(2);
    expect(await records.count(index)).toBe(0);
    const counts = await records.storedCounts();
    expect([counts.calls, counts.callStatuses, counts.recordings]).toEqual([0, 0, 0]);
  });
});
