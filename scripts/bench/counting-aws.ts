// Counting stand-ins for the AWS SDK clients: each answers the commands Signalgate sends the way the
// service would, and counts every call by command name as the bill would.

import { randomBytes, randomUUID } from 'node:crypto';

interface AnyCommand {
  readonly constructor: { readonly name: string };
  readonly input: Record<string, unknown>;
}

/** What the adapters need from an SDK client: `send`. Cast at the call site to the client's own type. */
export interface FakeClient {
  send(command: unknown): Promise<unknown>;
}

export class CallCounter {
  readonly counts = new Map<string, number>();
  add(name: string): void {
    this.counts.set(name, (this.counts.get(name) ?? 0) + 1);
  }
  get(name: string): number {
    return this.counts.get(name) ?? 0;
  }
  reset(): void {
    this.counts.clear();
  }
}

function counting(counter: CallCounter, respond: (c: AnyCommand) => unknown): FakeClient {
  return {
    send: async (command) => {
      const c = command as AnyCommand;
      counter.add(c.constructor.name.replace(/Command$/, ''));
      return respond(c);
    },
  };
}

/** KMS: data keys are random; Decrypt returns the plaintext of a key this fake generated. */
export function fakeKms(counter: CallCounter): FakeClient {
  const issued = new Map<string, Uint8Array>();
  return counting(counter, (c) => {
    if (c.constructor.name === 'GenerateDataKeyCommand') {
      const plaintext = randomBytes(32);
      // A real CiphertextBlob of an AES_256 data key is ~184 bytes; the size matters for the sealed format.
      const blob = randomBytes(184);
      issued.set(blob.toString('base64'), plaintext);
      return { Plaintext: new Uint8Array(plaintext), CiphertextBlob: new Uint8Array(blob) };
    }
    if (c.constructor.name === 'DecryptCommand') {
      const blob = Buffer.from(c.input.CiphertextBlob as Uint8Array).toString('base64');
      const plaintext = issued.get(blob);
      if (!plaintext)
        throw Object.assign(new Error('invalid ciphertext'), { name: 'InvalidCiphertextException' });
      return { Plaintext: new Uint8Array(plaintext) };
    }
    throw new Error(`fake KMS: unexpected ${c.constructor.name}`);
  });
}

/** Secrets Manager: every secret has been rotated once, so AWSPREVIOUS exists (the common steady state). */
export function fakeSecretsManager(
  counter: CallCounter,
  values: Readonly<Record<string, string>>,
): FakeClient {
  const created = new Date(Date.UTC(2026, 9, 1));
  return counting(counter, (c) => {
    const id = c.input.SecretId as string;
    const value = values[id];
    if (value === undefined)
      throw Object.assign(new Error('not found'), { name: 'ResourceNotFoundException' });
    if (c.constructor.name === 'GetSecretValueCommand') return { SecretString: value, CreatedDate: created };
    if (c.constructor.name === 'DescribeSecretCommand')
      return { CreatedDate: created, LastRotatedDate: created, RotationEnabled: true };
    throw new Error(`fake Secrets Manager: unexpected ${c.constructor.name}`);
  });
}

/** SQS: keeps every sent body so the ingest side can consume exactly what the webhook queued. */
export function fakeSqs(counter: CallCounter, sent: string[]): FakeClient {
  return counting(counter, (c) => {
    if (c.constructor.name === 'SendMessageCommand') {
      sent.push(c.input.MessageBody as string);
      return { MessageId: randomUUID() };
    }
    if (c.constructor.name === 'GetQueueAttributesCommand')
      return { Attributes: { ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0' } };
    throw new Error(`fake SQS: unexpected ${c.constructor.name}`);
  });
}
