// MessageQueue kept in memory, for unit tests: records what was sent and can be told to fail.

import type { MessageQueue, QueuedEnvelope } from '../../ports.js';

export class MemoryQueue implements MessageQueue {
  readonly sent: QueuedEnvelope[] = [];
  /** Set to make send() fail, as an unreachable SQS would. */
  failing = false;

  async send(envelope: QueuedEnvelope): Promise<void> {
    if (this.failing) throw new Error('queue unavailable');
    this.sent.push(envelope);
  }
}
