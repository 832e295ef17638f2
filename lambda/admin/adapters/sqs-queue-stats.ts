// QueueStats over SQS GetQueueAttributes (depth and in-flight of the queue and its DLQ). SQS reports
// the age of the oldest message only as the CloudWatch metric ApproximateAgeOfOldestMessage, so that
// comes from an optional reader (CloudWatch in AWS); without one it is null rather than guessed.

import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { QueueDepth, QueueStats } from '../ports.js';

export interface SqsQueueStatsOptions {
  readonly queueUrl: string;
  readonly deadLetterQueueUrl?: string;
  /** Seconds since the oldest waiting message was sent, e.g. from CloudWatch; null when unknown. */
  readonly oldestAgeSeconds?: () => Promise<number | null>;
}

export class SqsQueueStats implements QueueStats {
  readonly #client: Pick<SQSClient, 'send'>;
  readonly #options: SqsQueueStatsOptions;

  constructor(client: Pick<SQSClient, 'send'>, options: SqsQueueStatsOptions) {
    this.#client = client;
    this.#options = options;
  }

  async stats(): Promise<QueueDepth> {
    const [main, dead, oldest] = await Promise.all([
      this.#attributes(this.#options.queueUrl),
      this.#options.deadLetterQueueUrl ? this.#attributes(this.#options.deadLetterQueueUrl) : undefined,
      this.#options.oldestAgeSeconds ? this.#options.oldestAgeSeconds() : null,
    ]);
    return {
      depth: main.waiting,
      inFlight: main.inFlight,
      oldestAgeSeconds: oldest,
      deadLetterDepth: dead ? dead.waiting + dead.inFlight : null,
    };
  }

  async #attributes(queueUrl: string): Promise<{ waiting: number; inFlight: number }> {
    const out = await this.#client.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    return {
      waiting: Number(out.Attributes?.ApproximateNumberOfMessages ?? 0),
      inFlight: Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0),
    };
  }
}
