// zod schemas for what Twilio posts to the three voice routes (ARCHITECTURE §2), part of the shared
// contract: the webhook validates with them, the envelopes (envelope-schema.ts) reuse their patterns.
//
// Field names and values from Twilio's voice webhook reference
// (https://www.twilio.com/docs/usage/webhooks/voice-webhooks: incoming call, call status callbacks,
// recording status callbacks) and the Call resource's status values
// (https://www.twilio.com/docs/voice/api/call-resource#call-status-values). Only the fields named
// here are read; every parameter Twilio signed, these and the rest, is sealed with the payload.

import * as z from 'zod';

/** A Call SID: `CA` and 32 hex digits. */
export const CALL_SID_PATTERN = /^CA[0-9a-fA-F]{32}$/;
/** A Recording SID: `RE` and 32 hex digits. */
export const RECORDING_SID_PATTERN = /^RE[0-9a-fA-F]{32}$/;

/** The Call resource's statuses, as Twilio sends them in CallStatus. */
export const CALL_STATUSES = [
  'queued',
  'initiated',
  'ringing',
  'in-progress',
  'completed',
  'busy',
  'failed',
  'no-answer',
  'canceled',
] as const;
/** Direction of a call: `inbound`, or one of the outbound kinds and the SIP trunking ones. */
export const CALL_DIRECTIONS = [
  'inbound',
  'outbound-api',
  'outbound-dial',
  'trunking-originating',
  'trunking-terminating',
] as const;
/** RecordingStatus of a recording status callback. */
export const RECORDING_STATUSES = ['in-progress', 'completed', 'absent', 'failed', 'deleted'] as const;

/** A call status or a recording status as stored: lower-case words with `-`. */
export const VOICE_STATUS_PATTERN = /^[a-z][a-z-]{0,31}$/;

const E164 = /^\+[1-9]\d{1,14}$/;
// Twilio Client identities (`client:alice`) and SIP URIs (`sip:alice@example.sip.twilio.com`).
const CLIENT = /^client:[^\s]{1,256}$/;
const SIP = /^sips?:[^\s]{1,512}$/;
// A caller who withheld their number arrives as one of these (or an empty From on some carriers).
const ANONYMOUS = /^(anonymous|Anonymous|restricted|Restricted|unknown|Unknown|private|Private)$/;

/** From/To/Caller/Called of a call: E.164, `client:…`, `sip:…`, or an anonymous caller. */
function isVoiceAddress(v: string): boolean {
  return E164.test(v) || CLIENT.test(v) || SIP.test(v) || ANONYMOUS.test(v) || v === '';
}

/**
 * The three voice payload schemas. Built on first use, not at import: zod builds a schema's checks when
 * it is constructed, and a container that only ever serves messaging (voice off in staging and prod by
 * default) would pay for them on every cold start (measured: docs/BENCHMARKS.md, "Voice").
 */
function buildVoiceSchemas() {
  const VoiceAddress = z.string().refine(isVoiceAddress, 'format');
  const sid = (pattern: RegExp) => z.string().regex(pattern);
  const AccountSid = sid(/^AC[0-9a-fA-F]{32}$/);
  const CallSid = sid(CALL_SID_PATTERN);
  const numeric = (digits: number) => z.string().regex(new RegExp(`^\\d{1,${digits}}$`));
  const text = (max: number) => z.string().max(max);
  /** Twilio's Timestamp: RFC 2822 (`Mon, 16 Aug 2010 03:45:01 +0000`). */
  const Timestamp = z
    .string()
    .regex(/^[A-Z][a-z]{2}, \d{1,2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}$/);
  /** Unknown fields: kept and sealed, bounded like the messaging routes' (schemas.ts). */
  const extra = z.union([z.string().max(4096), z.array(z.string().max(4096)).max(10)]);

  /** What every voice request carries about the call. */
  const callFields = {
    CallSid,
    AccountSid,
    From: VoiceAddress,
    To: VoiceAddress,
    Caller: VoiceAddress.optional(),
    Called: VoiceAddress.optional(),
    CallStatus: z.enum(CALL_STATUSES),
    Direction: z.enum(CALL_DIRECTIONS),
    ApiVersion: text(16).optional(),
    ForwardedFrom: VoiceAddress.optional(),
    CallerName: text(128).optional(),
    ParentCallSid: CallSid.optional(),
  };

  /** POST /webhooks/twilio/voice: an incoming call. */
  const IncomingCall = z.object(callFields).catchall(extra);

  /** POST /webhooks/twilio/voice/status: a call status callback. */
  const CallStatusCallback = z
    .object({
      ...callFields,
      // A status callback of an outbound call may omit the numbers of a leg it never reached.
      From: VoiceAddress.optional(),
      To: VoiceAddress.optional(),
      Direction: z.enum(CALL_DIRECTIONS).optional(),
      SequenceNumber: numeric(6),
      Timestamp: Timestamp.optional(),
      CallDuration: numeric(7).optional(),
      Duration: numeric(7).optional(),
      CallbackSource: text(64).optional(),
      SipResponseCode: numeric(3).optional(),
    })
    .catchall(extra);

  /** POST /webhooks/twilio/voice/recording: a recording status callback (it names no number). */
  const RecordingStatusCallback = z
    .object({
      AccountSid,
      CallSid,
      RecordingSid: sid(RECORDING_SID_PATTERN),
      // Sealed, never fetched: the recording itself stays with Twilio.
      RecordingUrl: z.url({ protocol: /^https$/ }).max(1024),
      RecordingStatus: z.enum(RECORDING_STATUSES),
      RecordingDuration: numeric(7).optional(),
      RecordingChannels: numeric(1).optional(),
      RecordingStartTime: text(64).optional(),
      RecordingSource: text(64).optional(),
      RecordingTrack: text(32).optional(),
      ErrorCode: numeric(6).optional(),
    })
    .catchall(extra);

  return { IncomingCall, CallStatusCallback, RecordingStatusCallback };
}

export type VoiceSchemas = ReturnType<typeof buildVoiceSchemas>;
let built: VoiceSchemas | undefined;

/** The voice payload schemas, built on the first call and shared after. */
export function voiceSchemas(): VoiceSchemas {
  built ??= buildVoiceSchemas();
  return built;
}

export type IncomingCall = z.infer<VoiceSchemas['IncomingCall']>;
export type CallStatusCallback = z.infer<VoiceSchemas['CallStatusCallback']>;
export type RecordingStatusCallback = z.infer<VoiceSchemas['RecordingStatusCallback']>;
