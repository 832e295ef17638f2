// SecretSource held in memory, with rotation, for the local stack and tests.

import type { Clock, SecretSource, SecretVersions } from '../../ports.js';
import { systemClock } from '../../ports.js';

/** Raised when a secret id is unknown, as Secrets Manager's ResourceNotFoundException would be. */
export class SecretNotFoundError extends Error {
  constructor(secretId: string) {
    super(`secret not found: ${secretId}`);
    this.name = 'SecretNotFoundError';
  }
}

export class MemorySecretSource implements SecretSource {
  readonly #secrets = new Map<string, SecretVersions>();
  readonly #clock: Clock;
  /** Set to make every read fail, as an unreachable Secrets Manager would (fault-injection tests). */
  failing = false;

  constructor(initial: Record<string, string> = {}, clock: Clock = systemClock) {
    this.#clock = clock;
    for (const [id, value] of Object.entries(initial))
      this.#secrets.set(id, { current: value, currentCreatedAt: clock.now() });
  }

  async getVersions(secretId: string): Promise<SecretVersions> {
    if (this.failing) throw new Error('secret source unavailable');
    const found = this.#secrets.get(secretId);
    if (!found) throw new SecretNotFoundError(secretId);
    return found;
  }

  /** Makes `value` current and keeps the old current as previous, as a finished rotation does. */
  rotate(secretId: string, value: string): void {
    const old = this.#secrets.get(secretId);
    this.#secrets.set(secretId, {
      current: value,
      ...(old ? { previous: old.current } : {}),
      currentCreatedAt: this.#clock.now(),
    });
  }

  /** Drops the previous version (Secrets Manager moving AWSPREVIOUS away). */
  forgetPrevious(secretId: string): void {
    const old = this.#secrets.get(secretId);
    if (old)
      this.#secrets.set(secretId, {
        current: old.current,
        ...(old.currentCreatedAt ? { currentCreatedAt: old.currentCreatedAt } : {}),
      });
  }
}
