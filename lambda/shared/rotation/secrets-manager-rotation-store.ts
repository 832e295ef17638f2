// RotationSecretStore over Secrets Manager: DescribeSecret, GetSecretValue, PutSecretValue and
// UpdateSecretVersionStage, the four calls (and IAM actions) a rotation function needs.

import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  type SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import {
  type RotationSecretStore,
  type SecretDescription,
  Stage,
  type VersionSelector,
} from './rotation-store.js';

export class SecretsManagerRotationStore implements RotationSecretStore {
  readonly #client: Pick<SecretsManagerClient, 'send'>;

  constructor(client: Pick<SecretsManagerClient, 'send'>) {
    this.#client = client;
  }

  async describe(secretId: string): Promise<SecretDescription> {
    const out = await this.#client.send(new DescribeSecretCommand({ SecretId: secretId }));
    return { rotationEnabled: out.RotationEnabled === true, versions: out.VersionIdsToStages ?? {} };
  }

  async getValue(secretId: string, selector: VersionSelector): Promise<string | undefined> {
    try {
      const out = await this.#client.send(
        new GetSecretValueCommand({
          SecretId: secretId,
          ...('versionId' in selector ? { VersionId: selector.versionId } : {}),
          ...(selector.stage !== undefined ? { VersionStage: selector.stage } : {}),
        }),
      );
      return out.SecretString;
    } catch (error) {
      // A version Secrets Manager created for the rotation has no value until createSecret puts one.
      if ((error as { name?: string }).name === 'ResourceNotFoundException') return undefined;
      throw error;
    }
  }

  async putPending(secretId: string, versionId: string, value: string): Promise<void> {
    await this.#client.send(
      new PutSecretValueCommand({
        SecretId: secretId,
        ClientRequestToken: versionId,
        SecretString: value,
        VersionStages: [Stage.pending],
      }),
    );
  }

  async createdAt(secretId: string, versionId: string): Promise<number | undefined> {
    try {
      const out = await this.#client.send(
        new GetSecretValueCommand({ SecretId: secretId, VersionId: versionId }),
      );
      return out.CreatedDate?.getTime();
    } catch (error) {
      if ((error as { name?: string }).name === 'ResourceNotFoundException') return undefined;
      throw error;
    }
  }

  async clearPending(secretId: string, versionId: string): Promise<void> {
    const described = await this.describe(secretId);
    if (!described.versions[versionId]?.includes(Stage.pending)) return;
    await this.#client.send(
      new UpdateSecretVersionStageCommand({
        SecretId: secretId,
        VersionStage: Stage.pending,
        RemoveFromVersionId: versionId,
      }),
    );
  }

  async promote(secretId: string, toVersionId: string, fromVersionId: string): Promise<void> {
    await this.#client.send(
      new UpdateSecretVersionStageCommand({
        SecretId: secretId,
        VersionStage: Stage.current,
        MoveToVersionId: toVersionId,
        RemoveFromVersionId: fromVersionId,
      }),
    );
  }
}
