// The encryption context of each sealed record kind, defined once: the webhook seals with it, the admin
// function opens with it (export), so the two sides cannot drift apart (ARCHITECTURE §4).

import { SealPurpose } from './names.js';
import type { SealContext } from './seal.js';

/** A row's blind indexes (its from_index and to_index columns), bound into the AAD (sealed format v2). */
export interface SealIndexes {
  readonly from: string | null;
  readonly to: string | null;
}

/** An inbound message: its table, keyed by the MessageSid. */
export function messageSealContext(messageSid: string, indexes: SealIndexes): SealContext {
  return { purpose: SealPurpose.message, id: messageSid, indexes };
}

/** A status update: its table, keyed by the MessageSid and the status (one row per status reached). */
export function statusSealContext(messageSid: string, status: string, indexes: SealIndexes): SealContext {
  return { purpose: SealPurpose.status, id: `${messageSid}/${status}`, indexes };
}

/** An incoming call: its table, keyed by the CallSid, with the caller's and the called number's indexes. */
export function callSealContext(callSid: string, indexes: SealIndexes): SealContext {
  return { purpose: SealPurpose.call, id: callSid, indexes };
}

/** A call status callback: keyed by the CallSid, the status and Twilio's SequenceNumber (one row each). */
export function callStatusSealContext(
  callSid: string,
  status: string,
  sequenceNumber: number,
  indexes: SealIndexes,
): SealContext {
  return { purpose: SealPurpose.callStatus, id: `${callSid}/${status}/${sequenceNumber}`, indexes };
}

/**
 * A recording status callback: keyed by the RecordingSid. It names no number: the call's blind index
 * takes the `from` place in the AAD, so a recording re-pointed at another call no longer opens.
 */
export function recordingSealContext(recordingSid: string, callIndex: string): SealContext {
  return { purpose: SealPurpose.recording, id: recordingSid, indexes: { from: callIndex, to: null } };
}

/**
 * A quarantined record: its own table, keyed by the payload key, with the row's blind indexes bound in,
 * so a row cannot be re-pointed to dodge an erasure. The row's other indexes (other_indexes, in their
 * stored order) are bound through the id; a row without them keeps the id it always had, so records
 * sealed before still open.
 */
export function quarantineSealContext(
  payloadKey: string,
  indexes: SealIndexes,
  otherIndexes?: readonly string[] | null,
): SealContext {
  const id = otherIndexes && otherIndexes.length > 0 ? `${payloadKey}+${otherIndexes.join(',')}` : payloadKey;
  return { purpose: SealPurpose.quarantined, id, indexes };
}
