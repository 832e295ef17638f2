// A KeyProvider wrapper that counts calls the way a KMS bill would (tests and the bench share it).

import type { DataKey, KeyProvider } from '../../lambda/shared/ports.js';

export class CountingKeyProvider implements KeyProvider {
  generated = 0;
  decrypted = 0;
  constructor(private readonly inner: KeyProvider) {}
  async generateDataKey(): Promise<DataKey> {
    this.generated++;
    return this.inner.generateDataKey();
  }
  async decryptDataKey(encrypted: Buffer): Promise<Buffer> {
    this.decrypted++;
    return this.inner.decryptDataKey(encrypted);
  }
}
