// KeyProvider for the local stack and tests: data keys wrapped with AES-256-GCM under a local key,
// standing in for KMS with the same contract (opaque wrapped key in, plaintext key out).

import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { DataKey, KeyProvider } from '../../ports.js';
import { SealedRecordError } from '../../seal.js';

const AAD = Buffer.from('signalgate/local-wrap/v1', 'utf8');

export class LocalKeyProvider implements KeyProvider {
  readonly #wrappingKey: Buffer;

  constructor(wrappingKey: Buffer) {
    if (wrappingKey.length !== 32) throw new Error('local wrapping key must be 32 bytes');
    this.#wrappingKey = wrappingKey;
  }

  async generateDataKey(): Promise<DataKey> {
    const plaintext = randomBytes(32);
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#wrappingKey, iv);
    cipher.setAAD(AAD);
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return { plaintext, encrypted: Buffer.concat([iv, body, cipher.getAuthTag()]) };
  }

  async decryptDataKey(encrypted: Buffer): Promise<Buffer> {
    if (encrypted.length !== 12 + 32 + 16)
      throw new SealedRecordError('wrapped data key has the wrong length');
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#wrappingKey, encrypted.subarray(0, 12));
      decipher.setAAD(AAD);
      decipher.setAuthTag(encrypted.subarray(44));
      return Buffer.concat([decipher.update(encrypted.subarray(12, 44)), decipher.final()]);
    } catch {
      throw new SealedRecordError('wrapped data key failed authentication');
    }
  }
}
