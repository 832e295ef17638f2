// KeyProvider over KMS's JSON 1.1 API through AwsJsonClient: the SDK-free twin of KmsKeyProvider.

import { kmsEncryptionContext } from '../../kms-encryption-context.js';
import type { DataKey, KeyProvider } from '../../ports.js';
import type { AwsJsonClient } from './aws-json-client.js';

/** A client for KMS: `new AwsJsonClient({ service: 'kms', jsonVersion: '1.1', targetPrefix: 'TrentService', … })`. */
export const KMS_PROTOCOL = { service: 'kms', jsonVersion: '1.1', targetPrefix: 'TrentService' } as const;

export class KmsHttpKeyProvider implements KeyProvider {
  readonly #client: Pick<AwsJsonClient, 'call'>;
  readonly #keyId: string;
  readonly #context: Record<string, string>;

  constructor(client: Pick<AwsJsonClient, 'call'>, keyId: string, environment: string) {
    this.#client = client;
    this.#keyId = keyId;
    this.#context = kmsEncryptionContext(environment);
  }

  async generateDataKey(): Promise<DataKey> {
    // Members in the KMS model's order, as the SDK serializes them (the differential test compares bytes).
    const out = await this.#client.call('GenerateDataKey', {
      KeyId: this.#keyId,
      EncryptionContext: this.#context,
      KeySpec: 'AES_256',
    });
    // Blobs travel as base64 strings in the JSON protocol.
    if (typeof out.Plaintext !== 'string' || typeof out.CiphertextBlob !== 'string')
      throw new Error('KMS GenerateDataKey returned no key');
    return {
      plaintext: Buffer.from(out.Plaintext, 'base64'),
      encrypted: Buffer.from(out.CiphertextBlob, 'base64'),
    };
  }

  async decryptDataKey(encrypted: Buffer): Promise<Buffer> {
    const out = await this.#client.call('Decrypt', {
      CiphertextBlob: encrypted.toString('base64'),
      EncryptionContext: this.#context,
      KeyId: this.#keyId,
    });
    if (typeof out.Plaintext !== 'string') throw new Error('KMS Decrypt returned no key');
    return Buffer.from(out.Plaintext, 'base64');
  }
}
