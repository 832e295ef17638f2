// The local queue keeps the AWS rules (issue 10): a record ingest defers comes back after the delay it
// asked for, a record ingest dead-letters leaves at once with its reason, and the receive budget is the
// one sized for a 4-hour outage.

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { SQSEvent } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeIngestHandler } from '../../../lambda/ingest/make-ingest-handler.js';
import { LOCAL_BACKOFF } from '../../../lambda/ingest/redelivery.js';
import type { Queryable } from '../../../lambda/shared/db/pool.js';
import { createLogger } from '../../../lambda/shared/logger.js';
import { createEmfMetrics } from '../../../lambda/shared/metrics.js';
import { LocalQueue } from '../../../local/local-queue.js';
import { QueueJournal } from '../../../local/queue-journal.js';
import { inboundParams, signedWebhookEvent } from '../../helpers/api-events.js';
import { webhookFixture } from '../../helpers/webhook-fixture.js';

class ConnectionRefusedError extends Error {
  readonly code = 'ECONNREFUSED';
  constructor() {
    super('connect ECONNREFUSED 127.0.0.1:5432');
    this.name = 'ConnectionRefusedError';
  }
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'signalgate-local-queue-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const until = async (condition: () => boolean, ms = 5_000) => {
  const deadline = Date.now() + ms;
  while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
};

describe('LocalQueue with the ingest handler', () => {
  it('moves a record ingest can never store to the dead-letter file on its first receive, with the reason', async () => {
    const { journal } = await QueueJournal.open(path.join(dir, 'journal'));
    const deadLetterFile = path.join(dir, 'dead-letters.jsonl');
    const db: Queryable = { query: (async () => ({ rows: [] })) as unknown as Queryable['query'] };
    const queue: LocalQueue = new LocalQueue({
      journal,
      deadLetterFile,
      consumer: makeIngestHandler(async () => ({
        db,
        metrics: createEmfMetrics('test', () => {}),
        logger: createLogger('signalgate-ingest', () => {}),
        redelivery: { queue, backoff: LOCAL_BACKOFF },
      })),
    });
    // A body that is no envelope, as a corrupted journal line or a bad redrive would deliver.
    await queue.send({ not: 'an envelope' } as never);
    await until(() => queue.depth().messages === 0);
    const lines = (await readFile(deadLetterFile, 'utf8')).trim().split('\n');
    expect(lines.map((l) => JSON.parse(l)).map((l) => [l.reason, l.receiveCount])).toEqual([
      ['not a valid envelope', 1],
    ]);
    expect(queue.depth().deadLettered).toBe(1);
    await queue.close(100);
  });

  it('brings a record back after the backoff ingest asked for while the database is down, then stores it', async () => {
    const { journal } = await QueueJournal.open(path.join(dir, 'journal'));
    let down = true;
    const stored: string[] = [];
    const db: Queryable = {
      query: (async (_text: string, values: unknown[][]) => {
        if (down) throw new ConnectionRefusedError();
        stored.push(...(values[0] as string[]));
        return { rows: (values[0] as string[]).map((message_sid) => ({ message_sid })) };
      }) as unknown as Queryable['query'],
    };
    const receives: number[] = [];
    const ingest = makeIngestHandler(async () => ({
      db,
      metrics: createEmfMetrics('test', () => {}),
      logger: createLogger('signalgate-ingest', () => {}),
      redelivery: { queue, backoff: { baseSeconds: 0.2, capSeconds: 0.2 } },
    }));
    const queue: LocalQueue = new LocalQueue({
      journal,
      deadLetterFile: path.join(dir, 'dead-letters.jsonl'),
      // The default backoff is far longer: only the delay ingest asked for can bring it back in time.
      backoffMs: () => 60_000,
      consumer: async (event: SQSEvent) => {
        receives.push(Number(event.Records[0]?.attributes.ApproximateReceiveCount));
        return ingest(event);
      },
    });
    const web = webhookFixture();
    await web.handler(signedWebhookEvent({ token: web.token, params: inboundParams() }));
    const envelope = web.queue.sent[0];
    if (!envelope) throw new Error('the webhook queued nothing');
    await queue.send(envelope);
    await until(() => receives.length >= 2);
    down = false;
    await until(() => stored.length === 1);
    expect(stored).toEqual([envelope.messageSid]);
    expect(receives.length).toBeGreaterThanOrEqual(3);
    expect(queue.depth().deadLettered).toBe(0);
    await queue.close(100);
  });
});
