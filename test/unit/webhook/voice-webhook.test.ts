import fc from 'fast-check';
import VoiceResponse from 'twilio/lib/twiml/VoiceResponse';
import { getExpectedTwilioSignature, validateRequest } from 'twilio/lib/webhooks/webhooks';
import { describe, expect, it } from 'vitest';
import { VoiceConfig, type VoiceConfigInput } from '../../../lambda/shared/voice-config.js';
import type { CachedStreamHealth } from '../../../lambda/webhook/stream-health.js';
import { voiceTwiml } from '../../../lambda/webhook/twiml.js';
import {
  apiEvent,
  callParams,
  callStatusParams,
  formBody,
  PUBLIC_BASE_URL,
  recordingParams,
  signedWebhookEvent,
} from '../../helpers/api-events.js';
import { webhookFixture } from '../../helpers/webhook-fixture.js';

const VOICE = '/webhooks/twilio/voice';
const VOICE_STATUS = '/webhooks/twilio/voice/status';
const VOICE_RECORDING = '/webhooks/twilio/voice/recording';
const CALLER = '+14155550199';

const STREAM_URL = 'wss://agent.example.test/media?tenant=a&b=1';
const voiceConfig = (overrides: Partial<VoiceConfigInput> = {}) =>
  VoiceConfig.parse({
    enabled: true,
    defaultAnswer: { kind: 'stream', url: STREAM_URL, parameters: { tenant: 'acme', lane: 'a&b "c"' } },
    numbers: {
      '+14155550123': {
        kind: 'say',
        text: 'We are closed <today> & tomorrow.',
        voice: 'Polly.Joanna',
        language: 'en-US',
      },
      '+14155550124': { kind: 'reject', reason: 'busy' },
      '+14155550125': { kind: 'reject' },
    },
    fallback: { kind: 'say', text: 'The assistant is unavailable, please call again later.' },
    ...overrides,
  });

/** What twilio-node's own TwiML builder writes for the default stream answer above. */
function twilioStreamTwiml(): string {
  const response = new VoiceResponse();
  const stream = response.connect().stream({ url: STREAM_URL });
  stream.parameter({ name: 'tenant', value: 'acme' });
  stream.parameter({ name: 'lane', value: 'a&b "c"' });
  return response.toString();
}

function twilioSayTwiml(text: string, attributes: VoiceResponse.SayAttributes = {}): string {
  const response = new VoiceResponse();
  response.say(attributes, text);
  response.hangup();
  return response.toString();
}

describe('POST /webhooks/twilio/voice', () => {
  it('answers 200 text/xml with the stream TwiML twilio-node writes, the caller in neither the answer, the queue nor the logs', async () => {
    const f = webhookFixture({ voice: voiceConfig() });
    const params = callParams({ From: CALLER, Caller: CALLER });
    const res = await f.handler(signedWebhookEvent({ token: f.token, params, path: VOICE }));
    expect(res.statusCode).toBe(200);
    expect(res.headers?.['Content-Type']).toBe('text/xml; charset=utf-8');
    expect(res.body).toBe(twilioStreamTwiml());
    expect(res.body).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><Response><Connect><Stream url="wss://agent.example.test/media?tenant=a&amp;b=1">' +
        '<Parameter name="tenant" value="acme"/><Parameter name="lane" value="a&amp;b &quot;c&quot;"/></Stream></Connect></Response>',
    );
    expect(f.queue.sent).toHaveLength(1);
    expect(f.queue.sent[0]).toMatchObject({ kind: 'call', callSid: params.CallSid, status: 'ringing' });
    for (const text of [res.body, JSON.stringify(f.queue.sent), ...f.logs]) {
      expect(text).not.toContain(CALLER);
      expect(text).not.toContain(CALLER.slice(1));
    }
    expect(f.metric('CallsQueued')).toBe(1);
  });

  it('answers each called number with its own configured TwiML, as twilio-node writes it', async () => {
    const f = webhookFixture({ voice: voiceConfig() });
    const answer = async (to: string) =>
      (
        await f.handler(
          signedWebhookEvent({ token: f.token, params: callParams({ To: to, Called: to }), path: VOICE }),
        )
      ).body;
    expect(await answer('+14155550123')).toBe(
      twilioSayTwiml('We are closed <today> & tomorrow.', { voice: 'Polly.Joanna', language: 'en-US' }),
    );
    const busy = new VoiceResponse();
    busy.reject({ reason: 'busy' });
    expect(await answer('+14155550124')).toBe(busy.toString());
    const rejected = new VoiceResponse();
    rejected.reject();
    expect(await answer('+14155550125')).toBe(rejected.toString());
    expect(await answer('+14155550999')).toBe(twilioStreamTwiml());
  });

  it('answers the fallback instead of the stream while the config marks the stream target unavailable', async () => {
    const f = webhookFixture({ voice: voiceConfig({ streamAvailable: false }) });
    const res = await f.handler(signedWebhookEvent({ token: f.token, params: callParams(), path: VOICE }));
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe(twilioSayTwiml('The assistant is unavailable, please call again later.'));
    expect(f.queue.sent).toHaveLength(1);
    expect(f.metric('VoiceFallbacks')).toBe(1);
  });

  it('answers the fallback once the cached health check found the stream down, without waiting for a check', async () => {
    let up = false;
    let checks = 0;
    let release: () => void = () => {};
    const f = webhookFixture({
      voice: voiceConfig({ healthCheckUrl: 'https://agent.example.test/health', healthCheckSeconds: 30 }),
      healthProbe: () => {
        checks++;
        // The first check hangs until released: the call it started is answered meanwhile.
        return checks === 1 ? new Promise((resolve) => (release = () => resolve(up))) : Promise.resolve(up);
      },
    });
    const health = f.deps.voice?.health as CachedStreamHealth;
    const call = async () =>
      (await f.handler(signedWebhookEvent({ token: f.token, params: callParams(), path: VOICE }))).body;
    expect(await call()).toBe(twilioStreamTwiml());
    release();
    await health.settled();
    expect(await call()).toBe(twilioSayTwiml('The assistant is unavailable, please call again later.'));
    expect(f.metric('VoiceFallbacks')).toBe(1);
    expect(checks).toBe(1);
    // The result is cached for healthCheckSeconds; after that the next call checks again.
    up = true;
    f.clock.advance(30_000);
    expect(await call()).toBe(twilioSayTwiml('The assistant is unavailable, please call again later.'));
    await health.settled();
    expect(checks).toBe(2);
    expect(await call()).toBe(twilioStreamTwiml());
  });

  it('quarantines a signed call that fails the schema and still answers it with TwiML', async () => {
    const f = webhookFixture({ voice: voiceConfig() });
    const params = callParams({ CallStatus: 'ringing-loudly', From: CALLER });
    const res = await f.handler(signedWebhookEvent({ token: f.token, params, path: VOICE }));
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe(twilioStreamTwiml());
    expect(f.queue.sent[0]).toMatchObject({
      kind: 'quarantined',
      route: 'voice',
      failedChecks: ['CallStatus:invalid_value'],
      callSid: params.CallSid,
    });
    expect(f.metric('InvalidPayloads')).toBe(1);
    expect(JSON.stringify(f.queue.sent)).not.toContain(CALLER);
  });

  it('accepts callers given as client:, sip: and anonymous', async () => {
    const f = webhookFixture({ voice: voiceConfig() });
    for (const from of ['client:alice', 'sip:alice@example.sip.twilio.com', 'anonymous', '+266696687']) {
      await f.handler(
        signedWebhookEvent({ token: f.token, params: callParams({ From: from, Caller: from }), path: VOICE }),
      );
    }
    expect(f.queue.sent.map((e) => e.kind)).toEqual(['call', 'call', 'call', 'call']);
  });

  it('answers 404 when the environment has no voice, as any unknown route', async () => {
    const f = webhookFixture();
    for (const path of [VOICE, VOICE_STATUS, VOICE_RECORDING]) {
      const res = await f.handler(signedWebhookEvent({ token: f.token, params: callParams(), path }));
      expect(res.statusCode).toBe(404);
    }
    expect(f.queue.sent).toHaveLength(0);
  });
});

describe('POST /webhooks/twilio/voice/status and /voice/recording', () => {
  it('answers 204 to a call status callback once it is queued with its sequence number', async () => {
    const f = webhookFixture({ voice: voiceConfig() });
    const params = callStatusParams({ SequenceNumber: '4' });
    const res = await f.handler(signedWebhookEvent({ token: f.token, params, path: VOICE_STATUS }));
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe('');
    const envelope = f.queue.sent[0];
    expect(envelope).toMatchObject({
      kind: 'call_status',
      callSid: params.CallSid,
      status: 'completed',
      sequenceNumber: 4,
      callDuration: 42,
    });
    expect(f.metric('CallStatusesQueued')).toBe(1);
  });

  it('answers 204 to a recording status callback with the recording URL sealed, never fetched', async () => {
    let fetched = 0;
    const f = webhookFixture({
      voice: voiceConfig(),
      healthProbe: async () => {
        fetched++;
        return true;
      },
    });
    const params = recordingParams();
    const res = await f.handler(signedWebhookEvent({ token: f.token, params, path: VOICE_RECORDING }));
    expect(res.statusCode).toBe(204);
    const queued = JSON.stringify(f.queue.sent);
    expect(f.queue.sent[0]).toMatchObject({
      kind: 'recording',
      recordingSid: params.RecordingSid,
      callSid: params.CallSid,
      status: 'completed',
      duration: 41,
    });
    expect(queued).not.toContain('api.twilio.com');
    expect(queued).not.toContain('Recordings/');
    expect(fetched).toBe(0);
    expect(f.metric('RecordingsQueued')).toBe(1);
  });
});

describe('the voice routes refuse what fails before the signature is known, as the messaging routes do', () => {
  for (const path of [VOICE, VOICE_STATUS, VOICE_RECORDING]) {
    it(`${path}: 403 unsigned or mis-signed, 415, 413, 405, 503 when it cannot queue`, async () => {
      const f = webhookFixture({ voice: voiceConfig() });
      const params = path === VOICE_RECORDING ? recordingParams() : callStatusParams();
      const unsigned = await f.handler(
        apiEvent({
          path,
          headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
          body: formBody(params),
        }),
      );
      expect(unsigned.statusCode).toBe(403);
      const forged = await f.handler(signedWebhookEvent({ token: 'f'.repeat(32), params, path }));
      expect(forged.statusCode).toBe(403);
      expect(f.metric('VoiceSignatureFailures')).toBe(2);
      expect(f.metric('SignatureFailures')).toBe(2);
      const json = await f.handler(
        signedWebhookEvent({ token: f.token, params, path, headers: { 'Content-Type': 'application/json' } }),
      );
      expect(json.statusCode).toBe(415);
      const large = await f.handler(
        signedWebhookEvent({ token: f.token, params: { ...params, Extra: 'x'.repeat(70_000) }, path }),
      );
      expect(large.statusCode).toBe(413);
      const get = await f.handler({
        ...signedWebhookEvent({ token: f.token, params, path }),
        httpMethod: 'GET',
      });
      expect(get.statusCode).toBe(405);
      expect(get.headers?.Allow).toBe('POST');
      expect(f.queue.sent).toHaveLength(0);
      f.queue.failing = true;
      const down = await f.handler(signedWebhookEvent({ token: f.token, params, path }));
      expect(down.statusCode).toBe(503);
      expect(down.headers?.['Retry-After']).toBe('5');
    });
  }
});

describe('differential signature test on the voice routes against twilio-node validateRequest', () => {
  const f = webhookFixture({ voice: voiceConfig() });
  const paths = fc.constantFrom(VOICE, VOICE_STATUS, VOICE_RECORDING);
  const value = fc.string({ maxLength: 12 });
  const caseArb = fc.record({
    path: paths,
    // Mostly the path it is sent to (genuine requests), else another route or a variant of one.
    signedPath: fc.oneof(
      { arbitrary: fc.constant('same'), weight: 4 },
      { arbitrary: fc.oneof(paths, fc.constant(`${VOICE}/`), fc.constant(`${VOICE}?x=1`)), weight: 2 },
    ),
    extra: fc.dictionary(fc.stringMatching(/^[A-Za-z]{1,8}$/), value, { maxKeys: 4 }),
    tamper: fc.oneof(
      { arbitrary: fc.constant(null), weight: 3 },
      { arbitrary: fc.tuple(fc.constantFrom('CallSid', 'From', 'To', 'CallStatus'), value), weight: 1 },
    ),
    token: fc.oneof(
      { arbitrary: fc.constant('own'), weight: 4 },
      { arbitrary: fc.constant('other'), weight: 1 },
    ),
  });

  it('gives the same verdict as validateRequest on 300 generated requests', async () => {
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        const params = { ...c.extra, ...callStatusParams() };
        const token = c.token === 'own' ? f.token : 'a'.repeat(32);
        const signedPath = c.signedPath === 'same' ? c.path : c.signedPath;
        const signature = getExpectedTwilioSignature(token, PUBLIC_BASE_URL + signedPath, params);
        const sent = c.tamper ? { ...params, [c.tamper[0]]: c.tamper[1] } : params;
        const event = apiEvent({
          path: c.path,
          headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': signature },
          body: formBody(sent),
        });
        const theirs = validateRequest(f.token, signature, PUBLIC_BASE_URL + c.path, sent);
        const res = await f.handler(event);
        if (theirs) accepted++;
        expect(res.statusCode === 403 ? false : res.statusCode < 300).toBe(theirs);
      }),
      { numRuns: 300, seed: 20261130 },
    );
    expect(accepted).toBeGreaterThan(80);
  });
});

describe('voice TwiML', () => {
  it('is what twilio-node VoiceResponse writes for any configured text, URL and parameters', () => {
    const printable = fc.string({ minLength: 1, maxLength: 40 }).filter((s) => /^[^\p{Cc}]+$/u.test(s));
    fc.assert(
      fc.property(
        printable,
        fc.dictionary(fc.stringMatching(/^[A-Za-z][A-Za-z0-9_-]{0,8}$/), printable, { maxKeys: 4 }),
        fc.webPath(),
        (text, parameters, urlPath) => {
          const url = `wss://agent.example.test${urlPath}`;
          const stream = VoiceConfig.unwrap().shape.defaultAnswer.parse({ kind: 'stream', url, parameters });
          const theirs = new VoiceResponse();
          const s = theirs.connect().stream({ url: stream.kind === 'stream' ? stream.url : '' });
          for (const [name, v] of Object.entries(parameters)) s.parameter({ name, value: v });
          expect(voiceTwiml(stream)).toBe(theirs.toString());
          expect(voiceTwiml({ kind: 'say', text })).toBe(twilioSayTwiml(text));
        },
      ),
      { numRuns: 300 },
    );
  });
});
