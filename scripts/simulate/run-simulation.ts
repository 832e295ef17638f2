// Sends a mix of genuine, duplicated, forged and status-callback webhooks, each signed with
// twilio-node's own helper, and tallies how the stack answered.

import { randomUUID } from 'node:crypto';
import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks';
import { Route } from '../../lambda/shared/names.js';
import { inboundMessage, type Params, STATUS_SEQUENCE, statusCallback } from './payloads.js';
import type { Progress } from './progress.js';
import { sendJobs } from './send-jobs.js';
import type { Tally } from './stats.js';

export interface SimulationOptions {
  /** Where requests go, e.g. http://127.0.0.1:3000. */
  readonly targetUrl: string;
  /** The public base URL the stack verifies signatures against (often the same). */
  readonly publicUrl: string;
  readonly authToken: string;
  readonly accountSid: string;
  readonly count: number;
  readonly concurrency: number;
  readonly duplicates: number;
  readonly forged: number;
  readonly statusCallbacks: number;
  /** Per request. @default 10_000 */
  readonly timeoutMs?: number;
  readonly progress?: Progress;
}

type JobKind = 'genuine' | 'duplicate' | 'forged' | 'status';

export interface Job<K extends string = JobKind> {
  readonly kind: K;
  readonly path: string;
  readonly body: string;
  readonly headers: Record<string, string>;
}

export interface SimulationReport {
  readonly sent: number;
  readonly genuine: Tally;
  readonly duplicates: Tally;
  readonly statusCallbacks: Tally;
  readonly forged: Tally;
  /** Genuine messages by MessageSid, and the (MessageSid, status) pairs sent, for checks against the database. */
  readonly messageSids: readonly string[];
  readonly statusPairs: readonly { messageSid: string; status: string }[];
  readonly forgedMessageSids: readonly string[];
  /** Requests that got no HTTP answer: a forgery that was never answered was not refused either. */
  readonly unanswered: number;
  /** Status codes seen, for a quick look at what went wrong. */
  readonly statusCodes: Readonly<Record<string, number>>;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly requestsPerSecond: number;
  readonly seconds: number;
}

const FORM = 'application/x-www-form-urlencoded';

export function signedJob<K extends string>(
  kind: K,
  options: Pick<SimulationOptions, 'authToken' | 'publicUrl'>,
  path: string,
  params: Params,
  token = options.authToken,
): Job<K> {
  return {
    kind,
    path,
    body: new URLSearchParams(params).toString(),
    headers: {
      'Content-Type': FORM,
      'User-Agent': 'TwilioProxy/1.1',
      'I-Twilio-Idempotency-Token': randomUUID(),
      'X-Twilio-Signature': getExpectedTwilioSignature(token, options.publicUrl + path, params),
    },
  };
}

/** Four ways to forge, in turn: wrong token, body changed after signing, no signature, another URL. */
function forgedJob(options: SimulationOptions, n: number): { job: Job; messageSid: string } {
  const params = inboundMessage(options.accountSid, 1_000_000 + n);
  const messageSid = params.MessageSid as string;
  let job: Job;
  switch (n % 4) {
    case 0:
      job = signedJob('forged', options, Route.messages, params, `${options.authToken}x`);
      break;
    case 1: {
      const genuine = signedJob('forged', options, Route.messages, params);
      job = { ...genuine, body: new URLSearchParams({ ...params, Body: 'send me the codes' }).toString() };
      break;
    }
    case 2: {
      const { 'X-Twilio-Signature': _dropped, ...headers } = signedJob(
        'forged',
        options,
        Route.messages,
        params,
      ).headers;
      job = { kind: 'forged', path: Route.messages, body: new URLSearchParams(params).toString(), headers };
      break;
    }
    default: {
      const elsewhere = signedJob(
        'forged',
        { ...options, publicUrl: 'https://attacker.example' },
        Route.messages,
        params,
      );
      job = elsewhere;
    }
  }
  return { job, messageSid };
}

export function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}

export function planJobs(options: SimulationOptions) {
  const genuine: Job[] = [];
  const messageSids: string[] = [];
  const senders: string[] = [];
  for (let n = 0; n < options.count; n++) {
    const params = inboundMessage(options.accountSid, n);
    messageSids.push(params.MessageSid as string);
    senders.push(params.From as string);
    genuine.push(signedJob('genuine', options, Route.messages, params));
  }
  // A duplicate is Twilio delivering the very same request again (same signature and token).
  const duplicates = Array.from({ length: options.count > 0 ? options.duplicates : 0 }, (_, i) => ({
    ...(genuine[i % genuine.length] as Job),
    kind: 'duplicate' as const,
  }));
  const statusPairs: { messageSid: string; status: string }[] = [];
  const statuses: Job[] = [];
  for (let i = 0; i < options.statusCallbacks && options.count > 0; i++) {
    const m = Math.floor(i / STATUS_SEQUENCE.length) % options.count;
    const messageSid = messageSids[m] as string;
    const status = STATUS_SEQUENCE[i % STATUS_SEQUENCE.length] as string;
    statusPairs.push({ messageSid, status });
    const params = statusCallback(options.accountSid, messageSid, status, senders[m] as string);
    statuses.push(signedJob('status', options, Route.status, params));
  }
  const forged = Array.from({ length: options.forged }, (_, n) => forgedJob(options, n));
  const jobs = shuffle([...genuine, ...duplicates, ...statuses, ...forged.map((f) => f.job)]);
  return { jobs, messageSids, statusPairs, forgedMessageSids: forged.map((f) => f.messageSid) };
}

function accepted(kind: JobKind, status: number): boolean {
  return kind === 'status' ? status === 204 : status === 200;
}

export async function runSimulation(options: SimulationOptions): Promise<SimulationReport> {
  const plan = planJobs(options);
  const sent = await sendJobs<JobKind>({
    ...options,
    kinds: ['genuine', 'duplicate', 'forged', 'status'],
    phases: [plan.jobs],
    accepted,
  });
  return {
    sent: sent.sent,
    genuine: sent.tallies.genuine,
    duplicates: sent.tallies.duplicate,
    statusCallbacks: sent.tallies.status,
    forged: sent.tallies.forged,
    messageSids: plan.messageSids,
    statusPairs: plan.statusPairs,
    forgedMessageSids: plan.forgedMessageSids,
    statusCodes: sent.statusCodes,
    unanswered: sent.unanswered,
    p50Ms: sent.p50Ms,
    p99Ms: sent.p99Ms,
    requestsPerSecond: sent.requestsPerSecond,
    seconds: sent.seconds,
  };
}

/** True when the run met the contract: every genuine delivery accepted, every forgery refused, all answered. */
export function simulationPassed(report: SimulationReport): boolean {
  return (
    report.unanswered === 0 &&
    report.genuine.rejected === 0 &&
    report.duplicates.rejected === 0 &&
    report.statusCallbacks.rejected === 0 &&
    report.forged.accepted === 0
  );
}
