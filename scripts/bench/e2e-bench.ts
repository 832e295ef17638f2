// The local stack end to end under bounded load: started as a child process (as `npm start` would be)
// on a free loopback port with a temp data dir, driven by the simulator at concurrency 1, 10 and 50
// with genuine, duplicate, status and forged requests mixed, then stopped with SIGTERM.

import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { Table } from '../../lambda/shared/names.js';
import { localPaths } from '../../local/config.js';
import { freePort } from '../../local/embedded-postgres.js';
import { spawnLocalStack, waitForReady } from '../../test/helpers/local-stack.js';
import { randomSid } from '../simulate/payloads.js';
import { runSimulation, type SimulationReport, simulationPassed } from '../simulate/run-simulation.js';
import { fmt, printTable, type Row } from './measure.js';
import { waitUntilGone } from './processes.js';

/** Genuine messages per level: enough for a stable p99 (≥ 100 samples per percent) within seconds. */
const SWEEP = [
  { concurrency: 1, count: 400 },
  { concurrency: 10, count: 1500 },
  { concurrency: 50, count: 3000 },
] as const;
/** The local stack's bounded shutdown is 5 s for requests + 10 s for the queue; allow a margin. */
const STOP_TIMEOUT_MS = 25_000;

async function storedMessages(dataDir: string, expected: number, timeoutMs = 20_000): Promise<number> {
  const url = (await readFile(localPaths(dataDir).databaseUrl, 'utf8')).trim();
  const client = new pg.Client(url);
  await client.connect();
  try {
    // The queue drains in the background after the last 200: wait (bounded) for it to catch up.
    const deadline = Date.now() + timeoutMs;
    let n = 0;
    do {
      const result = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${Table.messages}`);
      n = Number(result.rows[0]?.n);
      if (n >= expected) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    } while (Date.now() < deadline);
    return n;
  } finally {
    await client.end();
  }
}

export async function runE2eBench(): Promise<Row[]> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'signalgate-bench-stack-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const authToken = randomBytes(16).toString('hex');
  const stack = spawnLocalStack({ port, dataDir, env: { TWILIO_AUTH_TOKEN: authToken } });
  const reports: { concurrency: number; report: SimulationReport }[] = [];
  let stored = 0;
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  let left: number[] = [];
  try {
    await waitForReady(stack, url, 60_000);
    const accountSid = randomSid('AC');
    for (const level of SWEEP) {
      const report = await runSimulation({
        targetUrl: url,
        publicUrl: url,
        authToken,
        accountSid,
        count: level.count,
        concurrency: level.concurrency,
        // Mixed as Twilio and an attacker would: 2% redeliveries, 5% status callbacks, 5% forgeries.
        duplicates: Math.round(level.count * 0.02),
        statusCallbacks: Math.round(level.count * 0.05),
        forged: Math.round(level.count * 0.05),
      });
      reports.push({ concurrency: level.concurrency, report });
    }
    stored = await storedMessages(
      dataDir,
      SWEEP.reduce((n, l) => n + l.count, 0),
    );
  } finally {
    stack.child.kill('SIGTERM');
    const timer = setTimeout(() => stack.child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    exit = await stack.exited;
    clearTimeout(timer);
    left = await waitUntilGone(dataDir);
    await rm(dataDir, { recursive: true, force: true });
  }
  const expected = SWEEP.reduce((n, l) => n + l.count, 0);
  const rows: Row[] = reports.map(({ concurrency, report: r }) => ({
    name: `concurrency ${concurrency}: ${r.sent} requests`,
    value: `${fmt(r.requestsPerSecond, 0)} req/s, p50 ${fmt(r.p50Ms, 1)} ms, p99 ${fmt(r.p99Ms, 1)} ms`,
    baseline: `genuine refused ${r.genuine.rejected + r.duplicates.rejected + r.statusCallbacks.rejected}, forged accepted ${r.forged.accepted}`,
    goal: 'all genuine 2xx, no forgery',
    met: simulationPassed(r),
  }));
  rows.push({
    name: 'unique genuine messages stored after drain',
    value: `${stored} / ${expected}`,
    goal: '0 lost',
    met: stored === expected,
  });
  rows.push({
    name: 'clean stop (SIGTERM exit code; processes left)',
    value: `${exit?.code ?? exit?.signal}; ${left.length}`,
    goal: '0; 0',
    met: exit?.code === 0 && left.length === 0,
  });
  printTable('Local stack end to end, concurrency sweep (loopback)', rows);
  return rows;
}
