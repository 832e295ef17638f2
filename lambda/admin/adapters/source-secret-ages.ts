// SecretAges from any SecretSource (the local stack's secrets): the current version's creation time.

import type { SecretSource } from '../../shared/ports.js';
import type { SecretAge, SecretAges } from '../ports.js';

export class SourceSecretAges implements SecretAges {
  readonly #source: SecretSource;
  readonly #secrets: Readonly<Record<string, string>>;

  /** @param secrets label → secret id in `source` */
  constructor(source: SecretSource, secrets: Readonly<Record<string, string>>) {
    this.#source = source;
    this.#secrets = secrets;
  }

  async ages(now: number): Promise<Record<string, SecretAge>> {
    const out: Record<string, SecretAge> = {};
    for (const [label, id] of Object.entries(this.#secrets)) {
      const { currentCreatedAt } = await this.#source.getVersions(id);
      out[label] = {
        currentAgeSeconds:
          currentCreatedAt === undefined ? null : Math.max(0, Math.floor((now - currentCreatedAt) / 1000)),
        rotationEnabled: null,
      };
    }
    return out;
  }
}
