// SecretSource over Secrets Manager: reads AWSCURRENT and AWSPREVIOUS as two calls, because one
// GetSecretValue returns one version stage.

import {
  GetSecretValueCommand,
  type GetSecretValueCommandOutput,
  ResourceNotFoundException,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { SecretSource, SecretVersions } from '../../ports.js';

export class SecretsManagerSource implements SecretSource {
  readonly #client: Pick<SecretsManagerClient, 'send'>;

  constructor(client: Pick<SecretsManagerClient, 'send'>) {
    this.#client = client;
  }

  async getVersions(secretId: string): Promise<SecretVersions> {
    const [current, previous] = await Promise.all([
      this.#client.send(new GetSecretValueCommand({ SecretId: secretId, VersionStage: 'AWSCURRENT' })),
      this.#previous(secretId),
    ]);
    if (current.SecretString === undefined) throw new Error('secret has no string value');
    return {
      current: current.SecretString,
      ...(previous?.SecretString !== undefined ? { previous: previous.SecretString } : {}),
      ...(current.CreatedDate ? { currentCreatedAt: current.CreatedDate.getTime() } : {}),
      // GetSecretValue answers every staging label of the version it returns.
      ...(current.VersionStages?.includes('AWSPENDING') ? { rotationUnfinished: true as const } : {}),
    };
  }

  async #previous(secretId: string): Promise<GetSecretValueCommandOutput | undefined> {
    try {
      return await this.#client.send(
        new GetSecretValueCommand({ SecretId: secretId, VersionStage: 'AWSPREVIOUS' }),
      );
    } catch (error) {
      // A secret that was never rotated has no AWSPREVIOUS version.
      if (
        error instanceof ResourceNotFoundException ||
        (error as { name?: string }).name === 'ResourceNotFoundException'
      ) {
        return undefined;
      }
      throw error;
    }
  }
}
