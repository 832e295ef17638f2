import { validateRequest } from 'twilio/lib/webhooks/webhooks';
import { describe, expect, it } from 'vitest';
import { runCanary } from '../../../lambda/canary/canary-core.js';
import { createLogger } from '../../../lambda/shared/logger.js';
import { createEmfMetrics } from '../../../lambda/shared/metrics.js';
import { sumMetric } from '../../helpers/emf.js';

const BASE = 'https://hooks.signalgate-ops.net';
const SID = 'ACd8917a10aab95fc5a03aac04b051cfb7';
const TOKEN = '9f3c2a7e51b04d8c6a2e0f1b3d5c7e9a';

/** A deployment that verifies like Twilio's validator, stores after `storeAfterPolls` polls, or never. */
function fakeDeployment(options: { storeAfterPolls?: number; status?: number; webhookQuery?: string } = {}) {
  let sent: Record<string, string> | undefined;
  let polls = 0;
  let time = 1_000_000;
  const emf: string[] = [];
  const logs: string[] = [];
  const deps = {
    publicBaseUrl: BASE,
    ...(options.webhookQuery ? { webhookQuery: options.webhookQuery } : {}),
    twilio: async () => ({ accountSid: SID, authToken: TOKEN }),
    post: async (url: string, headers: Record<string, string>, body: string) => {
      const params = Object.fromEntries(new URLSearchParams(body));
      const valid = validateRequest(TOKEN, headers['X-Twilio-Signature'] ?? '', url, params);
      const expectedUrl = `${BASE}/webhooks/twilio/messages${options.webhookQuery ? `?${options.webhookQuery}` : ''}`;
      if (!valid || url !== expectedUrl) return 403;
      sent = params;
      return options.status ?? 200;
    },
    latestSyntheticSid: async () => {
      polls++;
      return options.storeAfterPolls !== undefined && polls > options.storeAfterPolls && sent
        ? (sent.MessageSid ?? null)
        : 'SM00000000000000000000000000000000';
    },
    metrics: createEmfMetrics('prod', (l) => emf.push(l)),
    logger: createLogger('signalgate-canary', (l) => logs.push(l)),
    clock: { now: () => time },
    sleep: async (ms: number) => {
      time += ms;
    },
    timeoutMs: 60_000,
    pollMs: 2_000,
  };
  return { deps, emf, logs, sent: () => sent, metric: (name: string) => sumMetric(emf, name) };
}

describe('canary', () => {
  it('sends a signed synthetic message and reports success with the latency once it is stored', async () => {
    const d = fakeDeployment({ storeAfterPolls: 3 });
    const result = await runCanary(d.deps);
    expect(result).toEqual({ ok: true, messageSid: d.sent()?.MessageSid, latencyMs: 6_000 });
    expect(d.sent()?.SignalgateSynthetic).toBe('canary');
    expect(d.metric('CanarySuccess')).toBe(1);
    expect(d.metric('CanaryLatencyMs')).toBe(6_000);
  });

  it('reports failure when the message is not stored in time', async () => {
    const d = fakeDeployment();
    const result = await runCanary(d.deps);
    expect(result).toEqual({ ok: false, messageSid: d.sent()?.MessageSid, reason: 'not stored within 60 s' });
    expect(d.metric('CanarySuccess')).toBe(0);
    expect(d.emf.join('\n')).not.toContain('CanaryLatencyMs');
  });

  it('reports failure when the webhook does not answer 200', async () => {
    const d = fakeDeployment({ status: 503, storeAfterPolls: 0 });
    expect(await runCanary(d.deps)).toMatchObject({ ok: false, reason: 'webhook answered 503' });
    expect(d.metric('CanarySuccess')).toBe(0);
  });

  it('signs and calls the webhook URL with its configured query string, as Twilio does', async () => {
    const d = fakeDeployment({ storeAfterPolls: 0, webhookQuery: 'tenant=acme' });
    expect(await runCanary(d.deps)).toMatchObject({ ok: true });
  });

  it('never logs the Twilio token', async () => {
    const d = fakeDeployment({ storeAfterPolls: 0 });
    await runCanary(d.deps);
    expect(d.logs.join('\n')).not.toContain(TOKEN);
  });
});
