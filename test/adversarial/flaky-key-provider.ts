// A KeyProvider that fails on demand, as KMS does when throttled, unreachable or the key is disabled.

import type { DataKey, KeyProvider } from '../../lambda/shared/ports.js';

export class KeyServiceUnavailableError extends Error {
  constructor() {
    super('key service unavailable');
    this.name = 'KeyServiceUnavailableError';
  }
}

export class FlakyKeyProvider implements KeyProvider {
  /** Set to make every call fail. */
  failing = false;
  generated = 0;
  constructor(private readonly inner: KeyProvider) {}
  async generateDataKey(): Promise<DataKey> {
    if (this.failing) throw new KeyServiceUnavailableError();
    this.generated++;
    return this.inner.generateDataKey();
  }
  async decryptDataKey(encrypted: Buffer): Promise<Buffer> {
    if (this.failing) throw new KeyServiceUnavailableError();
    return this.inner.decryptDataKey(encrypted);
  }
}
