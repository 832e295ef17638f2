// MessageQueue for the local stack, behaving like the SQS standard queue + DLQ the AWS stack uses:
// batches of at most 10 SQS-shaped records go to the ingest handler; records it reports as failed
// (or the whole batch, if it throws) become visible again after the delay ingest asked for (its
// backoff, as ChangeMessageVisibility does in AWS) or the default one; past the receive limit they
// move to a dead-letter file, and ingest may dead-letter a record at once (RedeliveryQueue).
// Accepted messages are journaled (see queue-journal.ts).

import { createHash, randomUUID } from 'node:crypto';
import { appendFile } from 'node:fs/promises';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { RedeliveryQueue } from '../lambda/ingest/redelivery.js';
import type { Clock, MessageQueue, QueuedEnvelope } from '../lambda/shared/ports.js';
import { systemClock } from '../lambda/shared/ports.js';
import type { JournaledMessage, QueueJournal } from './queue-journal.js';

export type BatchConsumer = (event: SQSEvent) => Promise<SQSBatchResponse>;

export interface LocalQueueOptions {
  readonly journal: QueueJournal;
  /** Messages the journal still owed from the last run; delivered first. */
  readonly pending?: readonly JournaledMessage[];
  readonly consumer: BatchConsumer;
  /** JSON-lines file that receives dead-lettered messages. */
  readonly deadLetterFile: string;
  /** SQS's maximum for a Lambda event source. @default 10 */
  readonly batchSize?: number;
  /** Batches delivered at the same time (the ingest function's concurrency). @default 2 */
  readonly concurrency?: number;
  /**
   * Receives before a message is dead-lettered. The local stack sizes it like AWS: enough receives for a
   * 4-hour database outage at ingest's backoff (maxReceiveCountFor(LOCAL_BACKOFF)).
   * @default 25
   */
  readonly maxReceiveCount?: number;
  /** Delay before a failed message is visible again, by receive count. @default 250 ms doubling, capped at 15 s */
  readonly backoffMs?: (receiveCount: number) => number;
  readonly clock?: Clock;
  readonly onDeadLetter?: (messageId: string, receiveCount: number) => void;
}

interface Held {
  readonly id: string;
  readonly body: string;
  readonly sentAt: number;
  receiveCount: number;
  firstReceivedAt: number | undefined;
  visibleAt: number;
  inFlight: boolean;
  /** Set when ingest asked for a delay during the current delivery. */
  deferred: boolean;
}

/** The local queue's own counters (the admin API's QueueStats reads them in local/stack.ts). */
export interface LocalQueueDepth {
  readonly messages: number;
  readonly inFlight: number;
  readonly oldestAgeMs: number;
  readonly deadLettered: number;
}

export class QueueClosedError extends Error {
  constructor() {
    super('the local queue is shutting down');
    this.name = 'QueueClosedError';
  }
}

const defaultBackoff = (receiveCount: number): number => Math.min(250 * 2 ** (receiveCount - 1), 15_000);
const QUEUE_ARN = 'arn:aws:sqs:local:000000000000:signalgate-local';

export class LocalQueue implements MessageQueue, RedeliveryQueue {
  readonly #options: LocalQueueOptions;
  readonly #clock: Clock;
  readonly #batchSize: number;
  readonly #concurrency: number;
  readonly #maxReceiveCount: number;
  readonly #backoff: (receiveCount: number) => number;
  /** Insertion order is delivery order; a failed message is re-inserted at the end. */
  readonly #messages = new Map<string, Held>();
  readonly #batches = new Set<Promise<void>>();
  #timer: NodeJS.Timeout | undefined;
  #timerAt = Number.POSITIVE_INFINITY;
  #accepting = true;
  #delivering = true;
  #deadLettered = 0;
  #emptyWaiters: (() => void)[] = [];

  constructor(options: LocalQueueOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#batchSize = Math.min(options.batchSize ?? 10, 10);
    this.#concurrency = options.concurrency ?? 2;
    this.#maxReceiveCount = options.maxReceiveCount ?? 25;
    this.#backoff = options.backoffMs ?? defaultBackoff;
    for (const message of options.pending ?? []) this.#hold(message);
    this.#pump();
  }

  async send(envelope: QueuedEnvelope): Promise<void> {
    if (!this.#accepting) throw new QueueClosedError();
    const message = { id: randomUUID(), body: JSON.stringify(envelope), sentAt: this.#clock.now() };
    await this.#options.journal.append(message);
    this.#hold(message);
    this.#pump();
  }

  /** ChangeMessageVisibility: the record of the current delivery comes back `seconds` from now. */
  async defer(receiptHandle: string, seconds: number): Promise<void> {
    const id = receiptHandle.slice(0, receiptHandle.lastIndexOf('#'));
    const m = this.#messages.get(id);
    if (!m?.inFlight || `${m.id}#${m.receiveCount}` !== receiptHandle) {
      throw new Error('receipt handle is not that of a message in flight');
    }
    m.visibleAt = this.#clock.now() + Math.min(seconds, 43_200) * 1000;
    m.deferred = true;
  }

  /** A record ingest can never store: written to the dead-letter file now; ingest then reports it done. */
  async deadLetter(record: { messageId: string; body: string; reason: string }): Promise<void> {
    const line = {
      messageId: record.messageId,
      body: record.body,
      reason: record.reason,
      receiveCount: this.#messages.get(record.messageId)?.receiveCount ?? 0,
      deadLetteredAt: new Date(this.#clock.now()).toISOString(),
    };
    await appendFile(this.#options.deadLetterFile, `${JSON.stringify(line)}\n`, { mode: 0o600 });
    this.#deadLettered++;
    this.#options.onDeadLetter?.(record.messageId, line.receiveCount);
  }

  depth(): LocalQueueDepth {
    let inFlight = 0;
    let oldest = Number.POSITIVE_INFINITY;
    for (const m of this.#messages.values()) {
      if (m.inFlight) inFlight++;
      oldest = Math.min(oldest, m.sentAt);
    }
    return {
      messages: this.#messages.size,
      inFlight,
      oldestAgeMs: this.#messages.size > 0 ? this.#clock.now() - oldest : 0,
      deadLettered: this.#deadLettered,
    };
  }

  /**
   * Stops accepting, keeps delivering until the queue is empty or `drainMs` has passed, then waits
   * (bounded) for batches in flight and journals what is left for the next start.
   * @returns how many messages were left for the next start.
   */
  async close(drainMs: number): Promise<number> {
    this.#accepting = false;
    const deadline = new Promise<void>((resolve) => setTimeout(resolve, drainMs).unref());
    if (this.#messages.size > 0) {
      await Promise.race([new Promise<void>((resolve) => this.#emptyWaiters.push(resolve)), deadline]);
    }
    this.#delivering = false;
    clearTimeout(this.#timer);
    // A batch still running may yet store its records; leaving them journaled is safe because the
    // ingest side is idempotent (a redelivery is a duplicate, never a loss).
    await Promise.race([
      Promise.allSettled([...this.#batches]),
      new Promise((r) => setTimeout(r, 2_000).unref()),
    ]);
    const left = [...this.#messages.values()].map(({ id, body, sentAt }) => ({ id, body, sentAt }));
    await this.#options.journal.close(left);
    return left.length;
  }

  #hold(message: JournaledMessage): void {
    this.#messages.set(message.id, {
      ...message,
      receiveCount: 0,
      firstReceivedAt: undefined,
      visibleAt: 0,
      inFlight: false,
      deferred: false,
    });
  }

  #pump(): void {
    if (!this.#delivering) return;
    while (this.#batches.size < this.#concurrency) {
      const now = this.#clock.now();
      const batch: Held[] = [];
      let nextVisible = Number.POSITIVE_INFINITY;
      for (const m of this.#messages.values()) {
        if (m.inFlight) continue;
        if (m.visibleAt <= now) {
          batch.push(m);
          if (batch.length === this.#batchSize) break;
        } else {
          nextVisible = Math.min(nextVisible, m.visibleAt);
        }
      }
      if (batch.length === 0) {
        this.#wakeAt(nextVisible);
        return;
      }
      const running: Promise<void> = this.#deliver(batch).finally(() => {
        this.#batches.delete(running);
        this.#pump();
      });
      this.#batches.add(running);
    }
  }

  #wakeAt(at: number): void {
    if (at === Number.POSITIVE_INFINITY || at >= this.#timerAt) return;
    clearTimeout(this.#timer);
    this.#timerAt = at;
    this.#timer = setTimeout(
      () => {
        this.#timerAt = Number.POSITIVE_INFINITY;
        this.#pump();
      },
      Math.max(0, at - this.#clock.now()),
    );
  }

  async #deliver(batch: Held[]): Promise<void> {
    const now = this.#clock.now();
    for (const m of batch) {
      m.inFlight = true;
      m.receiveCount++;
      m.firstReceivedAt ??= now;
    }
    let failed: Set<string>;
    try {
      const response = await this.#options.consumer({ Records: batch.map((m) => this.#record(m)) });
      failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
      // SQS treats an identifier that names no record of the batch as a failure of the whole batch.
      if ([...failed].some((id) => !batch.some((m) => m.id === id))) failed = new Set(batch.map((m) => m.id));
    } catch {
      failed = new Set(batch.map((m) => m.id));
    }
    const finished: string[] = [];
    for (const m of batch) {
      m.inFlight = false;
      if (!failed.has(m.id)) {
        this.#messages.delete(m.id);
        finished.push(m.id);
      } else if (m.receiveCount >= this.#maxReceiveCount && (await this.#deadLetter(m))) {
        this.#messages.delete(m.id);
        finished.push(m.id);
      } else {
        if (!m.deferred) m.visibleAt = this.#clock.now() + this.#backoff(m.receiveCount);
        this.#messages.delete(m.id);
        this.#messages.set(m.id, m);
      }
      m.deferred = false;
    }
    // Journaled as done only after the decision; a crash before this line means a redelivery.
    await this.#options.journal.done(finished).catch(() => undefined);
    if (this.#messages.size === 0) for (const resolve of this.#emptyWaiters.splice(0)) resolve();
  }

  /** False when the dead-letter file cannot be written: the message then stays in the queue. */
  async #deadLetter(m: Held): Promise<boolean> {
    const line = {
      messageId: m.id,
      body: m.body,
      receiveCount: m.receiveCount,
      deadLetteredAt: new Date(this.#clock.now()).toISOString(),
    };
    try {
      await appendFile(this.#options.deadLetterFile, `${JSON.stringify(line)}\n`, { mode: 0o600 });
    } catch {
      return false;
    }
    this.#deadLettered++;
    this.#options.onDeadLetter?.(m.id, m.receiveCount);
    return true;
  }

  #record(m: Held): SQSRecord {
    return {
      messageId: m.id,
      receiptHandle: `${m.id}#${m.receiveCount}`,
      body: m.body,
      attributes: {
        ApproximateReceiveCount: String(m.receiveCount),
        SentTimestamp: String(m.sentAt),
        SenderId: 'signalgate-local',
        ApproximateFirstReceiveTimestamp: String(m.firstReceivedAt ?? m.sentAt),
      },
      messageAttributes: {},
      md5OfBody: createHash('md5').update(m.body).digest('hex'),
      eventSource: 'aws:sqs',
      eventSourceARN: QUEUE_ARN,
      awsRegion: 'local',
    };
  }
}
