import { DecryptCommand, GenerateDataKeyCommand } from '@aws-sdk/client-kms';
import { GetSecretValueCommand, ResourceNotFoundException } from '@aws-sdk/client-secrets-manager';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { KmsKeyProvider } from '../../../lambda/shared/adapters/aws/kms-key-provider.js';
import { SecretsManagerSource } from '../../../lambda/shared/adapters/aws/secrets-manager-source.js';
import { SqsQueue } from '../../../lambda/shared/adapters/aws/sqs-queue.js';

/** An injected AWS SDK client: records commands and answers from a function. */
function fakeClient(answer: (command: { input: unknown; constructor: { name: string } }) => unknown) {
  const sent: { name: string; input: Record<string, unknown> }[] = [];
  return {
    sent,
    send: async (command: { input: unknown; constructor: { name: string } }) => {
      sent.push({ name: command.constructor.name, input: command.input as Record<string, unknown> });
      return answer(command);
    },
  };
}

describe('KmsKeyProvider', () => {
  it('asks KMS for an AES-256 data key under the CMK with the encryption context, and decrypts with it', async () => {
    const client = fakeClient((c) =>
      c instanceof GenerateDataKeyCommand
        ? { Plaintext: new Uint8Array(32).fill(7), CiphertextBlob: new Uint8Array([1, 2, 3]) }
        : { Plaintext: new Uint8Array(32).fill(7) },
    );
    const provider = new KmsKeyProvider(client as never, 'alias/signalgate', 'prod');
    const key = await provider.generateDataKey();
    expect(key.plaintext).toEqual(Buffer.alloc(32, 7));
    expect(await provider.decryptDataKey(key.encrypted)).toEqual(Buffer.alloc(32, 7));
    expect(client.sent[0]).toEqual({
      name: 'GenerateDataKeyCommand',
      input: {
        KeyId: 'alias/signalgate',
        KeySpec: 'AES_256',
        EncryptionContext: { app: 'signalgate', purpose: 'seal', environment: 'prod' },
      },
    });
    expect(client.sent[1]?.name).toBe(DecryptCommand.name);
    expect(client.sent[1]?.input.EncryptionContext).toEqual({
      app: 'signalgate',
      purpose: 'seal',
      environment: 'prod',
    });
  });
});

describe('SecretsManagerSource', () => {
  it('reads AWSCURRENT and AWSPREVIOUS as separate version stages', async () => {
    const created = new Date('2026-11-01T00:00:00Z');
    const client = fakeClient((c) => {
      const stage = (c.input as { VersionStage: string }).VersionStage;
      return stage === 'AWSCURRENT' ? { SecretString: 'new', CreatedDate: created } : { SecretString: 'old' };
    });
    const versions = await new SecretsManagerSource(client as never).getVersions('arn:secret');
    expect(versions).toEqual({ current: 'new', previous: 'old', currentCreatedAt: created.getTime() });
    expect(client.sent.map((s) => s.input.VersionStage).sort()).toEqual(['AWSCURRENT', 'AWSPREVIOUS']);
  });

  it('treats a missing AWSPREVIOUS as no previous version', async () => {
    const client = fakeClient((c) => {
      if ((c.input as { VersionStage: string }).VersionStage === 'AWSPREVIOUS') {
        throw new ResourceNotFoundException({ message: 'no such stage', $metadata: {} });
      }
      return { SecretString: 'only' };
    });
    expect(await new SecretsManagerSource(client as never).getVersions('arn:secret')).toEqual({
      current: 'only',
    });
  });

  it('propagates other faults so the caller answers 503', async () => {
    const client = fakeClient(() => {
      throw new Error('throttled');
    });
    await expect(new SecretsManagerSource(client as never).getVersions('arn:secret')).rejects.toThrow(
      'throttled',
    );
    expect(client.sent[0]).toMatchObject({
      name: GetSecretValueCommand.name,
      input: { SecretId: 'arn:secret' },
    });
  });
});

describe('SqsQueue', () => {
  it('sends the envelope as JSON to the configured queue and fails without a MessageId', async () => {
    const ok = fakeClient(() => ({ MessageId: 'm-1' }));
    const envelope = {
      v: 1 as const,
      kind: 'status' as const,
      messageSid: `SM${'a'.repeat(32)}`,
      accountSid: `AC${'b'.repeat(32)}`,
      status: 'sent',
      receivedAt: new Date(0).toISOString(),
      sealed: 'AAAA',
    };
    await new SqsQueue(ok as never, 'https://sqs/q').send(envelope);
    expect(ok.sent[0]?.name).toBe(SendMessageCommand.name);
    expect(JSON.parse(ok.sent[0]?.input.MessageBody as string)).toEqual(envelope);
    const broken = fakeClient(() => ({}));
    await expect(new SqsQueue(broken as never, 'https://sqs/q').send(envelope)).rejects.toThrow(
      'SQS SendMessage returned no MessageId',
    );
  });
});
