// The webhook's decisions (ARCHITECTURE §1-§4): size, media type, signature, validation, seal, enqueue.
// Expected outcomes are values; faults of the ports (secrets, KMS, SQS) become `unavailable`.

import type { BlindIndexer } from '../shared/blind-index.js';
import { normalizeIdempotencyToken, type QueuedEnvelope } from '../shared/envelope-schema.js';
import type { Logger } from '../shared/logger.js';
import type { Metrics } from '../shared/metrics.js';
import {
  LogEvent,
  MetricName,
  SYNTHETIC_PARAM,
  SyntheticKind,
  type VoiceKind,
  type WebhookKind,
} from '../shared/names.js';
import type { Clock, MessageQueue } from '../shared/ports.js';
import type { SealContext, Sealer } from '../shared/seal.js';
import { messageSealContext, quarantineSealContext, statusSealContext } from '../shared/seal-contexts.js';
import { answerFor, type VoiceConfig } from '../shared/voice-config.js';
import {
  type CallStatusCallback,
  type IncomingCall,
  type RecordingStatusCallback,
  voiceSchemas,
} from '../shared/voice-schemas.js';
import { MAX_WEBHOOK_BODY_BYTES } from '../shared/webhook-limits.js';
import { failedChecksOf, quarantineFields } from './quarantine.js';
import { InboundMessage, MAX_PARAMS, StatusCallback } from './schemas.js';
import type { SignedParams, TwilioSignatureVerifier } from './signature.js';
import type { StreamHealth } from './stream-health.js';
import { parseFormBody } from './twilio-params.js';
import type { TwilioTokenDirectory } from './twilio-tokens.js';
import { voiceTwiml } from './twiml.js';
import { callFields, callStatusFields, recordingFields } from './voice-envelopes.js';

export const FORM_MEDIA_TYPE = 'application/x-www-form-urlencoded';

export type { VoiceKind, WebhookKind };

export function isVoiceKind(kind: WebhookKind): kind is VoiceKind {
  return kind === 'voice' || kind === 'voice_status' || kind === 'voice_recording';
}

export interface WebhookRequest {
  readonly kind: WebhookKind;
  /** Lower-cased media type of Content-Type, without parameters. */
  readonly mediaType: string | undefined;
  readonly body: Buffer;
  readonly signature: string | undefined;
  /** The configured public URL of this route, its configured query string included: the only URL verified. */
  readonly url: string;
  readonly idempotencyToken: string | undefined;
  /** Who sent it, for security log events (ARCHITECTURE §6): never a phone number, body or token. */
  readonly client?: RequestClient;
}

export interface RequestClient {
  readonly requestId: string | undefined;
  readonly sourceIp: string | undefined;
  readonly userAgent: string | undefined;
}

/** Only what fails before the signature is known is refused (ARCHITECTURE §1). */
export type RejectionReason = 'too_large' | 'media_type' | 'signature';
export type UnavailableReason = 'secrets' | 'encryption' | 'queue' | 'token_not_configured';

export type WebhookOutcome =
  | {
      readonly kind: 'accepted';
      readonly webhook: WebhookKind;
      /** Absent when a quarantined payload carried no valid MessageSid (and on the voice routes). */
      readonly messageSid: string | undefined;
      /** Stored sealed as quarantined: answered like any other. */
      readonly quarantined: boolean;
      /** The TwiML that answers an incoming call (POST /webhooks/twilio/voice only). */
      readonly twiml?: string;
    }
  | { readonly kind: 'rejected'; readonly reason: RejectionReason }
  | { readonly kind: 'unavailable'; readonly reason: UnavailableReason };

export interface WebhookCoreDeps {
  readonly verifier: TwilioSignatureVerifier;
  readonly tokens: TwilioTokenDirectory;
  readonly sealer: Sealer;
  readonly blindIndex: () => Promise<BlindIndexer>;
  readonly queue: MessageQueue;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly clock: Clock;
  /** The voice routes' configuration; without it they do not exist (404). */
  readonly voice?: VoiceDeps;
}

export interface VoiceDeps {
  readonly config: VoiceConfig;
  readonly health: StreamHealth;
}

const rejected = (reason: RejectionReason): WebhookOutcome => ({ kind: 'rejected', reason });
const unavailable = (reason: UnavailableReason): WebhookOutcome => ({ kind: 'unavailable', reason });

/**
 * The accounts whose tokens may have signed the request. One AccountSid is the rule; a repeated key is
 * still signed (twilio-node signs each distinct value), and a request that verifies is never refused
 * for it (ARCHITECTURE §1): each distinct configured value is tried, and the payload is quarantined.
 */
function accountCandidates(params: SignedParams, deps: WebhookCoreDeps): Array<string | undefined> {
  const value = params.AccountSid;
  if (!Array.isArray(value)) return [typeof value === 'string' ? value : undefined];
  const distinct = [...new Set(value.filter((v): v is string => typeof v === 'string'))];
  const configured = distinct.filter((sid) => deps.tokens.secretIdFor(sid) !== undefined);
  return configured.length > 0 ? configured : [distinct[0]];
}

export async function processWebhook(
  request: WebhookRequest,
  deps: WebhookCoreDeps,
): Promise<WebhookOutcome> {
  // API Gateway itself allows 10 MB, so the limit is enforced here (and by the WAF, in AWS).
  if (request.body.length > MAX_WEBHOOK_BODY_BYTES) return rejected('too_large');
  if (request.mediaType !== FORM_MEDIA_TYPE) return rejected('media_type');

  const params = parseFormBody(request.body.toString('utf8'));
  let verdict: 'verified' | WebhookOutcome = rejected('signature');
  for (const accountSid of accountCandidates(params, deps)) {
    verdict = await verifySignature(request, params, accountSid, deps);
    if (verdict === 'verified') break;
  }
  if (verdict !== 'verified') return verdict;

  // From here on the request is Twilio's: it is stored, whatever its payload (ARCHITECTURE §1).
  let validated: Validated | undefined;
  let failedChecks: string[] | undefined;
  if (Object.keys(params).length > MAX_PARAMS) failedChecks = ['Params:too_many'];
  else {
    const result = schemaFor(request.kind).safeParse(params);
    if (result.success) validated = result.data as Validated;
    else failedChecks = failedChecksOf(result.error, knownFieldsOf(request.kind));
  }
  if (failedChecks) {
    deps.metrics.count(MetricName.InvalidPayloads);
    deps.logger.warn(LogEvent.invalidPayload, { kind: request.kind, checks: failedChecks });
  }

  let index: BlindIndexer;
  try {
    index = await deps.blindIndex();
  } catch (error) {
    deps.logger.error(LogEvent.secretsUnavailable, { error, secret: 'blind-index key' });
    return unavailable('secrets');
  }
  const fields: EnvelopeFields = validated
    ? envelopeFields(request, validated, index)
    : quarantinedFields(request.kind, params, failedChecks ?? [], index);
  const receivedAt = new Date(deps.clock.now()).toISOString();

  let sealed: Buffer;
  try {
    // The whole signed payload is sealed: every PII field, and unknown fields that may hold PII.
    sealed = await deps.sealer.seal(Buffer.from(JSON.stringify(params), 'utf8'), fields.seal);
  } catch (error) {
    deps.logger.error(LogEvent.encryptionFailed, { error });
    deps.metrics.count(MetricName.EncryptionFailures);
    return unavailable('encryption');
  }

  const idempotencyToken = normalizeIdempotencyToken(request.idempotencyToken);
  const envelope: QueuedEnvelope = {
    v: 1,
    ...fields.parts,
    receivedAt,
    sealed: sealed.toString('base64url'),
    ...(idempotencyToken ? { idempotencyToken } : {}),
  };
  try {
    await deps.queue.send(envelope);
  } catch (error) {
    deps.logger.error(LogEvent.queueFailed, { error, messageSid: envelope.messageSid });
    deps.metrics.count(MetricName.QueueFailures);
    return unavailable('queue');
  }
  deps.metrics.count(
    envelope.kind === 'message' && envelope.synthetic
      ? MetricName.SyntheticMessagesQueued
      : QUEUED[request.kind],
  );
  const messageSid = envelope.messageSid;
  const callSid = 'callSid' in envelope ? envelope.callSid : undefined;
  deps.logger.info(LogEvent.queued, {
    kind: request.kind,
    ...(messageSid ? { messageSid } : {}),
    ...(callSid ? { callSid } : {}),
    quarantined: envelope.kind === 'quarantined',
  });
  return {
    kind: 'accepted',
    webhook: request.kind,
    messageSid,
    quarantined: envelope.kind === 'quarantined',
    ...(request.kind === 'voice' ? { twiml: callAnswer(params, validated, callSid, deps) } : {}),
  };
}

const QUEUED: Readonly<Record<WebhookKind, MetricName>> = {
  message: MetricName.MessagesQueued,
  status: MetricName.StatusUpdatesQueued,
  voice: MetricName.CallsQueued,
  voice_status: MetricName.CallStatusesQueued,
  voice_recording: MetricName.RecordingsQueued,
};

/**
 * The TwiML for an incoming call: the called number's configured answer, or the default; a stream
 * answer becomes the fallback while the stream target is marked unavailable. Decided from
 * configuration and a cached health result only, so it adds no wait to the answer.
 */
function callAnswer(
  params: SignedParams,
  validated: Validated | undefined,
  callSid: string | undefined,
  deps: WebhookCoreDeps,
): string {
  const voice = deps.voice;
  if (!voice) throw new Error('voice route without voice configuration');
  const to = validated ? (validated as IncomingCall).To : params.To;
  let answer = answerFor(voice.config, typeof to === 'string' ? to : undefined);
  if (answer.kind === 'stream' && !voice.health.available()) {
    answer = voice.config.fallback;
    deps.metrics.count(MetricName.VoiceFallbacks);
    deps.logger.warn(LogEvent.voiceFallback, { ...(callSid ? { callSid } : {}) });
  }
  return voiceTwiml(answer);
}

type Validated =
  | InboundMessage
  | StatusCallback
  | IncomingCall
  | CallStatusCallback
  | RecordingStatusCallback;

/** The schema of each route's payload; the voice ones are built on the first voice request (voice-schemas.ts). */
function schemaFor(kind: WebhookKind) {
  if (kind === 'message') return InboundMessage;
  if (kind === 'status') return StatusCallback;
  const voice = voiceSchemas();
  if (kind === 'voice') return voice.IncomingCall;
  if (kind === 'voice_status') return voice.CallStatusCallback;
  return voice.RecordingStatusCallback;
}

/** Field names of each route's schema: a quarantined row names these, anything else is `UnknownField`. */
const knownFields = new Map<WebhookKind, ReadonlySet<string>>();
function knownFieldsOf(kind: WebhookKind): ReadonlySet<string> {
  let fields = knownFields.get(kind);
  if (!fields) {
    fields = new Set(Object.keys(schemaFor(kind).shape));
    knownFields.set(kind, fields);
  }
  return fields;
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
interface EnvelopeFields {
  readonly parts: DistributiveOmit<QueuedEnvelope, 'sealed' | 'v' | 'receivedAt' | 'idempotencyToken'>;
  /** The encryption context of the sealed record: the table and the row it belongs to. */
  readonly seal: SealContext;
}

function envelopeFields(request: WebhookRequest, data: Validated, index: BlindIndexer): EnvelopeFields {
  if (request.kind === 'voice') return callFields(data as IncomingCall, index);
  if (request.kind === 'voice_status') return callStatusFields(data as CallStatusCallback, index);
  if (request.kind === 'voice_recording') return recordingFields(data as RecordingStatusCallback, index);
  // Each record's seal context carries the row's from_index/to_index columns: bound into the AAD
  // (format v2), a row re-pointed at another subject no longer opens (ARCHITECTURE §4).
  if (request.kind === 'message') {
    const m = data as InboundMessage;
    const fromIndex = index(m.From);
    const toIndex = index(m.To);
    return {
      parts: {
        kind: 'message',
        messageSid: m.MessageSid,
        accountSid: m.AccountSid,
        ...(m.MessagingServiceSid ? { messagingServiceSid: m.MessagingServiceSid } : {}),
        fromIndex,
        toIndex,
        numMedia: Number(m.NumMedia),
        ...syntheticMarker(data),
      },
      seal: messageSealContext(m.MessageSid, { from: fromIndex, to: toIndex }),
    };
  }
  const s = data as StatusCallback;
  const fromIndex = s.From ? index(s.From) : undefined;
  const toIndex = s.To ? index(s.To) : undefined;
  return {
    parts: {
      kind: 'status',
      messageSid: s.MessageSid,
      accountSid: s.AccountSid,
      status: s.MessageStatus,
      ...(s.ErrorCode ? { errorCode: s.ErrorCode } : {}),
      ...(fromIndex ? { fromIndex } : {}),
      ...(toIndex ? { toIndex } : {}),
    },
    seal: statusSealContext(s.MessageSid, s.MessageStatus, { from: fromIndex ?? null, to: toIndex ?? null }),
  };
}

function quarantinedFields(
  route: WebhookKind,
  params: SignedParams,
  failedChecks: string[],
  index: BlindIndexer,
): EnvelopeFields {
  const parts = quarantineFields(route, params, failedChecks, index);
  return {
    parts,
    seal: quarantineSealContext(
      parts.payloadKey,
      { from: parts.fromIndex ?? null, to: parts.toIndex ?? null },
      parts.otherIndexes,
    ),
  };
}

/** The synthetic-traffic marker of a signed message; any other value of the field is an ordinary parameter. */
function syntheticMarker(data: object): { synthetic?: SyntheticKind } {
  const value = (data as Record<string, unknown>)[SYNTHETIC_PARAM];
  return value === SyntheticKind.verify || value === SyntheticKind.canary ? { synthetic: value } : {};
}

async function verifySignature(
  request: WebhookRequest,
  params: SignedParams,
  accountSid: string | undefined,
  deps: WebhookCoreDeps,
): Promise<'verified' | WebhookOutcome> {
  const secretId = deps.tokens.secretIdFor(accountSid);
  if (secretId !== undefined) {
    let tokens: string[];
    try {
      tokens = await deps.tokens.tokens(secretId);
    } catch (error) {
      deps.logger.error(LogEvent.secretsUnavailable, { error });
      return unavailable('secrets');
    }
    /** Index of the token that verified (0 current, 1 previous), or undefined. */
    const verifiedBy = (candidates: readonly string[]) =>
      deps.verifier.verify({ url: request.url, params, signature: request.signature, tokens: candidates });
    const cached = tokens.length > 0 ? verifiedBy(tokens) : undefined;
    if (cached === 0) return 'verified';
    // A previous-token hit is re-checked against a fresh read (at most once per refresh interval), so
    // an emergency revocation (AWSPREVIOUS removed: npm run rotate -- --revoke-previous) takes effect
    // within that interval instead of the cache age. A miss may mean the token was just rotated (or
    // set for the first time): look again, likewise rate-limited.
    const fresh = await deps.tokens.refreshedTokens(secretId).catch(() => undefined);
    // Refreshed moments ago (or Secrets Manager unreachable): the cached previous token is within its grace.
    if (fresh === undefined && cached !== undefined) return 'verified';
    if (fresh && fresh.length > 0 && verifiedBy(fresh) !== undefined) return 'verified';
    if ((fresh ?? tokens).length === 0) {
      // No real token yet (first deploy: the secret holds its placeholder). Nothing can verify, so
      // nothing is stored; 503 lets Twilio retry (#rp=5xx) once the operator has set the token.
      deps.metrics.count(MetricName.TwilioTokenNotConfigured);
      deps.logger.error(LogEvent.twilioTokenNotConfigured, { accountSid });
      return unavailable('token_not_configured');
    }
  }
  deps.metrics.count(MetricName.SignatureFailures);
  if (isVoiceKind(request.kind)) deps.metrics.count(MetricName.VoiceSignatureFailures);
  // Request id, source and user agent let on-call find the caller in the access and WAF logs; no
  // field of the (unverified) payload is logged, so no subject's number reaches the logs.
  deps.logger.security(LogEvent.signatureRejected, {
    kind: request.kind,
    accountKnown: secretId !== undefined,
    signaturePresent: request.signature !== undefined,
    requestId: request.client?.requestId,
    sourceIp: request.client?.sourceIp,
    userAgent: request.client?.userAgent,
  });
  return rejected('signature');
}
