// The webhook's decisions (ARCHITECTURE §1-§4): size, media type, signature, validation, seal, enqueue.
// Expected outcomes are values; faults of the ports (secrets, KMS, SQS) become `unavailable`.

import type { BlindIndexer } from '../shared/blind-index.js';
import type { Logger } from '../shared/logger.js';
import { maskPhone } from '../shared/mask.js';
import type { Metrics } from '../shared/metrics.js';
import { LogEvent, MetricName, SealPurpose } from '../shared/names.js';
import type { Clock, MessageQueue, QueuedEnvelope } from '../shared/ports.js';
import type { Sealer } from '../shared/seal.js';
import { InboundMessage, MAX_PARAMS, StatusCallback } from './schemas.js';
import type { SignedParams, TwilioSignatureVerifier } from './signature.js';
import { parseFormBody } from './twilio-params.js';
import type { TwilioTokenDirectory } from './twilio-tokens.js';

/** Twilio's payloads are a few KB; API Gateway itself allows 10 MB, so the limit is enforced here. */
export const MAX_BODY_BYTES = 32 * 1024;
export const FORM_MEDIA_TYPE = 'application/x-www-form-urlencoded';

export type WebhookKind = 'message' | 'status';

export interface WebhookRequest {
  readonly kind: WebhookKind;
  /** Lower-cased media type of Content-Type, without parameters. */
  readonly mediaType: string | undefined;
  readonly body: Buffer;
  readonly signature: string | undefined;
  /** The configured public URL of this route plus each plausible spelling of its query string. */
  readonly urls: readonly string[];
  readonly idempotencyToken: string | undefined;
}

export type RejectionReason = 'too_large' | 'media_type' | 'signature' | 'invalid';
export type UnavailableReason = 'secrets' | 'encryption' | 'queue' | 'token_not_configured';

export type WebhookOutcome =
  | { readonly kind: 'accepted'; readonly webhook: WebhookKind; readonly messageSid: string }
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
}

const rejected = (reason: RejectionReason): WebhookOutcome => ({ kind: 'rejected', reason });
const unavailable = (reason: UnavailableReason): WebhookOutcome => ({ kind: 'unavailable', reason });

function single(params: SignedParams, key: string): string | undefined {
  const value = params[key];
  return typeof value === 'string' ? value : undefined;
}

export async function processWebhook(
  request: WebhookRequest,
  deps: WebhookCoreDeps,
): Promise<WebhookOutcome> {
  if (request.body.length > MAX_BODY_BYTES) return rejected('too_large');
  if (request.mediaType !== FORM_MEDIA_TYPE) return rejected('media_type');

  const params = parseFormBody(request.body.toString('utf8'));
  const accountSid = single(params, 'AccountSid');

  const verdict = await verifySignature(request, params, accountSid, deps);
  if (verdict !== 'verified') return verdict;

  if (Object.keys(params).length > MAX_PARAMS) return invalid(deps, request.kind, 'too many parameters');
  const validated =
    request.kind === 'message' ? InboundMessage.safeParse(params) : StatusCallback.safeParse(params);
  if (!validated.success)
    return invalid(
      deps,
      request.kind,
      validated.error.issues.map((i) => i.path.join('.')),
    );

  let index: BlindIndexer;
  try {
    index = await deps.blindIndex();
  } catch (error) {
    deps.logger.error(LogEvent.secretsUnavailable, { error, secret: 'blind-index key' });
    return unavailable('secrets');
  }
  const envelopeParts = envelopeFields(request, validated.data, index);
  const receivedAt = new Date(deps.clock.now()).toISOString();

  let sealed: Buffer;
  try {
    // The whole signed payload is sealed: every PII field, and unknown fields that may hold PII.
    sealed = await deps.sealer.seal(Buffer.from(JSON.stringify(params), 'utf8'), {
      purpose: request.kind === 'message' ? SealPurpose.message : SealPurpose.status,
      id: envelopeParts.sealedId,
    });
  } catch (error) {
    deps.logger.error(LogEvent.encryptionFailed, { error });
    deps.metrics.count(MetricName.EncryptionFailures);
    return unavailable('encryption');
  }

  const { sealedId: _sealedId, ...parts } = envelopeParts;
  const envelope = { v: 1, ...parts, receivedAt, sealed: sealed.toString('base64url') } as QueuedEnvelope;
  try {
    await deps.queue.send(envelope);
  } catch (error) {
    deps.logger.error(LogEvent.queueFailed, { error, messageSid: envelope.messageSid });
    deps.metrics.count(MetricName.QueueFailures);
    return unavailable('queue');
  }
  deps.metrics.count(request.kind === 'message' ? MetricName.MessagesQueued : MetricName.StatusUpdatesQueued);
  deps.logger.info(LogEvent.queued, { kind: request.kind, messageSid: envelope.messageSid });
  return { kind: 'accepted', webhook: request.kind, messageSid: envelope.messageSid };
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
type EnvelopeFields = DistributiveOmit<QueuedEnvelope, 'sealed' | 'v' | 'receivedAt'> & {
  readonly sealedId: string;
};

function envelopeFields(
  request: WebhookRequest,
  data: InboundMessage | StatusCallback,
  index: BlindIndexer,
): EnvelopeFields {
  const idempotency = request.idempotencyToken ? { idempotencyToken: request.idempotencyToken } : {};
  if (request.kind === 'message') {
    const m = data as InboundMessage;
    return {
      kind: 'message',
      messageSid: m.MessageSid,
      accountSid: m.AccountSid,
      ...(m.MessagingServiceSid ? { messagingServiceSid: m.MessagingServiceSid } : {}),
      fromIndex: index(m.From),
      toIndex: index(m.To),
      numMedia: Number(m.NumMedia),
      ...idempotency,
      sealedId: m.MessageSid,
    };
  }
  const s = data as StatusCallback;
  return {
    kind: 'status',
    messageSid: s.MessageSid,
    accountSid: s.AccountSid,
    status: s.MessageStatus,
    ...(s.ErrorCode ? { errorCode: s.ErrorCode } : {}),
    ...(s.From ? { fromIndex: index(s.From) } : {}),
    ...(s.To ? { toIndex: index(s.To) } : {}),
    ...idempotency,
    sealedId: statusSealId(s.MessageSid, s.MessageStatus),
  };
}

/** The encryption-context id of a status update's sealed record. */
export function statusSealId(messageSid: string, status: string): string {
  return `${messageSid}/${status}`;
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
    /** Index of the token that verified (0 current, 1 previous), or -1. */
    const verifiedBy = (candidates: readonly string[]) => {
      for (const url of request.urls) {
        const t = deps.verifier.verify({ url, params, signature: request.signature, tokens: candidates });
        if (t >= 0) return t;
      }
      return -1;
    };
    const cached = tokens.length > 0 ? verifiedBy(tokens) : -1;
    if (cached === 0) return 'verified';
    // A previous-token hit is re-checked against a fresh read (at most once per refresh interval), so
    // an emergency revocation (AWSPREVIOUS removed: npm run rotate -- --revoke-previous) takes effect
    // within that interval instead of the cache age. A miss may mean the token was just rotated (or
    // set for the first time): look again, likewise rate-limited.
    const fresh = await deps.tokens.refreshedTokens(secretId).catch(() => undefined);
    // Refreshed moments ago (or Secrets Manager unreachable): the cached previous token is within its grace.
    if (fresh === undefined && cached > 0) return 'verified';
    if (fresh && fresh.length > 0 && verifiedBy(fresh) >= 0) return 'verified';
    if ((fresh ?? tokens).length === 0) {
      // No real token yet (first deploy: the secret holds its placeholder). Nothing can verify, so
      // nothing is stored; 503 lets Twilio retry (#rp=5xx) once the operator has set the token.
      deps.metrics.count(MetricName.TwilioTokenNotConfigured);
      deps.logger.error(LogEvent.twilioTokenNotConfigured, { accountSid });
      return unavailable('token_not_configured');
    }
  }
  deps.metrics.count(MetricName.SignatureFailures);
  deps.logger.security(LogEvent.signatureRejected, {
    accountKnown: secretId !== undefined,
    signaturePresent: request.signature !== undefined,
    from: single(params, 'From') ? maskPhone(single(params, 'From') as string) : undefined,
  });
  return rejected('signature');
}

function invalid(deps: WebhookCoreDeps, kind: WebhookKind, fields: string | string[]): WebhookOutcome {
  deps.metrics.count(MetricName.InvalidPayloads);
  deps.logger.warn(LogEvent.invalidPayload, { kind, fields });
  return rejected('invalid');
}
