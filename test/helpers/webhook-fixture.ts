// A webhook handler wired with in-memory ports, and what it wrote (queue, logs, metrics).

import { randomBytes } from 'node:crypto';
import { LocalKeyProvider } from '../../lambda/shared/adapters/local/local-key-provider.js';
import { MemoryQueue } from '../../lambda/shared/adapters/local/memory-queue.js';
import { MemorySecretSource } from '../../lambda/shared/adapters/local/memory-secret-source.js';
import { createLogger } from '../../lambda/shared/logger.js';
import { createEmfMetrics } from '../../lambda/shared/metrics.js';
import type { Clock, KeyProvider, SecretSource } from '../../lambda/shared/ports.js';
import type { VoiceConfig } from '../../lambda/shared/voice-config.js';
import { buildWebhookDeps } from '../../lambda/webhook/build-webhook-deps.js';
import { makeWebhookHandler } from '../../lambda/webhook/make-webhook-handler.js';
import type { HealthProbe } from '../../lambda/webhook/stream-health.js';
import { ACCOUNT_SID, PUBLIC_BASE_URL } from './api-events.js';
import { sumMetric } from './emf.js';

export const TWILIO_SECRET_ID = 'twilio-auth-token';
export const BLIND_INDEX_SECRET_ID = 'blind-index-key';

export class ManualClock implements Clock {
  constructor(public time = Date.UTC(2026, 10, 28, 12)) {}
  now(): number {
    return this.time;
  }
  advance(ms: number): void {
    this.time += ms;
  }
}

export function twilioSecret(token: string, accountSid = ACCOUNT_SID): string {
  return JSON.stringify({ accountSid, authToken: token });
}

export interface WebhookFixtureOptions {
  token?: string;
  keyProvider?: KeyProvider;
  tokenSecrets?: Record<string, string>;
  secretCacheMs?: number;
  /** @default the directory's default (15 minutes) */
  previousTokenGraceMs?: number;
  /** Read secrets through this instead of the fixture's own MemorySecretSource. */
  secretSource?: SecretSource;
  /** The configured query string of the webhook URLs (WEBHOOK_QUERY). @default none */
  webhookQuery?: string;
  /** The voice routes' configuration. @default none (the voice routes answer 404) */
  voice?: VoiceConfig;
  /** Checks the stream target's health URL. @default none given: the fixture's voice must not set one */
  healthProbe?: HealthProbe;
}

export function webhookFixture(options: WebhookFixtureOptions = {}) {
  const token = options.token ?? randomBytes(16).toString('hex');
  const clock = new ManualClock();
  const secrets = new MemorySecretSource(
    {
      [TWILIO_SECRET_ID]: twilioSecret(token),
      [BLIND_INDEX_SECRET_ID]: JSON.stringify({ key: randomBytes(32).toString('hex') }),
    },
    clock,
  );
  const queue = new MemoryQueue();
  const logs: string[] = [];
  const emf: string[] = [];
  const wrappingKey = randomBytes(32);
  const keyProvider = options.keyProvider ?? new LocalKeyProvider(wrappingKey);
  const deps = buildWebhookDeps({
    publicBaseUrl: PUBLIC_BASE_URL,
    ...(options.webhookQuery !== undefined ? { webhookQuery: options.webhookQuery } : {}),
    keyProvider,
    secretSource: options.secretSource ?? secrets,
    secretCacheMs: options.secretCacheMs ?? 60_000,
    tokenSecrets: options.tokenSecrets ?? { [ACCOUNT_SID]: TWILIO_SECRET_ID },
    blindIndexSecretId: BLIND_INDEX_SECRET_ID,
    queue,
    metrics: createEmfMetrics('test', (line) => emf.push(line)),
    logger: createLogger('signalgate-webhook', (line) => logs.push(line)),
    clock,
    // The deployed default (15 minutes) unless a test sets its own.
    previousTokenGraceMs: options.previousTokenGraceMs ?? 15 * 60_000,
    ...(options.voice ? { voice: options.voice } : {}),
    ...(options.healthProbe ? { healthProbe: options.healthProbe } : {}),
  });
  const handler = makeWebhookHandler(async () => deps);
  /** Sum of one metric over every EMF document written so far. */
  const metric = (name: string): number => sumMetric(emf, name);
  return { token, clock, secrets, queue, logs, emf, deps, handler, metric, wrappingKey, keyProvider };
}
