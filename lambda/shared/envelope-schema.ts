// The one contract between the webhook and ingest (ARCHITECTURE §1): the webhook builds envelopes
// with these types, ingest parses them again with this schema (a queue is an input too). Limits and
// ID patterns are defined here once, so anything the webhook queues, ingest can store.

import * as z from 'zod';
import { SyntheticKind } from './names.js';
import {
  CALL_DIRECTIONS,
  CALL_SID_PATTERN,
  RECORDING_SID_PATTERN,
  VOICE_STATUS_PATTERN,
} from './voice-schemas.js';

/** Twilio SIDs: two upper-case letters and 32 hex digits (AC…, SM…, MG…). */
export const SID_PATTERN = /^[A-Z]{2}[0-9a-fA-F]{32}$/;
/** Blind indexes: hex HMAC-SHA256. */
export const INDEX_PATTERN = /^[0-9a-f]{64}$/;
/** Media per message: Twilio's documented maximum. */
export const MAX_MEDIA = 10;
/**
 * `I-Twilio-Idempotency-Token` is not signed; the webhook keeps it only when it is printable ASCII and
 * cuts it to this length (Twilio's tokens are far shorter), so an odd header can never make an
 * envelope that ingest refuses.
 */
export const MAX_IDEMPOTENCY_TOKEN = 256;
const IDEMPOTENCY_TOKEN_PATTERN = /^[\x21-\x7e]+$/;
/** A status as stored: Twilio's documented statuses are lower-case words with `_`. */
export const STATUS_PATTERN = /^[a-z][a-z_]{0,31}$/;
export const ERROR_CODE_PATTERN = /^\d{1,6}$/;
/**
 * Names of failed checks of a quarantined payload: a field name from our schema (or `unknown_field`)
 * and a check from a fixed vocabulary, never input.
 */
export const FAILED_CHECK_PATTERN = /^[A-Za-z]{1,40}:[a-z_]{1,32}$/;
export const MAX_FAILED_CHECKS = 16;
/**
 * Blind indexes of a quarantined payload's other addresses (beyond its first From and To). Twilio sends one
 * From and one To; a payload with repeats is already anomalous, and 64 bounds the envelope (64 × 64 hex).
 */
export const MAX_OTHER_INDEXES = 64;

/** Webhook routes whose signed payloads may be quarantined: every route Twilio signs (ARCHITECTURE §2). */
export const QUARANTINE_ROUTES = ['message', 'status', 'voice', 'voice_status', 'voice_recording'] as const;
export type QuarantineRoute = (typeof QUARANTINE_ROUTES)[number];

const sid = z.string().regex(SID_PATTERN);
const index = z.string().regex(INDEX_PATTERN);
const sealed = z
  .string()
  .regex(/^[A-Za-z0-9_-]+$/)
  .min(16);
const timestamp = z.iso.datetime();
const token = z.string().max(MAX_IDEMPOTENCY_TOKEN).regex(IDEMPOTENCY_TOKEN_PATTERN).optional();

export const MessageEnvelopeSchema = z.object({
  v: z.literal(1),
  kind: z.literal('message'),
  messageSid: sid,
  accountSid: sid,
  messagingServiceSid: sid.optional(),
  /** Blind indexes of the normalised From and To. */
  fromIndex: index,
  toIndex: index,
  numMedia: z.number().int().min(0).max(MAX_MEDIA),
  receivedAt: timestamp,
  /** base64url of the sealed record holding every parameter Twilio signed. */
  sealed,
  idempotencyToken: token,
  synthetic: z.enum([SyntheticKind.verify, SyntheticKind.canary]).optional(),
});

export const StatusEnvelopeSchema = z.object({
  v: z.literal(1),
  kind: z.literal('status'),
  messageSid: sid,
  accountSid: sid,
  status: z.string().regex(STATUS_PATTERN),
  errorCode: z.string().regex(ERROR_CODE_PATTERN).optional(),
  /** Blind indexes of From and To when the callback carries them (erasure finds statuses by them). */
  fromIndex: index.optional(),
  toIndex: index.optional(),
  receivedAt: timestamp,
  sealed,
  idempotencyToken: token,
});

/**
 * A signed payload that failed the schema or a limit (ARCHITECTURE §1): stored sealed, with the names
 * of the failed checks. Only values that passed their own pattern are carried in clear.
 */
export const QuarantinedEnvelopeSchema = z.object({
  v: z.literal(1),
  kind: z.literal('quarantined'),
  /** The webhook route the payload came to. */
  route: z.enum(QUARANTINE_ROUTES),
  failedChecks: z.array(z.string().regex(FAILED_CHECK_PATTERN)).min(1).max(MAX_FAILED_CHECKS),
  /** Keyed digest of the payload (blind-index key): a Twilio redelivery is stored once. */
  payloadKey: index,
  messageSid: sid.optional(),
  /** The CallSid of a voice payload, when it passed its pattern (export and erasure follow the call). */
  callSid: z.string().regex(CALL_SID_PATTERN).optional(),
  accountSid: sid.optional(),
  fromIndex: index.optional(),
  toIndex: index.optional(),
  /** Every other address of the payload (a repeated From or To…), sorted; bound into the seal's AAD. */
  otherIndexes: z.array(index).min(1).max(MAX_OTHER_INDEXES).optional(),
  receivedAt: timestamp,
  sealed,
  idempotencyToken: token,
});

const callSid = z.string().regex(CALL_SID_PATTERN);
const voiceStatus = z.string().regex(VOICE_STATUS_PATTERN);
/** Seconds, as Twilio counts call and recording durations. */
const duration = z.number().int().min(0).max(9_999_999);
/**
 * A voice envelope names no message: stated in the type, so code reading `messageSid` (or the indexes)
 * off any envelope sees `undefined` for it rather than failing to compile.
 */
const none = z.never().optional();

/** An incoming call (POST /webhooks/twilio/voice): stored once by CallSid. */
export const CallEnvelopeSchema = z.object({
  v: z.literal(1),
  kind: z.literal('call'),
  callSid,
  messageSid: none,
  accountSid: sid,
  /** CallStatus when the call came in (`ringing`, usually). */
  status: voiceStatus,
  direction: z.enum(CALL_DIRECTIONS),
  /** Blind indexes of From and To (caller and called); the numbers are only in the sealed record. */
  fromIndex: index,
  toIndex: index,
  /** Blind index of `call:<CallSid>`: the erasure tombstones it, so later callbacks of the call are dropped. */
  callIndex: index,
  receivedAt: timestamp,
  sealed,
  idempotencyToken: token,
});

/** A call status callback: stored once by CallSid + status + SequenceNumber. */
export const CallStatusEnvelopeSchema = z.object({
  v: z.literal(1),
  kind: z.literal('call_status'),
  callSid,
  messageSid: none,
  accountSid: sid,
  status: voiceStatus,
  sequenceNumber: z.number().int().min(0).max(999_999),
  callDuration: duration.optional(),
  fromIndex: index.optional(),
  toIndex: index.optional(),
  callIndex: index,
  receivedAt: timestamp,
  sealed,
  idempotencyToken: token,
});

/**
 * A recording status callback: stored once by RecordingSid. It names no number: export and erasure
 * reach it through its call, and `callIndex` (the blind index of `call:<CallSid>`) lets a tombstone
 * of an erased call drop a recording that arrives later.
 */
export const RecordingEnvelopeSchema = z.object({
  v: z.literal(1),
  kind: z.literal('recording'),
  recordingSid: z.string().regex(RECORDING_SID_PATTERN),
  callSid,
  messageSid: none,
  accountSid: sid,
  status: voiceStatus,
  duration: duration.optional(),
  callIndex: index,
  fromIndex: none,
  toIndex: none,
  receivedAt: timestamp,
  sealed,
  idempotencyToken: token,
});

export const QueuedEnvelopeSchema = z.discriminatedUnion('kind', [
  MessageEnvelopeSchema,
  StatusEnvelopeSchema,
  QuarantinedEnvelopeSchema,
  CallEnvelopeSchema,
  CallStatusEnvelopeSchema,
  RecordingEnvelopeSchema,
]);

/** What the webhook puts on the queue: sealed PII plus non-PII metadata, nothing else. */
export type QueuedEnvelope = z.infer<typeof QueuedEnvelopeSchema>;
export type MessageEnvelope = z.infer<typeof MessageEnvelopeSchema>;
export type StatusEnvelope = z.infer<typeof StatusEnvelopeSchema>;
export type QuarantinedEnvelope = z.infer<typeof QuarantinedEnvelopeSchema>;
export type CallEnvelope = z.infer<typeof CallEnvelopeSchema>;
export type CallStatusEnvelope = z.infer<typeof CallStatusEnvelopeSchema>;
export type RecordingEnvelope = z.infer<typeof RecordingEnvelopeSchema>;

/** The blind-index input that names a call: tombstoned when its subject is erased (recordings name no number). */
export function callIndexInput(callSid: string): string {
  return `call:${callSid}`;
}

/** The unsigned idempotency header as the envelope carries it: printable ASCII, bounded, or nothing. */
export function normalizeIdempotencyToken(raw: string | undefined): string | undefined {
  const value = raw?.trim().slice(0, MAX_IDEMPOTENCY_TOKEN);
  return value && IDEMPOTENCY_TOKEN_PATTERN.test(value) ? value : undefined;
}

/** Parses a queue message body; undefined when it is not a valid envelope (a poisoned record). */
export function parseEnvelope(body: string): QueuedEnvelope | undefined {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return undefined;
  }
  const parsed = QueuedEnvelopeSchema.safeParse(json);
  return parsed.success ? parsed.data : undefined;
}
