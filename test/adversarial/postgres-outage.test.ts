// Fault injection on the local stack (ARCHITECTURE §1 "storage-first"): its PostgreSQL, a separate
// embedded server reached through DATABASE_URL, is stopped while signed traffic flows and started
// again. The webhook keeps answering 200, the queue holds, and after recovery every accepted
// message is stored: sent-and-accepted MessageSids against stored ones, 0 lost.

import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Route } from '../../lambda/shared/names.js';
import {
  freePort,
  generatePostgresPassword,
  type RunningPostgres,
  startEmbeddedPostgres,
} from '../../local/embedded-postgres.js';
import { inboundParams } from '../helpers/api-events.js';
import { processAlive } from '../helpers/local-stack.js';
import { printReportAfterAll, reportRow } from './adversarial-report.js';
import { scale } from './adversarial-scale.js';
import { inPool } from './raw-http.js';
import { leaksIn } from './response-leaks.js';
import { type RunningStack, startRunningStack } from './running-stack.js';

printReportAfterAll('Postgres outage (local stack)');

/** Webhook requests in flight at once (Twilio's own fan-out to one endpoint is modest). */
const CONCURRENCY = 5;
/** How long the queue may take to drain after the restart: its backoff is capped at 15 s. */
const DRAIN_MS = 90_000;

let dir: string;
let pgPort: number;
let server: RunningPostgres | undefined;
const postmasters: number[] = [];
let stack: RunningStack | undefined;

/** One password for every restart of this test's cluster. */
const pgPassword = generatePostgresPassword();

async function startServer(): Promise<void> {
  server = await startEmbeddedPostgres({ dataDir: path.join(dir, 'pg'), port: pgPort, password: pgPassword });
  expect(server.pid).toBeDefined();
  postmasters.push(server.pid as number);
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'signalgate-outage-'));
  pgPort = await freePort();
  await startServer();
  stack = await startRunningStack((server as RunningPostgres).url);
});

afterAll(async () => {
  const pid = stack?.process.child.pid;
  const code = await stack?.stop();
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
  expect(code).toBe(0);
  expect(pid).toBeDefined();
  expect(processAlive(pid as number)).toBe(false);
  expect(postmasters).toHaveLength(2); // the first server and the one restarted after the outage
  // No PostgreSQL left behind, neither the stopped one nor the restarted one.
  for (const postmaster of postmasters) expect(processAlive(postmaster)).toBe(false);
});

async function sendSigned(s: RunningStack, count: number): Promise<{ accepted: string[]; other: number[] }> {
  const accepted: string[] = [];
  const other: number[] = [];
  await inPool(
    Array.from({ length: count }, () => inboundParams()),
    CONCURRENCY,
    async (params) => {
      const response = await fetch(`${s.url}${Route.messages}`, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/x-www-form-urlencoded',
          'X-Twilio-Signature': getExpectedTwilioSignature(s.twilioToken, s.url + Route.messages, params),
          'I-Twilio-Idempotency-Token': randomBytes(8).toString('hex'),
        },
        body: new URLSearchParams(params).toString(),
      });
      await response.arrayBuffer();
      if (response.status === 200) accepted.push(params.MessageSid as string);
      else other.push(response.status);
    },
  );
  return { accepted, other };
}

describe('PostgreSQL stopped under traffic', () => {
  it(
    'keeps answering 200, holds the queue, and stores every accepted message after recovery',
    async () => {
      const s = stack as RunningStack;
      const row = reportRow(`Postgres down ${scale.outageMs / 1000} s under traffic`);
      const third = Math.ceil(scale.outageMessages / 3);
      const accepted: string[] = [];
      const refused: number[] = [];
      const take = (r: { accepted: string[]; other: number[] }) => {
        accepted.push(...r.accepted);
        refused.push(...r.other);
      };

      take(await sendSigned(s, third));

      const stoppedPid = server?.pid;
      await server?.stop();
      server = undefined;
      if (stoppedPid !== undefined) expect(processAlive(stoppedPid)).toBe(false);
      const outageEnds = Date.now() + scale.outageMs;
      // Traffic spread over the outage, in bounded slices.
      const slices = 5;
      for (let i = 0; i < slices; i++) {
        take(await sendSigned(s, Math.ceil(third / slices)));
        const wait = Math.max(0, (outageEnds - Date.now()) / (slices - i));
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
      // During the outage: health is public and fine; admin health answers without detail of the fault.
      expect((await fetch(`${s.url}${Route.health}`)).status).toBe(200);
      const adminHealth = await fetch(`${s.url}/admin/health`, {
        headers: { 'X-Admin-Token': s.adminToken },
      });
      const adminBody = await adminHealth.text();
      expect(
        leaksIn({ status: adminHealth.status, headers: '', body: adminBody }, { secrets: await s.secrets() }),
      ).toEqual([]);
      // The queue holds what the database cannot take, and admin health says the database is down.
      const health = JSON.parse(adminBody) as {
        database: { reachable: boolean };
        queue: { depth: number; inFlight: number };
      };
      expect(health.database.reachable).toBe(false);
      const held = health.queue.depth + health.queue.inFlight;
      expect(held).toBeGreaterThan(0);
      row.note = `admin health in outage: ${adminHealth.status}, queue held ${held}`;

      await startServer();
      take(await sendSigned(s, third));
      row.cases = accepted.length + refused.length;
      row.sent = accepted.length;

      const restarted = server as unknown as RunningPostgres;
      const db = new pg.Client(restarted.url);
      await db.connect();
      try {
        const count = async () =>
          (
            await db.query<{ n: number }>(
              'SELECT count(DISTINCT message_sid)::int AS n FROM messages WHERE message_sid = ANY($1)',
              [accepted],
            )
          ).rows[0]?.n ?? 0;
        const deadline = Date.now() + DRAIN_MS;
        let stored = await count();
        while (stored < accepted.length && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 250));
          stored = await count();
        }
        row.stored = stored;
        row.failures = refused.length + (accepted.length - stored);
        expect(refused).toEqual([]);
        expect(accepted).toHaveLength(third * 2 + Math.ceil(third / slices) * slices);
        expect(stored).toBe(accepted.length);
      } finally {
        await db.end();
      }
      const deadLetters = await readFile(path.join(s.dataDir, 'dead-letters.jsonl'), 'utf8').catch(() => '');
      expect(deadLetters).toBe('');
    },
    scale.outageMs + 150_000,
  );
});
