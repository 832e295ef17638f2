import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { apiEvent, inboundParams, signedWebhookEvent, statusParams } from '../../helpers/api-events.js';
import { webhookFixture } from '../../helpers/webhook-fixture.js';

const ROUTES = ['/webhooks/twilio/messages', '/webhooks/twilio/status'] as const;
const RUNS = 1_000;

const headerValue = fc.oneof(
  fc.string({ maxLength: 64 }),
  fc.constantFrom('application/x-www-form-urlencoded', 'text/xml', '', ';;;'),
);
const headersArb = fc.dictionary(
  fc.constantFrom(
    'Content-Type',
    'content-type',
    'X-Twilio-Signature',
    'x-twilio-signature',
    'I-Twilio-Idempotency-Token',
    'Host',
    'X-Other',
  ),
  headerValue,
  { maxKeys: 5 },
);
const bodyArb = fc.oneof(
  fc.constant(null),
  fc.string({ maxLength: 2000 }),
  fc.string({ unit: 'binary', maxLength: 500 }),
  fc.nat({ max: 70_000 }).map((n) => 'a='.padEnd(n, 'x')),
  fc
    .dictionary(fc.string({ maxLength: 12 }), fc.string({ maxLength: 40 }), { maxKeys: 30 })
    .map((d) => new URLSearchParams(d).toString()),
);
const methodArb = fc.constantFrom('POST', 'POST', 'GET', 'PUT', 'DELETE', 'OPTIONS', 'HEAD', 'PATCH', 'post');

function assertSafe(res: { statusCode: number; body: string }) {
  expect(res.statusCode).toBeGreaterThanOrEqual(200);
  expect(res.statusCode).toBeLessThan(500);
  expect(res.body).not.toMatch(/\bat .+:\d+:\d+|Error:|SELECT|INSERT/);
}

describe.each(ROUTES)('fuzzing %s', (path) => {
  it(`never answers 5xx or throws on ${RUNS} random unsigned requests`, async () => {
    const f = webhookFixture();
    await fc.assert(
      fc.asyncProperty(
        methodArb,
        headersArb,
        bodyArb,
        fc.boolean(),
        async (httpMethod, headers, body, base64) => {
          const event = apiEvent({
            path,
            httpMethod,
            headers,
            body: body !== null && base64 ? Buffer.from(body).toString('base64') : body,
            isBase64Encoded: base64,
          });
          assertSafe(await f.handler(event));
        },
      ),
      { numRuns: RUNS },
    );
    expect(f.queue.sent).toHaveLength(0);
  });

  it(`never answers 5xx on ${RUNS} genuinely signed requests with random parameter values`, async () => {
    const f = webhookFixture();
    const base = path.endsWith('messages') ? inboundParams : statusParams;
    // AccountSid picks the token, so changing it rightly fails the signature; every other key is fair game.
    const keys = Object.keys(base()).filter((k) => k !== 'AccountSid');
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(
          fc.constantFrom(...keys, 'NumMedia', 'MediaUrl0', 'Body', 'Extra'),
          fc.string({ maxLength: 200 }),
          { maxKeys: 6 },
        ),
        async (overrides) => {
          const res = await f.handler(signedWebhookEvent({ token: f.token, params: base(overrides), path }));
          assertSafe(res);
          // The rule of the edge: a verified request is never answered 4xx, whatever its values.
          expect(res.statusCode).toBe(path.endsWith('messages') ? 200 : 204);
        },
      ),
      { numRuns: RUNS },
    );
  });
});
