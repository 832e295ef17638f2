// Append-only journal of the local queue, so an accepted message survives a crash or restart: a
// message is journaled before send() resolves (the webhook answers 200 only after that), and
// journaled as done once stored or dead-lettered. On start the undone ones are delivered again.
//
// Writes reach the kernel before send() resolves but are not fsynced: a killed process loses
// nothing, a power cut may lose the last moments. That matches a development tool; SQS is the
// durable queue in AWS.

import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';

export interface JournaledMessage {
  readonly id: string;
  readonly body: string;
  readonly sentAt: number;
}

type Entry = { op: 'send'; id: string; body: string; sentAt: number } | { op: 'done'; id: string };

function parseLine(line: string): Entry | undefined {
  try {
    const entry = JSON.parse(line) as Entry;
    return entry.op === 'send' || entry.op === 'done' ? entry : undefined;
  } catch {
    return undefined; // a line torn by a crash mid-write: its send() never resolved
  }
}

export class QueueJournal {
  readonly #file: string;
  #stream: WriteStream | undefined;

  private constructor(file: string) {
    this.#file = file;
  }

  /** Opens the journal and returns the messages it still owes, oldest first, compacting the file. */
  static async open(file: string): Promise<{ journal: QueueJournal; pending: JournaledMessage[] }> {
    const raw = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return '';
      throw error;
    });
    const pending = new Map<string, JournaledMessage>();
    for (const line of raw.split('\n')) {
      const entry = line ? parseLine(line) : undefined;
      if (entry?.op === 'send')
        pending.set(entry.id, { id: entry.id, body: entry.body, sentAt: entry.sentAt });
      else if (entry?.op === 'done') pending.delete(entry.id);
    }
    const journal = new QueueJournal(file);
    await journal.#rewrite([...pending.values()]);
    journal.#stream = createWriteStream(file, { flags: 'a', mode: 0o600 });
    return { journal, pending: [...pending.values()] };
  }

  /** Resolves once the message is handed to the kernel. */
  append(message: JournaledMessage): Promise<void> {
    return this.#write(`${JSON.stringify({ op: 'send', ...message })}\n`);
  }

  done(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return Promise.resolve();
    return this.#write(ids.map((id) => `${JSON.stringify({ op: 'done', id })}\n`).join(''));
  }

  /** Closes the journal, leaving exactly the given messages in it for the next start. */
  async close(remaining: readonly JournaledMessage[]): Promise<void> {
    const stream = this.#stream;
    this.#stream = undefined;
    if (stream) {
      stream.end();
      await once(stream, 'close');
    }
    await this.#rewrite(remaining);
  }

  #write(data: string): Promise<void> {
    const stream = this.#stream;
    if (!stream) return Promise.reject(new Error('queue journal is closed'));
    return new Promise((resolve, reject) =>
      stream.write(data, (error) => (error ? reject(error) : resolve())),
    );
  }

  async #rewrite(messages: readonly JournaledMessage[]): Promise<void> {
    // Write aside and rename, so a crash while compacting leaves the old journal intact.
    const next = `${this.#file}.next`;
    await writeFile(next, messages.map((m) => `${JSON.stringify({ op: 'send', ...m })}\n`).join(''), {
      mode: 0o600,
    });
    await rename(next, this.#file);
  }
}
