// The clear fields and seal context of a voice envelope (ARCHITECTURE §4): SIDs, statuses and
// durations in clear, numbers only as blind indexes, everything Twilio signed in the sealed record.

import type { BlindIndexer } from '../shared/blind-index.js';
import {
  type CallEnvelope,
  type CallStatusEnvelope,
  callIndexInput,
  type RecordingEnvelope,
} from '../shared/envelope-schema.js';
import type { SealContext } from '../shared/seal.js';
import { callSealContext, callStatusSealContext, recordingSealContext } from '../shared/seal-contexts.js';
import type { CallStatusCallback, IncomingCall, RecordingStatusCallback } from '../shared/voice-schemas.js';

type Clear<T> = Omit<T, 'sealed' | 'v' | 'receivedAt' | 'idempotencyToken'>;

export interface VoiceEnvelopeFields<T> {
  readonly parts: Clear<T>;
  readonly seal: SealContext;
}

export function callFields(call: IncomingCall, index: BlindIndexer): VoiceEnvelopeFields<CallEnvelope> {
  const fromIndex = index(call.From);
  const toIndex = index(call.To);
  return {
    parts: {
      kind: 'call',
      callSid: call.CallSid,
      accountSid: call.AccountSid,
      status: call.CallStatus,
      direction: call.Direction,
      fromIndex,
      toIndex,
      callIndex: index(callIndexInput(call.CallSid)),
    },
    seal: callSealContext(call.CallSid, { from: fromIndex, to: toIndex }),
  };
}

export function callStatusFields(
  status: CallStatusCallback,
  index: BlindIndexer,
): VoiceEnvelopeFields<CallStatusEnvelope> {
  const fromIndex = status.From ? index(status.From) : undefined;
  const toIndex = status.To ? index(status.To) : undefined;
  const sequenceNumber = Number(status.SequenceNumber);
  const duration = status.CallDuration ?? status.Duration;
  return {
    parts: {
      kind: 'call_status',
      callSid: status.CallSid,
      accountSid: status.AccountSid,
      status: status.CallStatus,
      sequenceNumber,
      ...(duration !== undefined ? { callDuration: Number(duration) } : {}),
      ...(fromIndex ? { fromIndex } : {}),
      ...(toIndex ? { toIndex } : {}),
      callIndex: index(callIndexInput(status.CallSid)),
    },
    seal: callStatusSealContext(status.CallSid, status.CallStatus, sequenceNumber, {
      from: fromIndex ?? null,
      to: toIndex ?? null,
    }),
  };
}

export function recordingFields(
  recording: RecordingStatusCallback,
  index: BlindIndexer,
): VoiceEnvelopeFields<RecordingEnvelope> {
  const callIndex = index(callIndexInput(recording.CallSid));
  return {
    parts: {
      kind: 'recording',
      recordingSid: recording.RecordingSid,
      callSid: recording.CallSid,
      accountSid: recording.AccountSid,
      status: recording.RecordingStatus,
      ...(recording.RecordingDuration !== undefined ? { duration: Number(recording.RecordingDuration) } : {}),
      callIndex,
    },
    seal: recordingSealContext(recording.RecordingSid, callIndex),
  };
}
