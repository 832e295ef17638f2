// MessageQueue over SQS's JSON 1.0 API through AwsJsonClient: the SDK-free twin of SqsQueue.

import { createHash } from 'node:crypto';
import type { MessageQueue, QueuedEnvelope } from '../../ports.js';
import type { AwsJsonClient } from './aws-json-client.js';

export const SQS_PROTOCOL = { service: 'sqs', jsonVersion: '1.0', targetPrefix: 'AmazonSQS' } as const;

export class SqsHttpQueue implements MessageQueue {
  readonly #client: Pick<AwsJsonClient, 'call'>;
  readonly #queueUrl: string;

  constructor(client: Pick<AwsJsonClient, 'call'>, queueUrl: string) {
    this.#client = client;
    this.#queueUrl = queueUrl;
  }

  async send(envelope: QueuedEnvelope): Promise<void> {
    const body = JSON.stringify(envelope);
    const out = await this.#client.call('SendMessage', {
      QueueUrl: this.#queueUrl,
      MessageBody: body,
      MessageAttributes: { kind: { DataType: 'String', StringValue: envelope.kind } },
    });
    if (typeof out.MessageId !== 'string') throw new Error('SQS SendMessage returned no MessageId');
    // SQS's MD5 of what it stored, checked as the SDK's SQS client checks it on every SendMessage
    // (@aws-sdk/middleware-sdk-sqs, on by default), so both SQS adapters refuse a corrupted send alike.
    if (out.MD5OfMessageBody !== createHash('md5').update(body).digest('hex'))
      throw new Error('SQS SendMessage returned a different MD5 of the message body');
  }
}
