// Sends signed jobs to the stack with N workers and tallies the answers: the driver both simulations
// (messages, voice) share; what a job is and which status accepts it is theirs.

import http from 'node:http';
import https from 'node:https';
import type { Progress } from './progress.js';
import type { Job } from './run-simulation.js';
import { emptyTally, percentile, type Tally } from './stats.js';

/** No HTTP answer at all (refused, reset, timed out): neither accepted nor refused by the stack. */
export const NO_ANSWER = 0;

/** Posts a job; resolves with the status (NO_ANSWER when none) and, when asked, the body text. */
function post(
  agent: http.Agent,
  target: URL,
  job: Job<string>,
  timeoutMs: number,
  onBody?: (body: string) => void,
): Promise<number> {
  const client = target.protocol === 'https:' ? https : http;
  return new Promise((resolve) => {
    const request = client.request(
      new URL(target.pathname.replace(/\/$/, '') + job.path, target),
      {
        method: 'POST',
        agent,
        headers: { ...job.headers, 'Content-Length': Buffer.byteLength(job.body) },
        timeout: timeoutMs,
      },
      (response) => {
        const chunks: Buffer[] = [];
        if (onBody) response.on('data', (chunk: Buffer) => chunks.push(chunk));
        else response.resume();
        response.on('end', () => {
          onBody?.(Buffer.concat(chunks).toString('utf8'));
          resolve(response.statusCode ?? 0);
        });
        response.on('error', () => resolve(NO_ANSWER));
      },
    );
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(NO_ANSWER));
    request.end(job.body);
  });
}

export interface SendOptions<K extends string> {
  readonly targetUrl: string;
  readonly concurrency: number;
  /** Per request. @default 10_000 */
  readonly timeoutMs?: number;
  readonly progress?: Progress;
  /** Every kind of job there is, so each gets a tally even when none is sent. */
  readonly kinds: readonly K[];
  /** Sent one after the other: every job of a phase is answered before the next phase starts. */
  readonly phases: readonly (readonly Job<K>[])[];
  /** The status that means the stack accepted a job of this kind. */
  readonly accepted: (kind: K, status: number) => boolean;
  /** Given the body of each answer, when set (e.g. to look at the TwiML). */
  readonly onBody?: (job: Job<K>, body: string) => void;
}

export interface SentJobs<K extends string> {
  readonly sent: number;
  readonly tallies: Readonly<Record<K, Tally>>;
  readonly statusCodes: Readonly<Record<string, number>>;
  readonly unanswered: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly requestsPerSecond: number;
  readonly seconds: number;
}

export async function sendJobs<K extends string>(options: SendOptions<K>): Promise<SentJobs<K>> {
  const target = new URL(options.targetUrl);
  const AgentClass = target.protocol === 'https:' ? https.Agent : http.Agent;
  const agent: http.Agent = new AgentClass({ keepAlive: true, maxSockets: options.concurrency });
  const tallies = Object.fromEntries(options.kinds.map((k) => [k, emptyTally()])) as Record<K, Tally>;
  const statusCodes: Record<string, number> = {};
  const latencies: number[] = [];
  let done = 0;
  let unanswered = 0;
  const started = performance.now();
  for (const jobs of options.phases) {
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < jobs.length; i = next++) {
        const job = jobs[i] as Job<K>;
        const onBody = options.onBody;
        const t0 = performance.now();
        const status = await post(
          agent,
          target,
          job,
          options.timeoutMs ?? 10_000,
          onBody ? (body) => onBody(job, body) : undefined,
        );
        latencies.push(performance.now() - t0);
        statusCodes[status] = (statusCodes[status] ?? 0) + 1;
        const tally = tallies[job.kind];
        tally.sent++;
        if (options.accepted(job.kind, status)) tally.accepted++;
        else if (status === NO_ANSWER) unanswered++;
        else tally.rejected++;
        options.progress?.tick(++done);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, worker));
  }
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  options.progress?.finish();
  latencies.sort((a, b) => a - b);
  const sent = options.phases.reduce((n, jobs) => n + jobs.length, 0);
  return {
    sent,
    tallies,
    statusCodes,
    unanswered,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    requestsPerSecond: sent / Math.max(seconds, 0.001),
    seconds,
  };
}
