// Voice in the templates (issue 14): routes, the webhook's VOICE_CONFIG, outputs, alarms; and the config checks.

import { describe, expect, it } from 'vitest';
import { dev } from '../../lib/config/dev.js';
import { ConfigValidationError, parseEnvConfig } from '../../lib/config/index.js';
import { prod } from '../../lib/config/prod.js';
import { synthEnv } from './helpers/synth-env.js';

const STREAM = {
  kind: 'stream',
  url: 'wss://agent.signalgate-voice.net/media',
  parameters: { tenant: 'acme' },
};

describe('voice in the dev templates (voice enabled)', () => {
  const { templates, json } = synthEnv('dev');

  it('gives the webhook function its voice configuration as JSON, holding no secret', () => {
    const webhook = Object.values(templates.api.findResources('AWS::Lambda::Function')).find(
      (f) => f.Properties.Environment?.Variables?.SIGNALGATE_SERVICE === 'signalgate-webhook',
    );
    const raw = webhook?.Properties.Environment.Variables.VOICE_CONFIG as string;
    expect(JSON.parse(raw)).toMatchObject({
      enabled: true,
      defaultAnswer: { kind: 'say', text: 'This is the Signalgate development stack. Goodbye.' },
      streamAvailable: true,
    });
  });

  it('outputs the three URLs to set on a Twilio number, with the connection overrides', () => {
    const outputs = json.api.Outputs;
    expect(JSON.stringify(outputs.VoiceWebhookUrl.Value)).toContain(
      '/webhooks/twilio/voice#rc=3&rp=ct,rt,5xx',
    );
    expect(JSON.stringify(outputs.CallStatusCallbackUrl.Value)).toContain(
      '/webhooks/twilio/voice/status#rc=',
    );
    expect(JSON.stringify(outputs.RecordingStatusCallbackUrl.Value)).toContain(
      '/webhooks/twilio/voice/recording#rc=',
    );
  });

  it('alarms on voice signature failures and on every voice fallback, with their runbook sections', () => {
    const alarms = Object.values(templates.monitoring.findResources('AWS::CloudWatch::Alarm'));
    const of = (metric: string) => alarms.find((a) => a.Properties.MetricName === metric)?.Properties;
    expect(of('VoiceSignatureFailures')).toMatchObject({ Namespace: 'Signalgate', Threshold: 10 });
    expect(String(of('VoiceSignatureFailures')?.AlarmDescription)).toContain(
      'docs/RUNBOOK.md#voice-signature-failures',
    );
    expect(of('VoiceFallbacks')).toMatchObject({
      Namespace: 'Signalgate',
      Threshold: 1,
      EvaluationPeriods: 1,
    });
    expect(String(of('VoiceFallbacks')?.AlarmDescription)).toContain('docs/RUNBOOK.md#voice-fallbacks');
    // dev deploys no dashboard (alarms.dashboard false, docs/COST.md): the widgets are checked in prod's.
    expect(templates.monitoring.findResources('AWS::CloudWatch::Dashboard')).toEqual({});
  });
});

describe('voice in the prod templates (voice off by default)', () => {
  const { templates, json } = synthEnv('prod');

  it('deploys no voice route and outputs no voice URL', () => {
    const paths = Object.values(templates.api.findResources('AWS::ApiGateway::Resource')).map(
      (r) => r.Properties.PathPart,
    );
    expect(paths).not.toContain('voice');
    expect(json.api.Outputs.VoiceWebhookUrl).toBeUndefined();
  });

  it('draws voice signature failures and fallbacks on the dashboard, ready for when voice is enabled', () => {
    // The metric rows of a graph widget (the alarm widget names the alarms too, so match the metric itself).
    const dashboard = JSON.stringify(templates.monitoring.findResources('AWS::CloudWatch::Dashboard'));
    expect(dashboard).toContain(
      '[\\"Signalgate\\",\\"VoiceSignatureFailures\\",\\"Environment\\",\\"prod\\"',
    );
    expect(dashboard).toContain('[\\"Signalgate\\",\\"VoiceFallbacks\\",\\"Environment\\",\\"prod\\"');
  });
});

describe('voice config', () => {
  const parse = (voice: unknown, base = dev) => parseEnvConfig('dev', { ...base, voice });
  const problems = (voice: unknown, base = dev) => {
    try {
      parse(voice, base);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigValidationError);
      return (error as Error).message;
    }
    return '';
  };

  it('accepts a stream default with per-number say and reject answers', () => {
    const config = parse({
      ...dev.voice,
      defaultAnswer: STREAM,
      numbers: { '+14155550100': { kind: 'reject', reason: 'busy' } },
    });
    expect(config.voice.numbers['+14155550100']).toEqual({ kind: 'reject', reason: 'busy' });
  });

  it('refuses a stream that is not wss://, a number key that is not E.164 and text with control characters', () => {
    expect(
      problems({
        ...dev.voice,
        defaultAnswer: { ...STREAM, url: 'https://agent.signalgate-voice.net/media' },
      }),
    ).toMatch(/voice\.defaultAnswer\.url/);
    expect(
      problems({ ...dev.voice, defaultAnswer: { ...STREAM, url: 'ws://agent.signalgate-voice.net/media' } }),
    ).toMatch(/voice\.defaultAnswer\.url/);
    expect(problems({ ...dev.voice, numbers: { '4155550100': { kind: 'reject' } } })).toMatch(
      /voice\.numbers/,
    );
    expect(problems({ ...dev.voice, fallback: { kind: 'say', text: 'line\u0007bell' } })).toMatch(
      /voice\.fallback\.text/,
    );
  });

  it('refuses a voice configuration that would not fit in the webhook environment (Lambda: 4 KB in all)', () => {
    const numbers = Object.fromEntries(
      Array.from({ length: 40 }, (_, i) => [
        `+1415555${String(i).padStart(4, '0')}`,
        { kind: 'say', text: 'x'.repeat(40) },
      ]),
    );
    expect(problems({ ...dev.voice, numbers })).toContain('voice: must fit in 2048 characters as JSON');
  });

  it('refuses a stream on a documentation domain where sample values are refused (prod)', () => {
    const message = problems(
      { ...prod.voice, enabled: true, defaultAnswer: { ...STREAM, url: 'wss://agent.example.com/media' } },
      prod,
    );
    expect(message).toContain('voice.defaultAnswer.url');
    expect(message).toContain('"wss://agent.example.com/media" is a sample domain');
  });
});
