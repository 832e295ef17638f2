// QueueStats from a function the local stack supplies (its in-process queue knows depth and age).

import type { QueueDepth, QueueStats } from '../ports.js';

export class FunctionQueueStats implements QueueStats {
  readonly #read: () => QueueDepth | Promise<QueueDepth>;

  constructor(read: () => QueueDepth | Promise<QueueDepth>) {
    this.#read = read;
  }

  async stats(): Promise<QueueDepth> {
    return this.#read();
  }
}
