// JSON-valued variables of the webhook (TWILIO_TOKEN_SECRET_ARNS, VOICE_CONFIG): unparsable JSON is named, and
// an absent VOICE_CONFIG means voice is off.
import { describe, expect, it } from 'vitest';
import { VOICE_DISABLED, VoiceConfig } from '../../../lambda/shared/voice-config.js';
import { loadWebhookConfig } from '../../../lambda/webhook/webhook-config.js';

const base = {
  SIGNALGATE_ENV: 'test',
  PUBLIC_BASE_URL: 'https://hooks.example.test/v1',
  QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/q',
  KMS_KEY_ID: 'k',
  TWILIO_TOKEN_SECRET_ARNS: '{"AC0123456789abcdef0123456789abcdef":"arn:twilio"}',
  BLIND_INDEX_SECRET_ARN: 'b',
  AWS_REGION: 'eu-west-1',
  AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'secret',
};

describe('webhook configuration: JSON variables', () => {
  it('names a variable whose JSON does not parse, printing no value', () => {
    expect(() => loadWebhookConfig({ ...base, TWILIO_TOKEN_SECRET_ARNS: '{"AC' })).toThrow(
      'webhook configuration is invalid: TWILIO_TOKEN_SECRET_ARNS: must be a JSON object',
    );
    expect(() => loadWebhookConfig({ ...base, VOICE_CONFIG: 'not json' })).toThrow(
      'webhook configuration is invalid: VOICE_CONFIG: must be a JSON object',
    );
  });

  it('reads the token secret map, and treats an absent VOICE_CONFIG as voice off', () => {
    const config = loadWebhookConfig(base);
    expect(config.TWILIO_TOKEN_SECRET_ARNS).toEqual({ AC0123456789abcdef0123456789abcdef: 'arn:twilio' });
    expect(config.VOICE_CONFIG.enabled).toBe(false);
  });

  it('gives voice-off a complete configuration, the one the schema gives for the same input', () => {
    // VOICE_DISABLED is written out (no parse at import); it must stay what parsing would produce.
    expect(VOICE_DISABLED).toEqual({
      enabled: false,
      defaultAnswer: { kind: 'reject' },
      numbers: {},
      fallback: { kind: 'say', text: 'Sorry, we cannot take your call right now. Please try again later.' },
      streamAvailable: true,
      healthCheckSeconds: 30,
    });
    expect(
      VoiceConfig.parse({
        enabled: false,
        defaultAnswer: { kind: 'reject' },
        fallback: { kind: 'say', text: 'Sorry, we cannot take your call right now. Please try again later.' },
      }),
    ).toEqual(VOICE_DISABLED);
  });

  it('parses a voice configuration given in VOICE_CONFIG with the defaults filled in', () => {
    const voice = {
      enabled: true,
      defaultAnswer: { kind: 'stream', url: 'wss://agent.example.test/media' },
      fallback: { kind: 'say', text: 'Please call back later.' },
    };
    expect(loadWebhookConfig({ ...base, VOICE_CONFIG: JSON.stringify(voice) }).VOICE_CONFIG).toEqual({
      enabled: true,
      defaultAnswer: { kind: 'stream', url: 'wss://agent.example.test/media', parameters: {} },
      numbers: {},
      fallback: { kind: 'say', text: 'Please call back later.' },
      streamAvailable: true,
      healthCheckSeconds: 30,
    });
    expect(() =>
      loadWebhookConfig({
        ...base,
        VOICE_CONFIG: JSON.stringify({ ...voice, defaultAnswer: { kind: 'ring' } }),
      }),
    ).toThrow('webhook configuration is invalid: VOICE_CONFIG.defaultAnswer');
  });
});
