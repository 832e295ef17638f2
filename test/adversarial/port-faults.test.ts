// Fault injection on the webhook's ports, in-process (ARCHITECTURE §1, §3-§5): the key provider
// failing, the secrets source failing, and a Twilio token rotation while traffic flows. Each property
// runs the handler against a model of what the design promises and compares every answer.

import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeEnvelopes } from '../../lambda/ingest/store-envelopes.js';
import { PROMOTION_DELAY_MS } from '../../lambda/rotate-twilio-token/twilio-token-rotation.js';
import { LocalKeyProvider } from '../../lambda/shared/adapters/local/local-key-provider.js';
import { MetricName, SealPurpose } from '../../lambda/shared/names.js';
import { inboundParams, signedWebhookEvent, statusParams } from '../helpers/api-events.js';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.js';
import { TWILIO_SECRET_ID, twilioSecret, webhookFixture } from '../helpers/webhook-fixture.js';
import { printReportAfterAll, reportRow } from './adversarial-report.js';
import { scale } from './adversarial-scale.js';
import { FlakyKeyProvider } from './flaky-key-provider.js';

printReportAfterAll('port faults (in-process)');

/** Sealer defaults (lambda/shared/seal.ts): a data key serves 5 minutes. */
const DATA_KEY_AGE_MS = 300_000;
/** The fixture's secret cache age, and CachedSecretSource's least time between forced refreshes. */
const SECRET_CACHE_MS = 60_000;
const MIN_REFRESH_MS = 10_000;
/** Property runs: each one is a whole scenario of many requests. */
const SCENARIOS = Math.max(20, Math.round(scale.inProcessRuns / 15));

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

describe('the key provider (KMS) failing', () => {
  it('answers 503 and counts EncryptionFailures whenever a data key is needed, and half-stores nothing', async () => {
    const row = reportRow('KMS failing: webhook requests');
    const stored = { sent: 0, stored: 0 };
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            kmsFailing: fc.boolean(),
            advanceMs: fc.constantFrom(0, 1_000, 60_000, DATA_KEY_AGE_MS - 1, DATA_KEY_AGE_MS + 1),
            kind: fc.constantFrom('message', 'status'),
          }),
          { minLength: 1, maxLength: 25 },
        ),
        async (steps) => {
          const keys = new FlakyKeyProvider(new LocalKeyProvider(randomBytes(32)));
          const f = webhookFixture({ keyProvider: keys });
          let keyCreatedAt: number | undefined;
          const accepted: string[] = [];
          let refused = 0;
          for (const step of steps) {
            row.cases++;
            f.clock.advance(step.advanceMs);
            keys.failing = step.kmsFailing;
            const now = f.clock.now();
            const needsKey = keyCreatedAt === undefined || now - keyCreatedAt >= DATA_KEY_AGE_MS;
            const params = step.kind === 'message' ? inboundParams() : statusParams();
            const path = step.kind === 'message' ? '/webhooks/twilio/messages' : '/webhooks/twilio/status';
            const response = await f.handler(signedWebhookEvent({ token: f.token, params, path }));
            if (needsKey && step.kmsFailing) {
              refused++;
              if (response.statusCode !== 503 || response.headers?.['Retry-After'] !== '5') row.failures++;
              expect(response.statusCode).toBe(503);
              expect(response.headers?.['Retry-After']).toBe('5');
            } else {
              if (needsKey) keyCreatedAt = now;
              if (response.statusCode !== (step.kind === 'message' ? 200 : 204)) row.failures++;
              expect(response.statusCode).toBe(step.kind === 'message' ? 200 : 204);
              accepted.push(`${params.MessageSid}/${step.kind}`);
            }
          }
          expect(f.metric(MetricName.EncryptionFailures)).toBe(refused);
          // Nothing half-stored: the queue holds exactly the accepted requests, each one complete.
          expect(f.queue.sent.map((e) => `${e.messageSid}/${e.kind}`)).toEqual(accepted);
          keys.failing = false;
          for (const envelope of f.queue.sent) {
            if (envelope.kind === 'quarantined') throw new Error('a valid payload was quarantined');
            // The envelope's blind indexes are part of the record's authenticated context (format v2).
            const indexes = { from: envelope.fromIndex ?? null, to: envelope.toIndex ?? null };
            const context =
              envelope.kind === 'message'
                ? { purpose: SealPurpose.message, id: envelope.messageSid, indexes }
                : {
                    purpose: SealPurpose.status,
                    id: `${envelope.messageSid}/${envelope.status}`,
                    indexes,
                  };
            const opened = JSON.parse(
              (await f.deps.sealer.open(Buffer.from(envelope.sealed, 'base64url'), context)).toString('utf8'),
            ) as Record<string, string>;
            expect(opened.MessageSid).toBe(envelope.messageSid);
          }
          const result = await storeEnvelopes(db.pool, f.queue.sent);
          expect(result.failed).toEqual([]);
          stored.sent += accepted.length;
          stored.stored += result.stored.length;
        },
      ),
      { numRuns: SCENARIOS },
    );
    row.sent = stored.sent;
    row.stored = stored.stored;
    row.note = 'stored in Postgres after KMS recovered';
    expect(stored.stored).toBe(stored.sent);
  });
});

describe('the secrets source failing', () => {
  it('serves the cached token and blind-index key within their age, then answers 503', async () => {
    const row = reportRow('secrets failing: webhook requests');
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            failing: fc.boolean(),
            advanceMs: fc.constantFrom(0, 5_000, MIN_REFRESH_MS, SECRET_CACHE_MS - 1, SECRET_CACHE_MS),
            forged: fc.boolean(),
          }),
          { minLength: 1, maxLength: 30 },
        ),
        async (steps) => {
          const f = webhookFixture({ secretCacheMs: SECRET_CACHE_MS });
          // When each secret was last fetched successfully (the model of CachedSecretSource).
          let tokenAt: number | undefined;
          let indexAt: number | undefined;
          const fresh = (at: number | undefined, now: number) =>
            at !== undefined && now - at < SECRET_CACHE_MS;
          let queued = 0;
          for (const step of steps) {
            row.cases++;
            f.clock.advance(step.advanceMs);
            f.secrets.failing = step.failing;
            const now = f.clock.now();
            const token = step.forged ? `${f.token}x` : f.token;
            const response = await f.handler(signedWebhookEvent({ token, params: inboundParams() }));
            let expected: number;
            if (!fresh(tokenAt, now) && step.failing) expected = 503;
            else {
              if (!fresh(tokenAt, now)) tokenAt = now;
              if (step.forged) {
                // A miss forces one refetch per interval, which a failing source cannot serve.
                if (now - (tokenAt as number) >= MIN_REFRESH_MS && !step.failing) tokenAt = now;
                expected = 403;
              } else if (!fresh(indexAt, now) && step.failing) expected = 503;
              else {
                if (!fresh(indexAt, now)) indexAt = now;
                expected = 200;
                queued++;
              }
            }
            if (response.statusCode !== expected) row.failures++;
            expect(response.statusCode, `step ${row.cases}`).toBe(expected);
          }
          expect(f.queue.sent).toHaveLength(queued);
        },
      ),
      { numRuns: SCENARIOS },
    );
  });
});

describe('a Twilio token rotation while traffic flows', () => {
  // finishSecret moves AWSCURRENT, waits PROMOTION_DELAY_MS (longer than the webhook's rate-limited
  // refresh on a signature miss, MIN_REFRESH_MS) and only then promotes at Twilio
  // (twilio-token-rotation.ts). Before that wait existed, an instance that fetched the token less than
  // MIN_REFRESH_MS before the promotion refused genuine webhooks until the interval passed.
  it('refuses no genuine webhook when Twilio promotes the new token as the rotation Lambda does', async () => {
    const row = reportRow('token rotation: genuine webhooks');
    expect(PROMOTION_DELAY_MS).toBeGreaterThan(MIN_REFRESH_MS);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ size: fc.integer({ min: 1, max: 10 }), gapMs: fc.nat({ max: 5_000 }) }), {
          minLength: 2,
          maxLength: Math.max(2, Math.ceil(scale.rotationMessages / 5)),
        }),
        fc.nat(),
        // The Lambda's wait plus however long its Twilio calls and retries take.
        fc.integer({ min: PROMOTION_DELAY_MS, max: 3 * PROMOTION_DELAY_MS }),
        fc.boolean(),
        async (waves, rotateSeed, promotionDelayMs, withForgeries) => {
          const oldToken = randomBytes(16).toString('hex');
          const newToken = randomBytes(16).toString('hex');
          // The local stack's and the Lambda's default cache age.
          const f = webhookFixture({ token: oldToken, secretCacheMs: 300_000 });
          const rotateAt = 1 + (rotateSeed % (waves.length - 1));
          let movedAt: number | undefined;
          const refused: string[] = [];
          for (const [i, wave] of waves.entries()) {
            f.clock.advance(wave.gapMs);
            if (i === rotateAt) {
              f.secrets.rotate(TWILIO_SECRET_ID, twilioSecret(newToken));
              movedAt = f.clock.now();
            }
            const promoted = movedAt !== undefined && f.clock.now() >= movedAt + promotionDelayMs;
            const requests = Array.from({ length: wave.size }, () => {
              const params = inboundParams();
              return f.handler(signedWebhookEvent({ token: promoted ? newToken : oldToken, params }));
            });
            if (withForgeries)
              requests.push(
                f.handler(signedWebhookEvent({ token: `${oldToken}x`, params: inboundParams() })),
              );
            const answers = await Promise.all(requests);
            const genuineRefused = answers.slice(0, wave.size).filter((r) => r.statusCode !== 200).length;
            row.cases += wave.size;
            row.failures += genuineRefused;
            if (genuineRefused > 0) refused.push(`wave ${i}: ${genuineRefused} refused`);
          }
          expect(refused).toEqual([]);
        },
      ),
      { numRuns: SCENARIOS },
    );
    row.note = 'failures = genuine webhooks refused';
  });
});
