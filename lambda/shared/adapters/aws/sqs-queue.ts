// MessageQueue over SQS: one SendMessage per webhook, answered only once SQS has stored it.

import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { MessageQueue, QueuedEnvelope } from '../../ports.js';

export class SqsQueue implements MessageQueue {
  readonly #client: Pick<SQSClient, 'send'>;
  readonly #queueUrl: string;

  constructor(client: Pick<SQSClient, 'send'>, queueUrl: string) {
    this.#client = client;
    this.#queueUrl = queueUrl;
  }

  async send(envelope: QueuedEnvelope): Promise<void> {
    const out = await this.#client.send(
      new SendMessageCommand({
        QueueUrl: this.#queueUrl,
        MessageBody: JSON.stringify(envelope),
        MessageAttributes: { kind: { DataType: 'String', StringValue: envelope.kind } },
      }),
    );
    if (!out.MessageId) throw new Error('SQS SendMessage returned no MessageId');
  }
}
