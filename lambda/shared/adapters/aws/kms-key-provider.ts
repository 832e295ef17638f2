// KeyProvider backed by a customer managed KMS key: GenerateDataKey (AES_256) and Decrypt.

import { DecryptCommand, GenerateDataKeyCommand, type KMSClient } from '@aws-sdk/client-kms';
import { kmsEncryptionContext } from '../../kms-encryption-context.js';
import type { DataKey, KeyProvider } from '../../ports.js';

export { kmsEncryptionContext };

export class KmsKeyProvider implements KeyProvider {
  readonly #client: Pick<KMSClient, 'send'>;
  readonly #keyId: string;
  readonly #context: Record<string, string>;

  constructor(client: Pick<KMSClient, 'send'>, keyId: string, environment: string) {
    this.#client = client;
    this.#keyId = keyId;
    this.#context = kmsEncryptionContext(environment);
  }

  async generateDataKey(): Promise<DataKey> {
    const out = await this.#client.send(
      new GenerateDataKeyCommand({
        KeyId: this.#keyId,
        KeySpec: 'AES_256',
        EncryptionContext: this.#context,
      }),
    );
    if (!out.Plaintext || !out.CiphertextBlob) throw new Error('KMS GenerateDataKey returned no key');
    return { plaintext: Buffer.from(out.Plaintext), encrypted: Buffer.from(out.CiphertextBlob) };
  }

  async decryptDataKey(encrypted: Buffer): Promise<Buffer> {
    const out = await this.#client.send(
      new DecryptCommand({ KeyId: this.#keyId, CiphertextBlob: encrypted, EncryptionContext: this.#context }),
    );
    if (!out.Plaintext) throw new Error('KMS Decrypt returned no key');
    return Buffer.from(out.Plaintext);
  }
}
