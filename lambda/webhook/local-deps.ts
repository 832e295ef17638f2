// The webhook's local wiring: the local key provider and the local stack's secrets and queue, with the
// defaults the Lambda runs with.

import { LocalKeyProvider } from '../shared/adapters/local/local-key-provider.js';
import { DEFAULT_PREVIOUS_TOKEN_GRACE_SECONDS, DEFAULT_SECRET_CACHE_SECONDS } from '../shared/env-config.js';
import { type LocalSinks, localTelemetry } from '../shared/local-telemetry.js';
import { ServiceName } from '../shared/names.js';
import type { MessageQueue, SecretSource } from '../shared/ports.js';
import { systemClock } from '../shared/ports.js';
import type { VoiceConfig } from '../shared/voice-config.js';
import { buildWebhookDeps } from './build-webhook-deps.js';
import type { WebhookDeps } from './make-webhook-handler.js';
import type { TokenSecretMap } from './twilio-tokens.js';

export interface LocalWebhookOptions {
  /** The URL signatures are checked against (PUBLIC_BASE_URL). */
  readonly publicBaseUrl: string;
  /** The query string of the configured webhook URLs (WEBHOOK_QUERY), if any. */
  readonly webhookQuery?: string;
  /** The local stand-in for the KMS key (32 bytes). */
  readonly wrappingKey: Buffer;
  readonly secretSource: SecretSource;
  readonly tokenSecrets: TokenSecretMap;
  readonly blindIndexSecretId: string;
  readonly queue: MessageQueue;
  readonly sinks: LocalSinks;
  /** The voice routes' configuration (VOICE_CONFIG). @default none: the voice routes answer 404 */
  readonly voice?: VoiceConfig;
}

export function createLocalWebhookDeps(options: LocalWebhookOptions): WebhookDeps {
  return buildWebhookDeps({
    publicBaseUrl: options.publicBaseUrl,
    ...(options.webhookQuery ? { webhookQuery: options.webhookQuery } : {}),
    keyProvider: new LocalKeyProvider(options.wrappingKey),
    secretSource: options.secretSource,
    secretCacheMs: DEFAULT_SECRET_CACHE_SECONDS * 1000,
    previousTokenGraceMs: DEFAULT_PREVIOUS_TOKEN_GRACE_SECONDS * 1000,
    tokenSecrets: options.tokenSecrets,
    blindIndexSecretId: options.blindIndexSecretId,
    queue: options.queue,
    ...localTelemetry(ServiceName.webhook, options.sinks),
    clock: systemClock,
    ...(options.voice ? { voice: options.voice } : {}),
  });
}
