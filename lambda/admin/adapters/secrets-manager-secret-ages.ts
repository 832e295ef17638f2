// SecretAges over Secrets Manager DescribeSecret: dates and rotation state only, so the admin function
// needs no right to read the values of the secrets it reports on (Twilio tokens, database password).

import { DescribeSecretCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SecretAge, SecretAges } from '../ports.js';

export class SecretsManagerSecretAges implements SecretAges {
  readonly #client: Pick<SecretsManagerClient, 'send'>;
  readonly #secrets: Readonly<Record<string, string>>;

  /** @param secrets label (e.g. `adminToken`) → secret ARN */
  constructor(client: Pick<SecretsManagerClient, 'send'>, secrets: Readonly<Record<string, string>>) {
    this.#client = client;
    this.#secrets = secrets;
  }

  async ages(now: number): Promise<Record<string, SecretAge>> {
    const entries = await Promise.all(
      Object.entries(this.#secrets).map(async ([label, arn]): Promise<[string, SecretAge]> => {
        const out = await this.#client.send(new DescribeSecretCommand({ SecretId: arn }));
        // The current version was written at the last rotation, or at creation if it never rotated.
        const since = out.LastRotatedDate ?? out.CreatedDate;
        return [
          label,
          {
            currentAgeSeconds: since ? Math.max(0, Math.floor((now - since.getTime()) / 1000)) : null,
            rotationEnabled: out.RotationEnabled ?? false,
          },
        ];
      }),
    );
    return Object.fromEntries(entries);
  }
}
