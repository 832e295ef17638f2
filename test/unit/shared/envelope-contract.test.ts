// The webhook ↔ ingest contract (ARCHITECTURE §1): for any request whose signature verifies, hostile
// headers included, the webhook answers 2xx and the envelope it queues is one ingest accepts.

import fc from 'fast-check';
import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks';
import { describe, expect, it } from 'vitest';
import { parseEnvelope } from '../../../lambda/shared/envelope-schema.js';
import { VoiceConfig } from '../../../lambda/shared/voice-config.js';
import {
  ACCOUNT_SID,
  apiEvent,
  callParams,
  callStatusParams,
  inboundParams,
  PUBLIC_BASE_URL,
  recordingParams,
  statusParams,
} from '../../helpers/api-events.js';
import { webhookFixture } from '../../helpers/webhook-fixture.js';

const RUNS = 400;
/** The voice routes run fewer cases each: three routes, the same machinery. */
const VOICE_RUNS = 150;
const ROUTES = [
  '/webhooks/twilio/messages',
  '/webhooks/twilio/status',
  '/webhooks/twilio/voice',
  '/webhooks/twilio/voice/status',
  '/webhooks/twilio/voice/recording',
] as const;
const BASE: Record<(typeof ROUTES)[number], () => Record<string, string>> = {
  '/webhooks/twilio/messages': inboundParams,
  '/webhooks/twilio/status': statusParams,
  '/webhooks/twilio/voice': callParams,
  '/webhooks/twilio/voice/status': callStatusParams,
  '/webhooks/twilio/voice/recording': recordingParams,
};
const voice = VoiceConfig.parse({
  enabled: true,
  defaultAnswer: { kind: 'stream', url: 'wss://agent.example.test/media' },
  fallback: { kind: 'say', text: 'Please call again later.' },
});

type Params = Record<string, string | string[]>;

function formBody(params: Params): string {
  const form = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    for (const v of Array.isArray(value) ? value : [value]) form.append(key, v);
  }
  return form.toString();
}

const text = fc.oneof(
  fc.string({ maxLength: 60 }),
  fc.string({ unit: 'grapheme', maxLength: 60 }),
  fc.constantFrom('\u202e+1415', '\u200b', 'a\u0000b', '😀'.repeat(900), 'x'.repeat(5000), ''),
);
const knownKeys = [
  'From',
  'To',
  'Body',
  'MessageSid',
  'MessageStatus',
  'NumMedia',
  'MediaUrl0',
  'MediaContentType0',
  'ErrorCode',
  'ProfileName',
  'WaId',
  'MessagingServiceSid',
  'CallSid',
  'CallStatus',
  'Direction',
  'Caller',
  'Called',
  'SequenceNumber',
  'Timestamp',
  'CallDuration',
  'RecordingSid',
  'RecordingUrl',
  'RecordingStatus',
  'RecordingDuration',
];
const overrides = fc.dictionary(
  fc.oneof(fc.constantFrom(...knownKeys), fc.string({ minLength: 1, maxLength: 30 })),
  fc.oneof(text, fc.array(text, { minLength: 2, maxLength: 3 })),
  { maxKeys: 8 },
);
/** Anything a client can put in the unsigned header, from nothing to 10 KB of control characters. */
const idempotencyHeader = fc.option(
  fc.oneof(
    fc.string({ maxLength: 400 }),
    fc.string({ unit: 'binary', maxLength: 400 }),
    fc.nat({ max: 10_000 }).map((n) => 'k'.repeat(n)),
  ),
  { nil: undefined },
);
const manyParams = fc.option(fc.integer({ min: 100, max: 220 }), { nil: undefined });

describe.each(ROUTES)('webhook → ingest contract on %s', (path) => {
  const runs = path.includes('/voice') ? VOICE_RUNS : RUNS;
  it(`queues only envelopes ingest accepts, and answers 2xx, for ${runs} verified requests`, async () => {
    const f = webhookFixture({ voice });
    const base = BASE[path];
    await fc.assert(
      fc.asyncProperty(overrides, idempotencyHeader, manyParams, async (extra, header, many) => {
        const params: Params = { ...base(), ...extra, AccountSid: ACCOUNT_SID };
        if (many !== undefined) for (let i = 0; i < many; i++) params[`Extra${i}`] = String(i);
        const signature = getExpectedTwilioSignature(f.token, PUBLIC_BASE_URL + path, params);
        const before = f.queue.sent.length;
        const res = await f.handler(
          apiEvent({
            path,
            headers: {
              'Content-Type': 'application/x-www-form-urlencoded',
              'X-Twilio-Signature': signature,
              ...(header !== undefined ? { 'I-Twilio-Idempotency-Token': header } : {}),
            },
            body: formBody(params),
          }),
        );
        if (Buffer.byteLength(formBody(params)) > 64 * 1024) {
          // Refused before the signature is looked at (ARCHITECTURE §2); the WAF's size rule is the same.
          expect(res.statusCode).toBe(413);
          return;
        }
        expect(res.statusCode).toBe(path.endsWith('messages') || path.endsWith('voice') ? 200 : 204);
        expect(f.queue.sent).toHaveLength(before + 1);
        const envelope = f.queue.sent.at(-1);
        expect(parseEnvelope(JSON.stringify(envelope))).toEqual(envelope);
        if (envelope?.kind === 'quarantined') {
          // A reason names checks, never input: no key or value of the request appears in it.
          for (const check of envelope.failedChecks) {
            expect(check).toMatch(/^[A-Za-z]+:[a-z_]+$/);
            for (const key of Object.keys(extra)) {
              if (!knownKeys.includes(key) && key.length > 3) expect(check).not.toContain(key);
            }
          }
        }
      }),
      { numRuns: runs },
    );
  }, 120_000);
});

describe('parseEnvelope (the ingest side)', () => {
  it('refuses an envelope whose idempotency token the webhook would never produce', () => {
    const envelope = {
      v: 1,
      kind: 'quarantined',
      route: 'message',
      failedChecks: ['Body:too_long'],
      payloadKey: 'a'.repeat(64),
      receivedAt: '2026-11-30T12:00:00.000Z',
      sealed: 'A'.repeat(32),
    };
    expect(parseEnvelope(JSON.stringify(envelope))).toEqual(envelope);
    expect(parseEnvelope(JSON.stringify({ ...envelope, idempotencyToken: 'x'.repeat(257) }))).toBeUndefined();
    expect(
      parseEnvelope(JSON.stringify({ ...envelope, failedChecks: ['Body: +14155550100'] })),
    ).toBeUndefined();
  });
});
