// One page of a subject's export (ARCHITECTURE §4): every sealed record opened with its own encryption context.

import type { Logger } from '../shared/logger.js';
import { LogEvent } from '../shared/names.js';
import { type SealContext, SealedRecordError, type Sealer } from '../shared/seal.js';
import {
  callSealContext,
  callStatusSealContext,
  messageSealContext,
  quarantineSealContext,
  recordingSealContext,
  statusSealContext,
} from '../shared/seal-contexts.js';
import type { SubjectPage } from './ports.js';

type Params = Record<string, unknown>;

export interface SubjectExport {
  readonly messages: Array<{
    readonly messageSid: string;
    readonly accountSid: string;
    readonly messagingServiceSid: string | null;
    readonly numMedia: number;
    readonly receivedAt: string;
    readonly storedAt: string;
    /** Every parameter Twilio posted, decrypted; null when the record could not be opened. */
    readonly params: Params | null;
    /** Present where the store flags quarantined records (a payload stored sealed after failing the schema). */
    readonly quarantined?: boolean;
  }>;
  readonly statuses: Array<{
    readonly messageSid: string;
    readonly status: string;
    readonly errorCode: string | null;
    readonly receivedAt: string;
    readonly storedAt: string;
    readonly params: Params | null;
    readonly quarantined?: boolean;
  }>;
  /** Signed payloads that failed validation, stored whole (ARCHITECTURE §1), flagged as such. */
  readonly quarantined: Array<{
    readonly quarantined: true;
    readonly route: string;
    readonly failedChecks: string[];
    readonly messageSid: string | null;
    /** The CallSid of a quarantined voice payload (absent on messaging ones). */
    readonly callSid?: string | null;
    readonly receivedAt: string;
    readonly storedAt: string;
    readonly params: Params | null;
  }>;
  /** Incoming calls from or to the subject; params hold every parameter Twilio posted. */
  readonly calls: Array<{
    readonly callSid: string;
    readonly accountSid: string;
    readonly status: string;
    readonly direction: string;
    readonly receivedAt: string;
    readonly storedAt: string;
    readonly params: Params | null;
  }>;
  readonly callStatuses: Array<{
    readonly callSid: string;
    readonly status: string;
    readonly sequenceNumber: number;
    readonly callDuration: number | null;
    readonly receivedAt: string;
    readonly storedAt: string;
    readonly params: Params | null;
  }>;
  /** Recording status callbacks of the subject's calls; params hold the recording URL (never fetched here). */
  readonly recordings: Array<{
    readonly recordingSid: string;
    readonly callSid: string;
    readonly status: string;
    readonly duration: number | null;
    readonly receivedAt: string;
    readonly storedAt: string;
    readonly params: Params | null;
  }>;
}

export async function exportSubject(
  rows: Pick<SubjectPage, 'messages' | 'statuses'> &
    Partial<Pick<SubjectPage, 'quarantined' | 'calls' | 'callStatuses' | 'recordings'>>,
  sealer: Sealer,
  logger: Logger,
): Promise<SubjectExport> {
  // A record that fails authentication is reported as unreadable rather than failing the whole export;
  // a KeyProvider fault (KMS down) still throws, so the caller answers 503 instead of a partial export.
  // Messages and statuses are sealed with their row's blind indexes (format v2); v1 records ignore them.
  const open = async (sealed: Buffer, context: SealContext): Promise<Params | null> => {
    try {
      return JSON.parse((await sealer.open(sealed, context)).toString('utf8')) as Params;
    } catch (error) {
      if (!(error instanceof SealedRecordError)) throw error;
      logger.error(LogEvent.unreadableRecord, { purpose: context.purpose, messageSid: context.id, error });
      return null;
    }
  };
  const messages = [];
  for (const m of rows.messages) {
    messages.push({
      messageSid: m.messageSid,
      accountSid: m.accountSid,
      messagingServiceSid: m.messagingServiceSid,
      numMedia: m.numMedia,
      receivedAt: m.receivedAt.toISOString(),
      storedAt: m.storedAt.toISOString(),
      params: await open(m.sealed, messageSealContext(m.messageSid, { from: m.fromIndex, to: m.toIndex })),
      ...(m.quarantined === undefined ? {} : { quarantined: m.quarantined }),
    });
  }
  const statuses = [];
  for (const s of rows.statuses) {
    statuses.push({
      messageSid: s.messageSid,
      status: s.status,
      errorCode: s.errorCode,
      receivedAt: s.receivedAt.toISOString(),
      storedAt: s.storedAt.toISOString(),
      params: await open(
        s.sealed,
        statusSealContext(s.messageSid, s.status, { from: s.fromIndex, to: s.toIndex }),
      ),
      ...(s.quarantined === undefined ? {} : { quarantined: s.quarantined }),
    });
  }
  const quarantined = [];
  for (const q of rows.quarantined ?? []) {
    quarantined.push({
      quarantined: true as const,
      route: q.route,
      failedChecks: q.failedChecks,
      messageSid: q.messageSid,
      ...(q.callSid ? { callSid: q.callSid } : {}),
      receivedAt: q.receivedAt.toISOString(),
      storedAt: q.storedAt.toISOString(),
      params: await open(
        q.sealed,
        quarantineSealContext(q.payloadKey, { from: q.fromIndex, to: q.toIndex }, q.otherIndexes),
      ),
    });
  }
  const calls = [];
  for (const c of rows.calls ?? []) {
    calls.push({
      callSid: c.callSid,
      accountSid: c.accountSid,
      status: c.status,
      direction: c.direction,
      receivedAt: c.receivedAt.toISOString(),
      storedAt: c.storedAt.toISOString(),
      params: await open(c.sealed, callSealContext(c.callSid, { from: c.fromIndex, to: c.toIndex })),
    });
  }
  const callStatuses = [];
  for (const s of rows.callStatuses ?? []) {
    callStatuses.push({
      callSid: s.callSid,
      status: s.status,
      sequenceNumber: s.sequenceNumber,
      callDuration: s.callDuration,
      receivedAt: s.receivedAt.toISOString(),
      storedAt: s.storedAt.toISOString(),
      params: await open(
        s.sealed,
        callStatusSealContext(s.callSid, s.status, s.sequenceNumber, { from: s.fromIndex, to: s.toIndex }),
      ),
    });
  }
  const recordings = [];
  for (const r of rows.recordings ?? []) {
    recordings.push({
      recordingSid: r.recordingSid,
      callSid: r.callSid,
      status: r.status,
      duration: r.duration,
      receivedAt: r.receivedAt.toISOString(),
      storedAt: r.storedAt.toISOString(),
      params: await open(r.sealed, recordingSealContext(r.recordingSid, r.callIndex)),
    });
  }
  return { messages, statuses, quarantined, calls, callStatuses, recordings };
}
