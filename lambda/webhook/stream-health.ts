// Whether the media-stream target takes calls: the config flag, and a health check run in the
// background and cached (issue 14), so an incoming call's answer never waits for it.

import type { Logger } from '../shared/logger.js';
import { LogEvent } from '../shared/names.js';
import type { Clock } from '../shared/ports.js';
import type { VoiceConfig } from '../shared/voice-config.js';

/** The stream target's availability as last known; asking never waits. */
export interface StreamHealth {
  available(): boolean;
}

/** Answers 2xx: up. Anything else, an error or no answer within the timeout: down. */
export type HealthProbe = (url: string, timeoutMs: number) => Promise<boolean>;

export const fetchProbe: HealthProbe = async (url, timeoutMs) => {
  const response = await fetch(url, { method: 'GET', signal: AbortSignal.timeout(timeoutMs) });
  await response.body?.cancel();
  return response.ok;
};

/** A probe's own bound: well under Twilio's 15 s webhook timeout, and off the answer's path anyway. */
const PROBE_TIMEOUT_MS = 2_000;

export class CachedStreamHealth implements StreamHealth {
  readonly #config: VoiceConfig;
  readonly #probe: HealthProbe;
  readonly #clock: Clock;
  readonly #logger: Logger;
  /** Up until a check says otherwise: a cold start must not turn every first call into the fallback. */
  #up = true;
  #checkedAt = Number.NEGATIVE_INFINITY;
  #inFlight: Promise<void> | undefined;

  constructor(config: VoiceConfig, options: { probe?: HealthProbe; clock: Clock; logger: Logger }) {
    this.#config = config;
    this.#probe = options.probe ?? fetchProbe;
    this.#clock = options.clock;
    this.#logger = options.logger;
  }

  available(): boolean {
    if (!this.#config.streamAvailable) return false;
    const url = this.#config.healthCheckUrl;
    if (url === undefined) return true;
    if (this.#clock.now() - this.#checkedAt >= this.#config.healthCheckSeconds * 1000) this.#refresh(url);
    return this.#up;
  }

  /** Settles when the check under way (if any) is done; tests and the local stack await it. */
  settled(): Promise<void> {
    return this.#inFlight ?? Promise.resolve();
  }

  #refresh(url: string): void {
    if (this.#inFlight) return;
    this.#inFlight = this.#probe(url, PROBE_TIMEOUT_MS)
      .catch(() => false)
      .then((up) => {
        if (!up) this.#logger.warn(LogEvent.voiceHealthCheckFailed, {});
        this.#up = up;
        this.#checkedAt = this.#clock.now();
      })
      .finally(() => {
        this.#inFlight = undefined;
      });
  }
}
