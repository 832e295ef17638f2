// SecretSource over Secrets Manager's JSON 1.1 API through AwsJsonClient: the SDK-free twin of
// SecretsManagerSource (AWSCURRENT and AWSPREVIOUS as two calls; one GetSecretValue returns one stage).

import type { SecretSource, SecretVersions } from '../../ports.js';
import type { AwsJsonClient } from './aws-json-client.js';
import { AwsServiceError } from './aws-service-error.js';

export const SECRETS_MANAGER_PROTOCOL = {
  service: 'secretsmanager',
  jsonVersion: '1.1',
  targetPrefix: 'secretsmanager',
} as const;

export class SecretsManagerHttpSource implements SecretSource {
  readonly #client: Pick<AwsJsonClient, 'call'>;

  constructor(client: Pick<AwsJsonClient, 'call'>) {
    this.#client = client;
  }

  async getVersions(secretId: string): Promise<SecretVersions> {
    const [current, previous] = await Promise.all([
      this.#client.call('GetSecretValue', { SecretId: secretId, VersionStage: 'AWSCURRENT' }),
      this.#previous(secretId),
    ]);
    if (typeof current.SecretString !== 'string') throw new Error('secret has no string value');
    return {
      current: current.SecretString,
      ...(typeof previous?.SecretString === 'string' ? { previous: previous.SecretString } : {}),
      // Epoch seconds (fractional) in the JSON protocol; rounded to ms as the SDK's parseEpochTimestamp does.
      ...(typeof current.CreatedDate === 'number'
        ? { currentCreatedAt: Math.round(current.CreatedDate * 1000) }
        : {}),
      // GetSecretValue answers every staging label of the version it returns.
      ...(Array.isArray(current.VersionStages) && current.VersionStages.includes('AWSPENDING')
        ? { rotationUnfinished: true as const }
        : {}),
    };
  }

  async #previous(secretId: string): Promise<Record<string, unknown> | undefined> {
    try {
      return await this.#client.call('GetSecretValue', { SecretId: secretId, VersionStage: 'AWSPREVIOUS' });
    } catch (error) {
      // A secret that was never rotated has no AWSPREVIOUS version.
      if (error instanceof AwsServiceError && error.type === 'ResourceNotFoundException') return undefined;
      throw error;
    }
  }
}
