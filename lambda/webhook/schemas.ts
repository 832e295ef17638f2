// zod schemas for what Twilio posts to the two webhook routes.
//
// Unknown parameters: Twilio adds fields over time and signs every one, so they never break
// verification. They are kept, sealed with the rest of the payload (they may hold PII), and are
// bounded in number and size by MAX_PARAMS and the body size limit.
// References: https://www.twilio.com/docs/messaging/guides/webhook-request and
// https://www.twilio.com/docs/messaging/guides/outbound-message-logging (status callbacks).

import * as z from 'zod';
import { MAX_MEDIA } from '../shared/envelope-schema.js';

/**
 * More parameters than Twilio's largest payloads carry (~40 plus media): such a payload, when signed, is
 * quarantined rather than refused (ARCHITECTURE §1), so this bounds the work of validation only.
 */
export const MAX_PARAMS = 120;
export { MAX_MEDIA };

/**
 * The checks a custom rule reports, as the `message` of its issue: quarantined rows name them, so they
 * come from this fixed vocabulary and never quote input.
 */
export const CustomCheck = { tooLong: 'too_long', tooMany: 'too_many', format: 'format' } as const;

const sid = (prefix: string) => z.string().regex(new RegExp(`^${prefix}[0-9a-fA-F]{32}$`), `a ${prefix} SID`);
const MessageSid = z.string().regex(/^(SM|MM|IM|RM)[0-9a-fA-F]{32}$/, 'a message SID');

const E164 = /^\+[1-9]\d{1,14}$/;
const SHORT_CODE = /^\d{3,8}$/;
// Twilio's alphanumeric sender IDs: up to 11 characters, at least one letter; letters, digits, spaces
// and `+ - _ &` are allowed (https://help.twilio.com/articles/223133767), dots appear in practice.
const ALPHANUMERIC_SENDER = /^(?=.*[A-Za-z])[A-Za-z0-9 +\-_&.]{1,11}$/;
const CHANNEL_ADDRESS =
  /^(whatsapp|messenger|rcs|apple|line|wechat|kakao|viber|email|chat|sms|mms):[^\s]{1,256}$/;

/** From/To: E.164, a short code, an alphanumeric sender id, or a channel address (`whatsapp:+…`). */
export const Address = z.string().refine(
  (v) => E164.test(v) || SHORT_CODE.test(v) || ALPHANUMERIC_SENDER.test(v) || CHANNEL_ADDRESS.test(v),
  // An E.164 number, short code, sender id or channel address; the name is all a quarantined row keeps.
  CustomCheck.format,
);

/** Twilio's documented body limits: 1,600 characters for SMS, 4,096 for WhatsApp and other channels. */
export function bodyLimitFor(address: string): number {
  return /^[a-z]+:/.test(address) ? 4096 : 1600;
}

/** Unicode code points, the unit Twilio's character limits are stated in. */
export function characterCount(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}

const numeric = z.string().regex(/^\d{1,6}$/);
const text = (max: number) => z.string().max(max);

export const InboundMessage = z
  .object({
    MessageSid,
    AccountSid: sid('AC'),
    MessagingServiceSid: sid('MG').optional(),
    SmsMessageSid: MessageSid.optional(),
    SmsSid: MessageSid.optional(),
    SmsStatus: text(32).optional(),
    From: Address,
    To: Address,
    // Hard cap in UTF-16 units: 4,096 characters of astral-plane text; the per-channel check below counts characters.
    Body: z
      .string()
      .max(2 * 4096)
      .default(''),
    NumMedia: numeric.default('0'),
    NumSegments: numeric.optional(),
    ApiVersion: text(16).optional(),
    FromCity: text(128).optional(),
    FromState: text(128).optional(),
    FromZip: text(32).optional(),
    FromCountry: text(8).optional(),
    ToCity: text(128).optional(),
    ToState: text(128).optional(),
    ToZip: text(32).optional(),
    ToCountry: text(8).optional(),
    ProfileName: text(256).optional(),
    WaId: text(32).optional(),
    Forwarded: text(8).optional(),
    Latitude: text(32).optional(),
    Longitude: text(32).optional(),
  })
  .catchall(z.union([z.string().max(4096), z.array(z.string().max(4096)).max(MAX_MEDIA)]))
  .superRefine((message, ctx) => {
    // Twilio's limits count characters; String.length counts UTF-16 units, so an emoji would count twice.
    if (characterCount(message.Body) > bodyLimitFor(message.From)) {
      ctx.addIssue({ code: 'custom', path: ['Body'], message: CustomCheck.tooLong });
    }
    const numMedia = Number(message.NumMedia);
    if (numMedia > MAX_MEDIA) {
      ctx.addIssue({ code: 'custom', path: ['NumMedia'], message: CustomCheck.tooMany });
      return;
    }
    const extra = message as Record<string, unknown>;
    for (let i = 0; i < numMedia; i++) {
      const url = extra[`MediaUrl${i}`];
      const type = extra[`MediaContentType${i}`];
      if (typeof url !== 'string' || !/^https:\/\/[^\s]+$/.test(url)) {
        ctx.addIssue({ code: 'custom', path: [`MediaUrl${i}`], message: CustomCheck.format });
      }
      if (typeof type !== 'string' || !/^[\w.+-]+\/[\w.+-]+$/.test(type)) {
        ctx.addIssue({ code: 'custom', path: [`MediaContentType${i}`], message: CustomCheck.format });
      }
    }
  });
export type InboundMessage = z.infer<typeof InboundMessage>;

export const MessageStatus = z.enum([
  'accepted',
  'scheduled',
  'canceled',
  'queued',
  'sending',
  'sent',
  'failed',
  'delivered',
  'undelivered',
  'receiving',
  'received',
  'read',
  'partially_delivered',
]);

export const StatusCallback = z
  .object({
    MessageSid,
    AccountSid: sid('AC'),
    MessageStatus,
    SmsSid: MessageSid.optional(),
    SmsStatus: text(32).optional(),
    MessagingServiceSid: sid('MG').optional(),
    ErrorCode: z
      .string()
      .regex(/^\d{1,6}$/)
      .optional(),
    ErrorMessage: text(512).optional(),
    From: Address.optional(),
    To: Address.optional(),
    ApiVersion: text(16).optional(),
    ChannelPrefix: text(32).optional(),
    RawDlrDoneDate: text(32).optional(),
  })
  .catchall(z.union([z.string().max(4096), z.array(z.string().max(4096)).max(MAX_MEDIA)]));
export type StatusCallback = z.infer<typeof StatusCallback>;
