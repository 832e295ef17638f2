import { randomBytes } from 'node:crypto';
import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks';
import { describe, expect, it } from 'vitest';
import type { DataKey, KeyProvider } from '../../../lambda/shared/ports.js';
import { SealedRecordError } from '../../../lambda/shared/seal.js';
import {
  ACCOUNT_SID,
  apiEvent,
  formBody,
  inboundParams,
  OTHER_ACCOUNT_SID,
  signedWebhookEvent,
  statusParams,
} from '../../helpers/api-events.js';
import { EXPECTED_SECURITY_HEADERS } from '../../helpers/security-headers.js';
import { TWILIO_SECRET_ID, twilioSecret, webhookFixture } from '../../helpers/webhook-fixture.js';

const STATUS_PATH = '/webhooks/twilio/status';
/** What Twilio takes as "reply with nothing" (written out, not imported from the code under test). */
const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>';
/** Shaped like a Twilio auth token (32 lowercase hex), as every token a rotation produces is. */
const NEW_TOKEN = '0123456789abcdef0123456789abcdef';
/** What each Twilio secret holds from the first deploy until the operator sets the real token. */
const DEPLOY_PLACEHOLDER = 'REPLACE_ME_WITH_THE_TWILIO_AUTH_TOKEN';

function expectSecurityHeaders(headers: Record<string, unknown> | undefined) {
  for (const [name, value] of Object.entries(EXPECTED_SECURITY_HEADERS)) expect(headers?.[name]).toBe(value);
}

describe('POST /webhooks/twilio/messages', () => {
  it('answers 200 with empty TwiML once the message is queued, with only sealed PII on the queue', async () => {
    const f = webhookFixture();
    const params = inboundParams({ Body: 'meet me at 5' });
    const res = await f.handler(signedWebhookEvent({ token: f.token, params }));
    expect(res.statusCode).toBe(200);
    expect(res.headers?.['Content-Type']).toMatch(/^text\/xml/);
    expect(res.body).toBe(EMPTY_TWIML);
    expectSecurityHeaders(res.headers);
    expect(f.queue.sent).toHaveLength(1);
    const queued = JSON.stringify(f.queue.sent[0]);
    expect(queued).toContain(params.MessageSid);
    for (const pii of [params.From, params.To, params.Body, 'meet me']) expect(queued).not.toContain(pii);
    expect(f.metric('MessagesQueued')).toBe(1);
  });

  it('accepts a base64-encoded body as API Gateway delivers it', async () => {
    const f = webhookFixture();
    const res = await f.handler(
      signedWebhookEvent({ token: f.token, params: inboundParams(), base64: true }),
    );
    expect(res.statusCode).toBe(200);
  });

  it('answers 200 to both deliveries of the same webhook (the store deduplicates)', async () => {
    const f = webhookFixture();
    const params = inboundParams();
    const first = await f.handler(signedWebhookEvent({ token: f.token, params }));
    const second = await f.handler(signedWebhookEvent({ token: f.token, params }));
    expect([first.statusCode, second.statusCode]).toEqual([200, 200]);
    // Each delivery is queued (the webhook keeps no state); both carry the one MessageSid the store keys on.
    expect(f.queue.sent.map((e) => e.messageSid)).toEqual([params.MessageSid, params.MessageSid]);
  });

  it('answers 403 and counts SignatureFailures when the signature is missing', async () => {
    const f = webhookFixture();
    const event = signedWebhookEvent({ token: f.token, params: inboundParams() });
    delete event.headers['X-Twilio-Signature'];
    const res = await f.handler(event);
    expect(res.statusCode).toBe(403);
    expectSecurityHeaders(res.headers);
    expect(f.metric('SignatureFailures')).toBe(1);
    expect(f.queue.sent).toHaveLength(0);
  });

  it('answers 403 to a request signed with neither the current nor the previous token', async () => {
    const f = webhookFixture();
    const res = await f.handler(signedWebhookEvent({ token: 'not-the-token', params: inboundParams() }));
    expect(res.statusCode).toBe(403);
    expect(f.metric('SignatureFailures')).toBe(1);
    const security = f.logs.map((l) => JSON.parse(l)).filter((l) => l.security === true);
    expect(security).toHaveLength(1);
    expect(JSON.stringify(security)).not.toContain('+14155550111');
  });

  it('answers 403 when the signature was made for another URL (Host header is never trusted)', async () => {
    const f = webhookFixture();
    const event = signedWebhookEvent({
      token: f.token,
      params: inboundParams(),
      baseUrl: 'https://attacker.example',
    });
    event.headers.Host = 'attacker.example';
    expect((await f.handler(event)).statusCode).toBe(403);
  });

  it('accepts a webhook signed with the previous token while a previous token exists', async () => {
    const f = webhookFixture();
    f.secrets.rotate(TWILIO_SECRET_ID, twilioSecret(NEW_TOKEN));
    f.clock.advance(120_000); // past the secret cache age, so the rotation is seen
    const withOld = await f.handler(signedWebhookEvent({ token: f.token, params: inboundParams() }));
    const withNew = await f.handler(signedWebhookEvent({ token: NEW_TOKEN, params: inboundParams() }));
    expect([withOld.statusCode, withNew.statusCode]).toEqual([200, 200]);
    f.secrets.forgetPrevious(TWILIO_SECRET_ID);
    f.clock.advance(120_000);
    const afterPreviousGone = await f.handler(
      signedWebhookEvent({ token: f.token, params: inboundParams() }),
    );
    expect(afterPreviousGone.statusCode).toBe(403);
  });

  it('picks up a rotated token at once on a signature miss, without waiting for the cache age', async () => {
    const f = webhookFixture({ secretCacheMs: 300_000 });
    await f.handler(signedWebhookEvent({ token: f.token, params: inboundParams() }));
    f.secrets.rotate(TWILIO_SECRET_ID, twilioSecret(NEW_TOKEN));
    f.clock.advance(15_000);
    const res = await f.handler(signedWebhookEvent({ token: NEW_TOKEN, params: inboundParams() }));
    expect(res.statusCode).toBe(200);
  });

  it('rejects the previous token once its grace after rotation has passed', async () => {
    const f = webhookFixture();
    f.secrets.rotate(TWILIO_SECRET_ID, twilioSecret(NEW_TOKEN));
    f.clock.advance(25 * 3600_000);
    const res = await f.handler(signedWebhookEvent({ token: f.token, params: inboundParams() }));
    expect(res.statusCode).toBe(403);
  });

  it('accepts the previous token up to the configured grace after the rotation and refuses it after', async () => {
    const f = webhookFixture({ previousTokenGraceMs: 600_000, secretCacheMs: 60_000 });
    f.secrets.rotate(TWILIO_SECRET_ID, twilioSecret(NEW_TOKEN));
    f.clock.advance(599_000);
    expect(
      (await f.handler(signedWebhookEvent({ token: f.token, params: inboundParams() }))).statusCode,
    ).toBe(200);
    f.clock.advance(2_000);
    expect(
      (await f.handler(signedWebhookEvent({ token: f.token, params: inboundParams() }))).statusCode,
    ).toBe(403);
    expect(
      (await f.handler(signedWebhookEvent({ token: NEW_TOKEN, params: inboundParams() }))).statusCode,
    ).toBe(200);
  });

  it('refuses the previous token within seconds of an emergency revocation, not after the cache age', async () => {
    const f = webhookFixture({ secretCacheMs: 300_000 });
    f.secrets.rotate(TWILIO_SECRET_ID, twilioSecret(NEW_TOKEN));
    // Cached now: current NEW_TOKEN, previous the old token (within its grace).
    expect(
      (await f.handler(signedWebhookEvent({ token: NEW_TOKEN, params: inboundParams() }))).statusCode,
    ).toBe(200);
    f.secrets.forgetPrevious(TWILIO_SECRET_ID); // AWSPREVIOUS removed by npm run rotate -- --revoke-previous
    f.clock.advance(10_000); // the least refresh interval; the 5-minute cache has not expired
    const forged = await f.handler(signedWebhookEvent({ token: f.token, params: inboundParams() }));
    expect(forged.statusCode).toBe(403);
    expect(f.queue.sent).toHaveLength(1);
    expect(
      (await f.handler(signedWebhookEvent({ token: NEW_TOKEN, params: inboundParams() }))).statusCode,
    ).toBe(200);
  });

  it('bounds the previous token to 15 minutes when no grace is configured', async () => {
    const f = webhookFixture({ secretCacheMs: 60_000 });
    f.secrets.rotate(TWILIO_SECRET_ID, twilioSecret(NEW_TOKEN));
    f.clock.advance(14 * 60_000);
    expect(
      (await f.handler(signedWebhookEvent({ token: f.token, params: inboundParams() }))).statusCode,
    ).toBe(200);
    f.clock.advance(2 * 60_000);
    expect(
      (await f.handler(signedWebhookEvent({ token: f.token, params: inboundParams() }))).statusCode,
    ).toBe(403);
  });

  it('chooses the token by AccountSid, so one account cannot sign for another', async () => {
    const f = webhookFixture({ tokenSecrets: { [ACCOUNT_SID]: TWILIO_SECRET_ID } });
    const res = await f.handler(
      signedWebhookEvent({ token: f.token, params: inboundParams({ AccountSid: OTHER_ACCOUNT_SID }) }),
    );
    expect(res.statusCode).toBe(403);
  });

  it('quarantines, never refuses, a signed request whose AccountSid is repeated', async () => {
    const f = webhookFixture({ tokenSecrets: { [ACCOUNT_SID]: TWILIO_SECRET_ID } });
    // Signed as twilio-node signs a repeated key: each distinct value, sorted.
    const event = (token: string, sids: string[]) => {
      const { AccountSid: _, ...rest } = inboundParams();
      const url = 'https://hooks.example.test/v1/webhooks/twilio/messages';
      const body = new URLSearchParams([
        ...sids.map((sid): [string, string] => ['AccountSid', sid]),
        ...Object.entries(rest),
      ]);
      return apiEvent({
        path: '/webhooks/twilio/messages',
        headers: {
          'Content-Type': 'application/x-www-form-urlencoded',
          'X-Twilio-Signature': getExpectedTwilioSignature(token, url, { ...rest, AccountSid: sids }),
        },
        body: body.toString(),
      });
    };
    for (const sids of [
      [ACCOUNT_SID, ACCOUNT_SID],
      [OTHER_ACCOUNT_SID, ACCOUNT_SID],
    ]) {
      const res = await f.handler(event(f.token, sids));
      expect(res.statusCode).toBe(200);
      expect(f.queue.sent.at(-1)).toMatchObject({ kind: 'quarantined', route: 'message' });
    }
    // A forgery with a repeated AccountSid is still refused, and counted once.
    const forged = await f.handler(event('0'.repeat(32), [OTHER_ACCOUNT_SID, ACCOUNT_SID]));
    expect(forged.statusCode).toBe(403);
    expect(f.metric('SignatureFailures')).toBe(1);
    expect(f.queue.sent).toHaveLength(2);
  });

  it('stores a genuine payload that fails validation as quarantined, answered 200 like any other', async () => {
    const f = webhookFixture();
    const cases: Array<[Record<string, string>, string[], string]> = [
      [inboundParams({ From: 'not a number!' }), ['From:format'], 'not a number!'],
      [inboundParams({ MessageSid: 'SM123' }), ['MessageSid:invalid_format'], 'SM123'],
      [inboundParams({ NumMedia: '1' }), ['MediaUrl:format', 'MediaContentType:format'], 'NumMedia'],
      [inboundParams({ Body: 'x'.repeat(1601) }), ['Body:too_long'], 'x'.repeat(1601)],
    ];
    for (const [params, checks, input] of cases) {
      const res = await f.handler(signedWebhookEvent({ token: f.token, params }));
      expect(res.statusCode).toBe(200);
      expect(res.body).toBe(EMPTY_TWIML);
      expectSecurityHeaders(res.headers);
      const envelope = f.queue.sent.at(-1);
      expect(envelope).toMatchObject({ kind: 'quarantined', route: 'message', failedChecks: checks });
      // The clear part of the envelope holds neither the failing value nor any number or body.
      const queued = JSON.stringify({ ...envelope, sealed: undefined });
      for (const secret of [input, params.From, params.To]) expect(queued).not.toContain(secret);
    }
    expect(f.metric('InvalidPayloads')).toBe(4);
    expect(f.queue.sent).toHaveLength(4);
  });

  it('keeps a quarantined payload sealed whole, under its own table and payload key', async () => {
    const f = webhookFixture();
    const params = inboundParams({ Body: 'y'.repeat(2000) });
    await f.handler(signedWebhookEvent({ token: f.token, params }));
    const envelope = f.queue.sent[0];
    if (envelope?.kind !== 'quarantined') throw new Error('expected a quarantined envelope');
    expect(envelope.messageSid).toBe(params.MessageSid);
    const sealed = Buffer.from(envelope.sealed, 'base64url');
    const opened = await f.deps.sealer.open(sealed, {
      purpose: 'quarantined_payloads',
      id: envelope.payloadKey,
      indexes: { from: envelope.fromIndex ?? null, to: envelope.toIndex ?? null },
    });
    expect(JSON.parse(opened.toString('utf8'))).toEqual(params);
    // Bound to the row's blind indexes: without them (or with others) the record does not open.
    await expect(
      f.deps.sealer.open(sealed, { purpose: 'quarantined_payloads', id: envelope.payloadKey }),
    ).rejects.toThrow(SealedRecordError);
    // A redelivery of the same request has the same key, so the store keeps it once.
    await f.handler(signedWebhookEvent({ token: f.token, params }));
    const again = f.queue.sent[1];
    expect(again?.kind === 'quarantined' && again.payloadKey).toBe(envelope.payloadKey);
  });

  it('counts the SMS body limit in characters, so 1,600 emoji pass and 1,601 are quarantined', async () => {
    const f = webhookFixture();
    const fits = await f.handler(
      signedWebhookEvent({ token: f.token, params: inboundParams({ Body: '😀'.repeat(1600) }) }),
    );
    expect(fits.statusCode).toBe(200);
    expect(f.queue.sent[0]?.kind).toBe('message');
    const over = await f.handler(
      signedWebhookEvent({ token: f.token, params: inboundParams({ Body: '😀'.repeat(1601) }) }),
    );
    expect(over.statusCode).toBe(200);
    expect(f.queue.sent[1]).toMatchObject({ kind: 'quarantined', failedChecks: ['Body:too_long'] });
  });

  it('bounds the unsigned idempotency header instead of queueing what ingest would refuse', async () => {
    const f = webhookFixture();
    const send = (token: string) => {
      const event = signedWebhookEvent({ token: f.token, params: inboundParams() });
      event.headers['I-Twilio-Idempotency-Token'] = token;
      return f.handler(event);
    };
    expect((await send('a'.repeat(300))).statusCode).toBe(200);
    expect((await send('tab\tand\u00e9')).statusCode).toBe(200);
    expect((await send('  ok-token  ')).statusCode).toBe(200);
    expect(f.queue.sent.map((e) => e.idempotencyToken)).toEqual(['a'.repeat(256), undefined, 'ok-token']);
  });

  it('refuses the previous token when the secret source cannot say when the rotation happened', async () => {
    const f = webhookFixture();
    const unknownAge = {
      getVersions: async (id: string) => {
        const versions = await f.secrets.getVersions(id);
        return { current: versions.current, ...(versions.previous ? { previous: versions.previous } : {}) };
      },
    };
    const g = webhookFixture({ token: f.token, secretSource: unknownAge });
    f.secrets.rotate(TWILIO_SECRET_ID, twilioSecret(NEW_TOKEN));
    const res = await g.handler(signedWebhookEvent({ token: f.token, params: inboundParams() }));
    expect(res.statusCode).toBe(403);
    const withNew = await g.handler(signedWebhookEvent({ token: NEW_TOKEN, params: inboundParams() }));
    expect(withNew.statusCode).toBe(200);
  });

  it('accepts WhatsApp addresses, media and unknown extra parameters', async () => {
    const f = webhookFixture();
    const params = inboundParams({
      From: 'whatsapp:+14155550111',
      To: 'whatsapp:+14155550100',
      Body: 'y'.repeat(3000),
      NumMedia: '1',
      MediaUrl0: 'https://api.twilio.com/2010-04-01/Accounts/AC/Messages/MM/Media/ME',
      MediaContentType0: 'image/jpeg',
      SomeFutureTwilioField: 'kept, sealed',
    });
    const res = await f.handler(signedWebhookEvent({ token: f.token, params }));
    expect(res.statusCode).toBe(200);
    expect(f.queue.sent[0]).toMatchObject({ kind: 'message', numMedia: 1 });
  });

  it('answers 413 to a body over 64 KiB before checking anything else', async () => {
    const f = webhookFixture();
    const event = signedWebhookEvent({ token: f.token, params: inboundParams({ Body: 'z'.repeat(70_000) }) });
    const res = await f.handler(event);
    expect(res.statusCode).toBe(413);
    expect(f.metric('SignatureFailures')).toBe(0);
  });

  it('takes a body of exactly 64 KiB to the signature check and refuses one byte more', async () => {
    const f = webhookFixture();
    const event = signedWebhookEvent({ token: f.token, params: inboundParams() });
    const atLimit = { ...event, body: (event.body ?? '').padEnd(65_536, 'z') };
    expect(Buffer.byteLength(atLimit.body)).toBe(65_536);
    expect((await f.handler(atLimit)).statusCode).toBe(403); // padded, so the signature no longer matches
    const overLimit = { ...event, body: `${atLimit.body}z` };
    expect((await f.handler(overLimit)).statusCode).toBe(413);
    expect(f.metric('SignatureFailures')).toBe(1);
  });

  it('answers 415 to a body that is not application/x-www-form-urlencoded', async () => {
    const f = webhookFixture();
    for (const type of ['application/json', 'text/plain', undefined]) {
      const event = signedWebhookEvent({ token: f.token, params: inboundParams() });
      if (type === undefined) delete event.headers['Content-Type'];
      else event.headers['Content-Type'] = type;
      expect((await f.handler(event)).statusCode).toBe(415);
    }
    const withCharset = signedWebhookEvent({ token: f.token, params: inboundParams() });
    withCharset.headers['content-type'] = 'Application/X-WWW-Form-Urlencoded; charset=utf-8';
    delete withCharset.headers['Content-Type'];
    expect((await f.handler(withCharset)).statusCode).toBe(200);
  });

  it('answers 405 with Allow: POST to other methods', async () => {
    const f = webhookFixture();
    for (const httpMethod of ['GET', 'PUT', 'DELETE', 'PATCH']) {
      const res = await f.handler(apiEvent({ httpMethod }));
      expect(res.statusCode).toBe(405);
      expect(res.headers?.Allow).toBe('POST');
    }
  });

  it('answers 503 and counts QueueFailures when the message cannot be queued, never 200', async () => {
    const f = webhookFixture();
    f.queue.failing = true;
    const res = await f.handler(signedWebhookEvent({ token: f.token, params: inboundParams() }));
    expect(res.statusCode).toBe(503);
    expect(f.metric('QueueFailures')).toBe(1);
  });

  it('answers 503 and counts EncryptionFailures when the key provider fails, queueing nothing', async () => {
    const failing: KeyProvider = {
      generateDataKey: async (): Promise<DataKey> => {
        throw new Error('KMS unavailable: AccessDeniedException arn:aws:kms:secret-detail');
      },
      decryptDataKey: async () => {
        throw new Error('KMS unavailable');
      },
    };
    const f = webhookFixture({ keyProvider: failing });
    const res = await f.handler(signedWebhookEvent({ token: f.token, params: inboundParams() }));
    expect(res.statusCode).toBe(503);
    expect(res.body).not.toContain('KMS');
    expect(f.metric('EncryptionFailures')).toBe(1);
    expect(f.queue.sent).toHaveLength(0);
  });

  it('answers 503 when the secret source is down and nothing is cached', async () => {
    const f = webhookFixture();
    f.secrets.failing = true;
    const res = await f.handler(signedWebhookEvent({ token: f.token, params: inboundParams() }));
    expect(res.statusCode).toBe(503);
  });

  it('keeps verifying from the cache while the secret source is down, within the cache age', async () => {
    const f = webhookFixture({ secretCacheMs: 60_000 });
    expect(
      (await f.handler(signedWebhookEvent({ token: f.token, params: inboundParams() }))).statusCode,
    ).toBe(200);
    f.secrets.failing = true;
    f.clock.advance(30_000);
    expect(
      (await f.handler(signedWebhookEvent({ token: f.token, params: inboundParams() }))).statusCode,
    ).toBe(200);
    f.clock.advance(31_000);
    expect(
      (await f.handler(signedWebhookEvent({ token: f.token, params: inboundParams() }))).statusCode,
    ).toBe(503);
  });

  it('never puts a stack trace, token, phone number or body in any response', async () => {
    const f = webhookFixture();
    const params = inboundParams({ Body: 'secret-body-text' });
    const events = [
      signedWebhookEvent({ token: f.token, params }),
      signedWebhookEvent({ token: 'wrong', params }),
      signedWebhookEvent({ token: f.token, params: { ...params, From: 'bad!' } }),
      apiEvent({ httpMethod: 'GET' }),
      apiEvent({ body: formBody(params), headers: { 'Content-Type': 'text/plain' } }),
    ];
    for (const event of events) {
      const res = await f.handler(event);
      for (const leak of [f.token, '+14155550111', '+14155550100', 'secret-body-text', 'at ', 'Error']) {
        expect(res.body).not.toContain(leak);
      }
    }
    const logText = f.logs.join('\n');
    expect(logText).not.toContain(f.token);
    expect(logText).not.toContain('+14155550111');
    expect(logText).not.toContain('secret-body-text');
  });
});

describe('before a real Twilio auth token is configured (first deploy)', () => {
  const notTokens = [
    DEPLOY_PLACEHOLDER,
    '',
    'x',
    '0123456789ABCDEF0123456789ABCDEF', // upper case: Twilio tokens are lowercase hex
    '0123456789abcdef0123456789abcde', // 31 characters
    '0123456789abcdef0123456789abcdef0', // 33 characters
    'g123456789abcdef0123456789abcdef', // not hex
  ];

  it.each(notTokens)(
    'answers 503 + Retry-After to a request signed with the secret value %j, storing nothing',
    async (value) => {
      const f = webhookFixture({ token: value });
      const res = await f.handler(signedWebhookEvent({ token: value, params: inboundParams() }));
      expect(res.statusCode).toBe(503);
      expect(res.headers?.['Retry-After']).toBe('5');
      expect(f.queue.sent).toHaveLength(0);
      expect(f.metric('TwilioTokenNotConfigured')).toBe(1);
      expect(f.metric('MessagesQueued')).toBe(0);
    },
  );

  it('answers 503 (not 403) to an unsigned request too, and counts it as not configured', async () => {
    const f = webhookFixture({ token: DEPLOY_PLACEHOLDER });
    const res = await f.handler(
      apiEvent({
        path: '/webhooks/twilio/messages',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: formBody(inboundParams()),
      }),
    );
    expect(res.statusCode).toBe(503);
    expect(f.queue.sent).toHaveLength(0);
    expect(f.metric('TwilioTokenNotConfigured')).toBe(1);
  });

  it('accepts the first real token as soon as it is set, and never the placeholder as its previous token', async () => {
    const f = webhookFixture({ token: DEPLOY_PLACEHOLDER });
    expect(
      (await f.handler(signedWebhookEvent({ token: DEPLOY_PLACEHOLDER, params: inboundParams() })))
        .statusCode,
    ).toBe(503);
    f.secrets.rotate(TWILIO_SECRET_ID, twilioSecret(NEW_TOKEN)); // the operator's put-secret-value
    f.clock.advance(10_000); // the least refresh interval of the secret cache
    const genuine = await f.handler(signedWebhookEvent({ token: NEW_TOKEN, params: inboundParams() }));
    expect(genuine.statusCode).toBe(200);
    const forged = await f.handler(
      signedWebhookEvent({ token: DEPLOY_PLACEHOLDER, params: inboundParams() }),
    );
    expect(forged.statusCode).toBe(403);
    expect(f.queue.sent).toHaveLength(1);
  });

  it('never accepts a previous value that is not a token, even within the grace', async () => {
    const f = webhookFixture({ token: NEW_TOKEN });
    const g = webhookFixture({ token: 'x' });
    g.secrets.rotate(TWILIO_SECRET_ID, twilioSecret(NEW_TOKEN));
    const withX = await g.handler(signedWebhookEvent({ token: 'x', params: inboundParams() }));
    expect(withX.statusCode).toBe(403);
    expect(
      (await f.handler(signedWebhookEvent({ token: NEW_TOKEN, params: inboundParams() }))).statusCode,
    ).toBe(200);
  });
});

describe('POST /webhooks/twilio/status', () => {
  it('answers 204 once the status update is queued', async () => {
    const f = webhookFixture();
    const params = statusParams({ MessageStatus: 'undelivered', ErrorCode: '30003' });
    const res = await f.handler(signedWebhookEvent({ token: f.token, params, path: STATUS_PATH }));
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe('');
    expectSecurityHeaders(res.headers);
    expect(f.queue.sent[0]).toMatchObject({ kind: 'status', status: 'undelivered', errorCode: '30003' });
    expect(JSON.stringify(f.queue.sent[0])).not.toContain(params.To);
  });

  it('answers 403, 413, 415 and 405 as the messages route does, and quarantines an unknown status', async () => {
    const f = webhookFixture();
    const sign = (params: Record<string, string>, token = f.token) =>
      signedWebhookEvent({ token, params, path: STATUS_PATH });
    expect((await f.handler(sign(statusParams(), 'wrong'))).statusCode).toBe(403);
    expect((await f.handler(sign(statusParams({ MessageStatus: 'exploded' })))).statusCode).toBe(204);
    expect(f.queue.sent[0]).toMatchObject({
      kind: 'quarantined',
      route: 'status',
      failedChecks: ['MessageStatus:invalid_value'],
    });
    expect((await f.handler(sign(statusParams({ Extra: 'q'.repeat(70_000) })))).statusCode).toBe(413);
    const json = sign(statusParams());
    json.headers['Content-Type'] = 'application/json';
    expect((await f.handler(json)).statusCode).toBe(415);
    expect((await f.handler(apiEvent({ path: STATUS_PATH, httpMethod: 'GET' }))).statusCode).toBe(405);
  });
});

describe('security log events', () => {
  it('name the request id, source IP and user agent of a refused signature, and no number, body or signature', async () => {
    const f = webhookFixture();
    const params = inboundParams({ From: '+14155550177', Body: 'private words' });
    const event = signedWebhookEvent({ token: NEW_TOKEN, params, headers: { 'User-Agent': 'probe/1.0' } });
    expect((await f.handler(event)).statusCode).toBe(403);
    const lines = f.logs.map((l) => JSON.parse(l) as Record<string, unknown>);
    const rejected = lines.find((l) => l.event === 'security.signature_rejected');
    expect(rejected).toMatchObject({
      security: true,
      requestId: event.requestContext.requestId,
      sourceIp: '203.0.113.7',
      userAgent: 'probe/1.0',
    });
    const text = f.logs.join('\n');
    for (const secret of ['5550177', 'private words', event.headers['X-Twilio-Signature'] as string])
      expect(text).not.toContain(secret);
  });
});

describe('security headers', () => {
  it('are on every answer the handler gives, HSTS included (API Gateway does not add it to proxy responses)', async () => {
    const f = webhookFixture();
    const answers = [
      await f.handler(signedWebhookEvent({ token: f.token, params: inboundParams() })), // 200
      await f.handler(signedWebhookEvent({ token: f.token, params: statusParams(), path: STATUS_PATH })), // 204
      await f.handler(signedWebhookEvent({ token: NEW_TOKEN, params: inboundParams() })), // 403
      await f.handler(apiEvent({ path: '/nowhere', httpMethod: 'GET' })), // 404
      await f.handler(apiEvent({ path: '/health', httpMethod: 'GET' })), // 200 JSON
    ];
    f.queue.failing = true;
    answers.push(await f.handler(signedWebhookEvent({ token: f.token, params: inboundParams() }))); // 503
    expect(answers.map((a) => a.statusCode)).toEqual([200, 204, 403, 404, 200, 503]);
    for (const answer of answers) {
      expect(answer.headers).toMatchObject({
        'Strict-Transport-Security': 'max-age=63072000; includeSubDomains',
        'X-Content-Type-Options': 'nosniff',
        'X-Frame-Options': 'DENY',
        'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
        'Referrer-Policy': 'no-referrer',
        'Cache-Control': 'no-store',
      });
    }
  });
});

describe('other routes', () => {
  it('answers GET /health with 200 {"status":"ok"}', async () => {
    const f = webhookFixture();
    const res = await f.handler(apiEvent({ path: '/health', httpMethod: 'GET' }));
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ status: 'ok' });
    expectSecurityHeaders(res.headers);
  });

  it('answers an unknown route with a generic 404', async () => {
    const f = webhookFixture();
    const res = await f.handler(
      apiEvent({ path: `/nope/${randomBytes(4).toString('hex')}`, httpMethod: 'GET' }),
    );
    expect(res.statusCode).toBe(404);
    expect(JSON.parse(res.body)).toEqual({ error: 'not found' });
  });
});
