// `npm run simulate -- --voice`: signed incoming calls (each redelivered now and then), their status
// callbacks and recordings, and forged calls, each signed with twilio-node's own helper; tallies what
// the stack answered and which TwiML the calls got.

import { Route } from '../../lambda/shared/names.js';
import {
  CALL_STATUS_SEQUENCE,
  callStatusCallback,
  incomingCall,
  type Params,
  recordingCallback,
} from './payloads.js';
import type { Progress } from './progress.js';
import { type Job, shuffle, signedJob } from './run-simulation.js';
import { sendJobs } from './send-jobs.js';
import type { Tally } from './stats.js';

export interface VoiceSimulationOptions {
  readonly targetUrl: string;
  readonly publicUrl: string;
  readonly authToken: string;
  readonly accountSid: string;
  /** Incoming calls; each gets three status callbacks and a recording. */
  readonly calls: number;
  /** Incoming calls delivered a second time, as Twilio may. */
  readonly duplicates: number;
  /** Forged requests, spread over the three voice routes. */
  readonly forged: number;
  readonly concurrency: number;
  /** Per request. @default 10_000 */
  readonly timeoutMs?: number;
  readonly progress?: Progress;
}

type VoiceJobKind = 'call' | 'duplicate' | 'status' | 'recording' | 'forged';

export interface VoiceSimulationReport {
  readonly sent: number;
  readonly calls: Tally;
  readonly duplicates: Tally;
  readonly callStatuses: Tally;
  readonly recordings: Tally;
  readonly forged: Tally;
  /** Which TwiML the answered calls got: `stream`, `say`, `reject`, or `other` (not TwiML of ours). */
  readonly twiml: Readonly<Record<string, number>>;
  readonly unanswered: number;
  readonly statusCodes: Readonly<Record<string, number>>;
  /** What was sent, for checks against the database. */
  readonly callSids: readonly string[];
  readonly callStatusKeys: readonly { callSid: string; status: string; sequenceNumber: number }[];
  readonly recordingSids: readonly string[];
  readonly forgedCallSids: readonly string[];
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly requestsPerSecond: number;
  readonly seconds: number;
}

export function planVoiceJobs(options: VoiceSimulationOptions) {
  const calls: Job<VoiceJobKind>[] = [];
  const callbacks: Job<VoiceJobKind>[] = [];
  const callSids: string[] = [];
  const callStatusKeys: { callSid: string; status: string; sequenceNumber: number }[] = [];
  const recordingSids: string[] = [];
  for (let n = 0; n < options.calls; n++) {
    const call = incomingCall(options.accountSid, n);
    const callSid = call.CallSid as string;
    callSids.push(callSid);
    calls.push(signedJob('call', options, Route.voice, call));
    CALL_STATUS_SEQUENCE.forEach((status, sequenceNumber) => {
      callStatusKeys.push({ callSid, status, sequenceNumber });
      callbacks.push(
        signedJob('status', options, Route.voiceStatus, callStatusCallback(call, status, sequenceNumber)),
      );
    });
    const recording = recordingCallback(call);
    recordingSids.push(recording.RecordingSid as string);
    callbacks.push(signedJob('recording', options, Route.voiceRecording, recording));
  }
  const duplicates = Array.from({ length: options.calls > 0 ? options.duplicates : 0 }, (_, i) => ({
    ...(calls[i % calls.length] as Job<VoiceJobKind>),
    kind: 'duplicate' as const,
  }));
  // Forgeries in turn: a call signed with another token, a status callback altered after signing, an unsigned recording.
  const forgedCallSids: string[] = [];
  const forged = Array.from({ length: options.forged }, (_, n): Job<VoiceJobKind> => {
    const call = incomingCall(options.accountSid, 1_000_000 + n);
    forgedCallSids.push(call.CallSid as string);
    switch (n % 3) {
      case 0:
        return signedJob('forged', options, Route.voice, call, `${options.authToken}x`);
      case 1: {
        const genuine = signedJob(
          'forged',
          options,
          Route.voiceStatus,
          callStatusCallback(call, 'completed', 2),
        );
        const altered: Params = { ...callStatusCallback(call, 'completed', 2), CallDuration: '9999' };
        return { ...genuine, body: new URLSearchParams(altered).toString() };
      }
      default: {
        const { 'X-Twilio-Signature': _dropped, ...headers } = signedJob(
          'forged',
          options,
          Route.voiceRecording,
          recordingCallback(call),
        ).headers;
        return {
          kind: 'forged',
          path: Route.voiceRecording,
          body: new URLSearchParams(recordingCallback(call)).toString(),
          headers,
        };
      }
    }
  });
  // Calls go first (Twilio calls the number before it reports on the call); the rest in any order.
  const jobs = [...shuffle([...calls]), ...shuffle([...duplicates, ...callbacks, ...forged])];
  return { jobs, callSids, callStatusKeys, recordingSids, forgedCallSids };
}

function twimlKind(body: string): string {
  if (!body.startsWith('<?xml version="1.0" encoding="UTF-8"?><Response>')) return 'other';
  if (body.includes('<Connect><Stream')) return 'stream';
  if (body.includes('<Say')) return 'say';
  if (body.includes('<Reject')) return 'reject';
  return 'other';
}

function accepted(kind: VoiceJobKind, status: number): boolean {
  return kind === 'call' || kind === 'duplicate' ? status === 200 : status === 204;
}

export async function runVoiceSimulation(options: VoiceSimulationOptions): Promise<VoiceSimulationReport> {
  const plan = planVoiceJobs(options);
  const twiml: Record<string, number> = {};
  // The calls are answered before their callbacks are sent.
  const firstCallback = plan.callSids.length;
  const sent = await sendJobs<VoiceJobKind>({
    ...options,
    kinds: ['call', 'duplicate', 'status', 'recording', 'forged'],
    phases: [plan.jobs.slice(0, firstCallback), plan.jobs.slice(firstCallback)],
    accepted,
    onBody: (job, body) => {
      if ((job.kind === 'call' || job.kind === 'duplicate') && status200(body))
        twiml[twimlKind(body)] = (twiml[twimlKind(body)] ?? 0) + 1;
    },
  });
  return {
    sent: sent.sent,
    calls: sent.tallies.call,
    duplicates: sent.tallies.duplicate,
    callStatuses: sent.tallies.status,
    recordings: sent.tallies.recording,
    forged: sent.tallies.forged,
    twiml,
    unanswered: sent.unanswered,
    statusCodes: sent.statusCodes,
    callSids: plan.callSids,
    callStatusKeys: plan.callStatusKeys,
    recordingSids: plan.recordingSids,
    forgedCallSids: plan.forgedCallSids,
    p50Ms: sent.p50Ms,
    p99Ms: sent.p99Ms,
    requestsPerSecond: sent.requestsPerSecond,
    seconds: sent.seconds,
  };
}

/** A body is counted as a call's TwiML only when it is one (error bodies are JSON). */
function status200(body: string): boolean {
  return body.startsWith('<?xml');
}

/** Every genuine request accepted (each call answered with our TwiML), every forgery refused, all answered. */
export function voiceSimulationPassed(report: VoiceSimulationReport): boolean {
  return (
    report.unanswered === 0 &&
    report.calls.rejected === 0 &&
    report.duplicates.rejected === 0 &&
    report.callStatuses.rejected === 0 &&
    report.recordings.rejected === 0 &&
    report.forged.accepted === 0 &&
    (report.twiml.other ?? 0) === 0
  );
}
