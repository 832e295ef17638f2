// Assembles the webhook's dependencies from ports; shared by its AWS and local wiring and the tests.

import type { Logger } from '../shared/logger.js';
import type { Metrics } from '../shared/metrics.js';
import type { Clock, KeyProvider, MessageQueue, SecretSource } from '../shared/ports.js';
import { Sealer, type SealerOptions } from '../shared/seal.js';
import { CachedSecretSource } from '../shared/secret-cache.js';
import { blindIndexFrom } from '../shared/secret-values.js';
import type { VoiceConfig } from '../shared/voice-config.js';
import type { WebhookDeps } from './make-webhook-handler.js';
import { TwilioSignatureVerifier } from './signature.js';
import { CachedStreamHealth, type HealthProbe } from './stream-health.js';
import { type TokenSecretMap, TwilioTokenDirectory } from './twilio-tokens.js';

export interface WebhookPorts {
  readonly publicBaseUrl: string;
  /** The query string of the webhook URLs in the Twilio console, if any (lambda/shared/webhook-url.ts). */
  readonly webhookQuery?: string;
  readonly keyProvider: KeyProvider;
  readonly secretSource: SecretSource;
  readonly secretCacheMs: number;
  readonly tokenSecrets: TokenSecretMap;
  readonly blindIndexSecretId: string;
  readonly queue: MessageQueue;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly sealerOptions?: SealerOptions;
  /** How long after a rotation the previous Twilio token still verifies (see TwilioTokenDirectory). */
  readonly previousTokenGraceMs: number;
  /** The voice routes' configuration. @default none: the voice routes answer 404 */
  readonly voice?: VoiceConfig;
  /** How the stream target's health URL is checked. @default an HTTP GET (fetch) */
  readonly healthProbe?: HealthProbe;
}

export function buildWebhookDeps(ports: WebhookPorts): WebhookDeps {
  const secrets = new CachedSecretSource(ports.secretSource, {
    maxAgeMs: ports.secretCacheMs,
    clock: ports.clock,
  });
  return {
    publicBaseUrl: ports.publicBaseUrl.replace(/\/+$/, ''),
    ...(ports.webhookQuery ? { webhookQuery: ports.webhookQuery } : {}),
    verifier: new TwilioSignatureVerifier(),
    tokens: new TwilioTokenDirectory(secrets, ports.tokenSecrets, {
      clock: ports.clock,
      previousGraceMs: ports.previousTokenGraceMs,
    }),
    sealer: new Sealer(ports.keyProvider, { clock: ports.clock, ...ports.sealerOptions }),
    blindIndex: blindIndexFrom(secrets, ports.blindIndexSecretId),
    queue: ports.queue,
    metrics: ports.metrics,
    logger: ports.logger,
    clock: ports.clock,
    ...(ports.voice
      ? {
          voice: {
            config: ports.voice,
            health: new CachedStreamHealth(ports.voice, {
              clock: ports.clock,
              logger: ports.logger,
              ...(ports.healthProbe ? { probe: ports.healthProbe } : {}),
            }),
          },
        }
      : {}),
  };
}
