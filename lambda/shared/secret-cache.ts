// A SecretSource with a bounded cache (ARCHITECTURE §5): values are reused for maxAgeMs, concurrent
// misses share one fetch, and a failed refresh is an error (the caller answers 503) rather than a
// silently stale secret. Powertools Parameters is not used: it caches by name and ignores
// VersionStage, so AWSCURRENT and AWSPREVIOUS cannot both be read through it (ARCHITECTURE §9).

import type { Clock, SecretSource, SecretVersions } from './ports.js';
import { systemClock } from './ports.js';

/**
 * Default least time between two forced refreshes of one secret. The Twilio rotation waits longer
 * than this between moving AWSCURRENT and promoting the token at Twilio (PROMOTION_DELAY_MS), so
 * every webhook instance is free to refetch by the time the new token first signs a webhook.
 */
export const MIN_SECRET_REFRESH_MS = 10_000;

export interface SecretCacheOptions {
  /** How long a fetched secret is served without asking again. @default 300_000 (5 minutes) */
  readonly maxAgeMs?: number;
  /** The least time between two forced refreshes of one secret. @default MIN_SECRET_REFRESH_MS */
  readonly minRefreshIntervalMs?: number;
  readonly clock?: Clock;
}

interface Entry {
  readonly value: SecretVersions;
  readonly fetchedAt: number;
}

export class CachedSecretSource implements SecretSource {
  readonly #inner: SecretSource;
  readonly #maxAgeMs: number;
  readonly #minRefreshMs: number;
  readonly #clock: Clock;
  readonly #entries = new Map<string, Entry>();
  readonly #inFlight = new Map<string, Promise<SecretVersions>>();

  constructor(inner: SecretSource, options: SecretCacheOptions = {}) {
    this.#inner = inner;
    this.#maxAgeMs = options.maxAgeMs ?? 300_000;
    this.#minRefreshMs = options.minRefreshIntervalMs ?? MIN_SECRET_REFRESH_MS;
    this.#clock = options.clock ?? systemClock;
  }

  async getVersions(secretId: string): Promise<SecretVersions> {
    const entry = this.#entries.get(secretId);
    if (entry && this.#clock.now() - entry.fetchedAt < this.#maxAgeMs) return entry.value;
    return this.#fetch(secretId);
  }

  /**
   * Fetches again unless the cached value is younger than minRefreshIntervalMs; used when a value
   * fails to verify, so a rotation is picked up at once while a flood of forgeries costs at most one
   * fetch per interval. Returns undefined when the cached value is too young to refresh.
   */
  async refresh(secretId: string): Promise<SecretVersions | undefined> {
    const entry = this.#entries.get(secretId);
    if (entry && this.#clock.now() - entry.fetchedAt < this.#minRefreshMs) return undefined;
    return this.#fetch(secretId);
  }

  #fetch(secretId: string): Promise<SecretVersions> {
    let pending = this.#inFlight.get(secretId);
    if (!pending) {
      pending = this.#inner
        .getVersions(secretId)
        .then((value) => {
          this.#entries.set(secretId, { value, fetchedAt: this.#clock.now() });
          return value;
        })
        .finally(() => this.#inFlight.delete(secretId));
      this.#inFlight.set(secretId, pending);
    }
    return pending;
  }
}
