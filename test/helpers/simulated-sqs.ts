// A simulated SQS standard queue with a redrive policy, driven by a fake clock, and the Lambda event
// source mapping in front of it. It follows the documented semantics the backoff relies on:
// - a receive makes a message invisible for the queue's visibility timeout and counts a receive;
// - ChangeMessageVisibility (0-43,200 s, a current receipt handle of an in-flight message) restarts the
//   message's invisibility from now;
// - a message whose receive count would exceed maxReceiveCount is moved to the dead-letter queue instead
//   of being received (SQS redrive policy);
// - the event source mapping deletes the records of a batch that are not reported in batchItemFailures;
//   reported ones stay, with whatever visibility they have (ReportBatchItemFailures); if the function
//   throws, every record of the batch stays;
// - a message older than the retention period is deleted by SQS.

import { createHash, randomUUID } from 'node:crypto';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { RedeliveryQueue } from '../../lambda/ingest/redelivery.js';
import type { ManualClock } from './webhook-fixture.js';

interface Held {
  readonly id: string;
  readonly body: string;
  readonly sentAt: number;
  receiveCount: number;
  visibleAt: number;
  receiptHandle: string | undefined;
}

export class VisibilityChangeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VisibilityChangeError';
  }
}

export interface SimulatedSqsOptions {
  readonly clock: ManualClock;
  readonly visibilityTimeoutSeconds: number;
  readonly maxReceiveCount: number;
  readonly retentionSeconds: number;
  readonly batchSize: number;
}

export class SimulatedSqs implements RedeliveryQueue {
  readonly #options: SimulatedSqsOptions;
  readonly #messages = new Map<string, Held>();
  /** Dead letters: moved by the redrive policy or sent by the function. */
  readonly deadLetters: {
    id: string;
    body: string;
    receiveCount: number;
    at: number;
    by: 'redrive' | 'function';
  }[] = [];
  readonly expired: string[] = [];
  receives = 0;

  constructor(options: SimulatedSqsOptions) {
    this.#options = options;
  }

  get size(): number {
    return this.#messages.size;
  }

  send(body: string): string {
    const id = randomUUID();
    this.#messages.set(id, {
      id,
      body,
      sentAt: this.#options.clock.now(),
      receiveCount: 0,
      visibleAt: 0,
      receiptHandle: undefined,
    });
    return id;
  }

  async defer(receiptHandle: string, seconds: number): Promise<void> {
    if (!Number.isFinite(seconds) || seconds < 0 || Math.ceil(seconds) > 43_200) {
      throw new VisibilityChangeError(`VisibilityTimeout ${seconds} is outside 0-43200`);
    }
    const held = [...this.#messages.values()].find((m) => m.receiptHandle === receiptHandle);
    const now = this.#options.clock.now();
    if (!held || held.visibleAt <= now) throw new VisibilityChangeError('message not in flight');
    held.visibleAt = now + Math.ceil(seconds) * 1000;
  }

  async deadLetter(record: { messageId: string; body: string }): Promise<void> {
    const held = this.#messages.get(record.messageId);
    this.deadLetters.push({
      id: record.messageId,
      body: record.body,
      receiveCount: held?.receiveCount ?? 0,
      at: this.#options.clock.now(),
      by: 'function',
    });
  }

  /** One poll of the event source mapping: receive a batch, invoke, delete what succeeded. */
  async poll(handler: (event: SQSEvent) => Promise<SQSBatchResponse>): Promise<number> {
    const now = this.#options.clock.now();
    const batch: Held[] = [];
    for (const m of [...this.#messages.values()]) {
      if (now - m.sentAt >= this.#options.retentionSeconds * 1000) {
        this.#messages.delete(m.id);
        this.expired.push(m.id);
        continue;
      }
      if (m.visibleAt > now) continue;
      if (m.receiveCount >= this.#options.maxReceiveCount) {
        this.#messages.delete(m.id);
        this.deadLetters.push({
          id: m.id,
          body: m.body,
          receiveCount: m.receiveCount,
          at: now,
          by: 'redrive',
        });
        continue;
      }
      m.receiveCount++;
      m.receiptHandle = randomUUID();
      m.visibleAt = now + this.#options.visibilityTimeoutSeconds * 1000;
      batch.push(m);
      if (batch.length === this.#options.batchSize) break;
    }
    if (batch.length === 0) return 0;
    this.receives += batch.length;
    let failed: Set<string>;
    try {
      const response = await handler({ Records: batch.map((m) => this.#record(m)) });
      failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
    } catch {
      failed = new Set(batch.map((m) => m.id));
    }
    for (const m of batch) if (!failed.has(m.id)) this.#messages.delete(m.id);
    return batch.length;
  }

  #record(m: Held): SQSRecord {
    return {
      messageId: m.id,
      receiptHandle: m.receiptHandle as string,
      body: m.body,
      attributes: {
        ApproximateReceiveCount: String(m.receiveCount),
        SentTimestamp: String(m.sentAt),
        SenderId: 'simulated',
        ApproximateFirstReceiveTimestamp: String(m.sentAt),
      },
      messageAttributes: {},
      md5OfBody: createHash('md5').update(m.body).digest('hex'),
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:eu-west-1:123456789012:signalgate-simulated-ingest',
      awsRegion: 'eu-west-1',
    };
  }
}
