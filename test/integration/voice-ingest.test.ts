import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

const CALLER = '+14155550177';
const RECORDING_HOST = 'api.twilio.com';

let db: TestDatabase;
let ingestPool: pg.Pool;

beforeAll(async () => {
  db = await createTestDatabase();
  ingestPool = db.poolAs('signalgate_ingest', 10);
});
afterAll(async () => {
  await db?.drop();
});

const voice = VoiceConfig.parse({
  enabled: true,
  defaultAnswer: { kind: 'stream', url: 'wss://agent.example.test/media' },
  fallback: { kind: 'say', text: 'Please call again later.' },
});

function ingest() {
  const emf: string[] = [];
  const logs: string[] = [];
  const handler = makeIngestHandler(async () => ({
    db: ingestPool,
    metrics: createEmfMetrics('test', (l) => emf.push(l)),
    logger: createLogger('signalgate-ingest', (l) => logs.push(l)),
  }));
  return { handler, logs, metric: (name: string) => sumMetric(emf, name) };
}

/** Envelopes the real webhook handler queued for signed voice requests. */
async function voiceEnvelopes(requests: { path: string; params: Record<string, string> }[]) {
  const f = webhookFixture({ voice });
  for (const { path, params } of requests) {
    const res = await f.handler(signedWebhookEvent({ token: f.token, params, path }));
    expect(res.statusCode).toBeLessThan(300);
  }
  return { logs: f.logs, bodies: (f.queue.sent.splice(0) as QueuedEnvelope[]).map((e) => JSON.stringify(e)) };
}

const count = async (sql: string, params: unknown[] = []) =>
  Number((await db.pool.query<{ n: string }>(`SELECT count(*) AS n ${sql}`, params)).rows[0]?.n);

describe('ingest of voice envelopes', () => {
  it('stores a call, its statuses and its recording exactly once under Twilio and SQS redelivery', async () => {
    const call = callParams({ From: CALLER, Caller: CALLER });
    const callSid = call.CallSid as string;
    const ringing = callStatusParams({ CallSid: callSid, CallStatus: 'ringing', SequenceNumber: '0' });
    const completed = callStatusParams({ CallSid: callSid, CallStatus: 'completed', SequenceNumber: '1' });
    // The same status again under another sequence number is another callback, not a redelivery.
    const completedAgain = callStatusParams({
      CallSid: callSid,
      CallStatus: 'completed',
      SequenceNumber: '2',
    });
    const recording = recordingParams({ CallSid: callSid });
    const requests = [
      { path: '/webhooks/twilio/voice', params: call },
      { path: '/webhooks/twilio/voice/status', params: ringing },
      { path: '/webhooks/twilio/voice/status', params: completed },
      { path: '/webhooks/twilio/voice/status', params: completedAgain },
      { path: '/webhooks/twilio/voice/recording', params: recording },
    ];
    // Twilio delivers every webhook twice; SQS then delivers the whole batch twice more.
    const { bodies } = await voiceEnvelopes([...requests, ...requests]);
    const i = ingest();
    expect((await i.handler(sqsEvent(bodies))).batchItemFailures).toEqual([]);
    expect((await i.handler(sqsEvent(bodies))).batchItemFailures).toEqual([]);
    expect(await count('FROM voice_calls WHERE call_sid = $1', [callSid])).toBe(1);
    expect(await count('FROM voice_call_statuses WHERE call_sid = $1', [callSid])).toBe(3);
    expect(await count('FROM voice_recordings WHERE call_sid = $1', [callSid])).toBe(1);
    expect(i.metric('CallsStored')).toBe(1);
    expect(i.metric('CallStatusesStored')).toBe(3);
    expect(i.metric('RecordingsStored')).toBe(1);
    expect(i.metric('DuplicatesDropped')).toBe(15);
    const status = await db.pool.query(
      'SELECT status, sequence_number, call_duration FROM voice_call_statuses WHERE call_sid = $1 ORDER BY sequence_number',
      [callSid],
    );
    expect(status.rows).toEqual([
      { status: 'ringing', sequence_number: 0, call_duration: 42 },
      { status: 'completed', sequence_number: 1, call_duration: 42 },
      { status: 'completed', sequence_number: 2, call_duration: 42 },
    ]);
  });

  it('keeps the caller number and the recording URL in no plaintext column and no log line', async () => {
    const call = callParams({ From: CALLER, Caller: CALLER });
    const recording = recordingParams({ CallSid: call.CallSid as string });
    const { bodies, logs: webhookLogs } = await voiceEnvelopes([
      { path: '/webhooks/twilio/voice', params: call },
      {
        path: '/webhooks/twilio/voice/status',
        params: callStatusParams({ CallSid: call.CallSid as string, From: CALLER }),
      },
      { path: '/webhooks/twilio/voice/recording', params: recording },
    ]);
    const i = ingest();
    await i.handler(sqsEvent(bodies));
    for (const table of ['voice_calls', 'voice_call_statuses', 'voice_recordings', 'quarantined_payloads']) {
      const rows = await db.pool.query(`SELECT * FROM ${table}`);
      const text = JSON.stringify(rows.rows.map((r) => ({ ...r, sealed: undefined })));
      expect(text, table).not.toContain(CALLER.slice(1));
      expect(text, table).not.toContain(RECORDING_HOST);
    }
    for (const line of [...webhookLogs, ...i.logs]) {
      expect(line).not.toContain(CALLER.slice(1));
      expect(line).not.toContain(RECORDING_HOST);
    }
  });

  it('stores a signed voice payload that fails the schema as quarantined with its CallSid, once', async () => {
    const status = callStatusParams({ SequenceNumber: 'first', From: CALLER });
    const { bodies } = await voiceEnvelopes([
      { path: '/webhooks/twilio/voice/status', params: status },
      { path: '/webhooks/twilio/voice/status', params: status },
    ]);
    const i = ingest();
    expect((await i.handler(sqsEvent(bodies))).batchItemFailures).toEqual([]);
    const rows = await db.pool.query(
      'SELECT route, failed_checks, call_sid, message_sid FROM quarantined_payloads WHERE call_sid = $1',
      [status.CallSid],
    );
    expect(rows.rows).toEqual([
      {
        route: 'voice_status',
        failed_checks: ['SequenceNumber:invalid_format'],
        call_sid: status.CallSid,
        message_sid: null,
      },
    ]);
    expect(i.metric('PayloadsQuarantined')).toBe(1);
  });

  it('drops a recording of an erased call: the tombstone of the call stops it', async () => {
    const call = callParams();
    const recording = recordingParams({ CallSid: call.CallSid as string });
    const { bodies } = await voiceEnvelopes([
      { path: '/webhooks/twilio/voice/recording', params: recording },
    ]);
    const envelope = JSON.parse(bodies[0] as string) as { callIndex: string };
    await db.pool.query('INSERT INTO erased_subjects (blind_index) VALUES ($1)', [envelope.callIndex]);
    const i = ingest();
    expect((await i.handler(sqsEvent(bodies))).batchItemFailures).toEqual([]);
    expect(await count('FROM voice_recordings WHERE recording_sid = $1', [recording.RecordingSid])).toBe(0);
    expect(i.metric('ErasedSubjectDropped')).toBe(1);
  });
});
