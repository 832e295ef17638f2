// The rotation store's two calls added for the pending-age bound and the completion mark, on the SDK client.
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { SecretsManagerRotationStore } from '../../../lambda/shared/rotation/secrets-manager-rotation-store.js';

const SECRET =
  'arn:aws:secretsmanager:eu-west-1:111111111111:secret:signalgate/test/admin-credential/ops-AbCdEf';

describe('SecretsManagerRotationStore', () => {
  it("reads a version's creation time from GetSecretValue's CreatedDate, none for a version without a value", async () => {
    const sm = mockClient(SecretsManagerClient);
    sm.on(GetSecretValueCommand, { SecretId: SECRET, VersionId: 'v1' }).resolves({
      CreatedDate: new Date('2026-11-30T10:00:00Z'),
      SecretString: '{"token":"x"}',
    });
    sm.on(GetSecretValueCommand, { SecretId: SECRET, VersionId: 'v2' }).rejects(
      Object.assign(new Error('no value'), { name: 'ResourceNotFoundException' }),
    );
    const store = new SecretsManagerRotationStore(new SecretsManagerClient({}));
    expect(await store.createdAt(SECRET, 'v1')).toBe(Date.UTC(2026, 10, 30, 10));
    expect(await store.createdAt(SECRET, 'v2')).toBeUndefined();
  });

  it('removes AWSPENDING from the version that holds it, and calls nothing when it does not', async () => {
    const sm = mockClient(SecretsManagerClient);
    sm.on(DescribeSecretCommand).resolves({
      RotationEnabled: true,
      VersionIdsToStages: { v1: ['AWSCURRENT', 'AWSPENDING'], v0: ['AWSPREVIOUS'] },
    });
    sm.on(UpdateSecretVersionStageCommand).resolves({});
    const store = new SecretsManagerRotationStore(new SecretsManagerClient({}));
    await store.clearPending(SECRET, 'v1');
    await store.clearPending(SECRET, 'v0');
    expect(sm.commandCalls(UpdateSecretVersionStageCommand).map((c) => c.args[0].input)).toEqual([
      { SecretId: SECRET, VersionStage: 'AWSPENDING', RemoveFromVersionId: 'v1' },
    ]);
  });
});
