// RedeliveryQueue over SQS: ChangeMessageVisibility for the backoff, SendMessage to the dead-letter
// queue for a record that can never be stored (ingest then reports it done, so Lambda deletes it).

import { ChangeMessageVisibilityCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { RedeliveryQueue } from '../redelivery.js';

export class SqsRedeliveryQueue implements RedeliveryQueue {
  readonly #client: Pick<SQSClient, 'send'>;
  readonly #queueUrl: string;
  readonly #deadLetterQueueUrl: string;

  constructor(client: Pick<SQSClient, 'send'>, urls: { queue: string; deadLetterQueue: string }) {
    this.#client = client;
    this.#queueUrl = urls.queue;
    this.#deadLetterQueueUrl = urls.deadLetterQueue;
  }

  async defer(receiptHandle: string, seconds: number): Promise<void> {
    // SQS takes whole seconds, 0-43,200; a fraction rounds up so a backoff is never shortened.
    await this.#client.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: this.#queueUrl,
        ReceiptHandle: receiptHandle,
        VisibilityTimeout: Math.min(Math.ceil(seconds), 43_200),
      }),
    );
  }

  async deadLetter(record: { messageId: string; body: string; reason: string }): Promise<void> {
    const out = await this.#client.send(
      new SendMessageCommand({
        QueueUrl: this.#deadLetterQueueUrl,
        MessageBody: record.body,
        MessageAttributes: {
          sourceMessageId: { DataType: 'String', StringValue: record.messageId },
          reason: { DataType: 'String', StringValue: record.reason },
        },
      }),
    );
    if (!out.MessageId) throw new Error('SQS SendMessage returned no MessageId');
  }
}
