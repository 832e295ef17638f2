// A corpus of realistic Twilio webhook payloads built from Twilio's documented parameters
// (https://www.twilio.com/docs/messaging/guides/webhook-request, the WhatsApp webhook fields,
// https://www.twilio.com/docs/messaging/api/message-resource#message-status-values for statuses), plus
// the shapes Twilio may send that our schema does not know yet. Every payload is genuine: signed with
// the account's token by the test. Each has a unique MessageSid so it can be found afterwards.

import { inboundParams, randomSid } from './api-events.js';

export type CorpusParams = Record<string, string | string[]>;

export interface CorpusCase {
  readonly name: string;
  readonly route: 'message' | 'status';
  readonly params: CorpusParams;
  /** Values that must never appear in clear in the database. */
  readonly secrets: readonly string[];
}

const FROM = '+14155550142';
const TO = '+14155550199';
const BODY_MARK = 'corpus-body';

/** An inbound SMS as Twilio posts it: the test suite's usual one, with the corpus's numbers and marked body. */
function sms(accountSid: string, overrides: CorpusParams = {}): CorpusParams {
  return {
    ...inboundParams({
      Body: `${BODY_MARK} hello`,
      To: TO,
      From: FROM,
      AccountSid: accountSid,
      MessagingServiceSid: randomSid('MG'),
    }),
    ...overrides,
  };
}

function status(accountSid: string, overrides: CorpusParams = {}): CorpusParams {
  const sid = randomSid('SM');
  return {
    MessageSid: sid,
    SmsSid: sid,
    AccountSid: accountSid,
    MessageStatus: 'delivered',
    SmsStatus: 'delivered',
    From: TO,
    To: FROM,
    ApiVersion: '2010-04-01',
    ...overrides,
  };
}

const DOCUMENTED_STATUSES = [
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
];
const UNKNOWN_STATUSES = ['delivery_unknown', 'processing', 'Delivered', 'sent-to-carrier'];
const DOCUMENTED_CHANNELS = ['whatsapp', 'messenger', 'rcs', 'apple', 'line', 'wechat', 'kakao', 'viber'];
const UNDOCUMENTED_CHANNELS = ['gbm', 'telegram', 'instagram', 'x-future'];
/** Alphanumeric sender IDs: Twilio allows letters, digits, spaces and + - _ &. */
const ALPHANUMERIC_SENDERS = ['ACME-Shop', 'My_Store', 'A&B Bank', 'Pay+', 'Dr.Who', 'Verify 24', 'ZZ'];
const BIDI_AND_ZERO_WIDTH = [
  '\u202eevil.exe\u202c',
  'zero\u200bwidth\u200djoiner\ufeff',
  'مرحبا بالعالم',
  'שלום עולם',
  'e\u0301\u0301\u0301 combining',
  '\u2066isolate\u2069 \u200e\u200f marks',
];

export function twilioCorpus(accountSid: string): CorpusCase[] {
  const cases: CorpusCase[] = [];
  const add = (name: string, route: CorpusCase['route'], params: CorpusParams, secrets: string[] = []) =>
    cases.push({ name, route, params, secrets: [FROM, TO, ...secrets] });

  add('plain SMS', 'message', sms(accountSid));
  add('SMS without a messaging service', 'message', sms(accountSid, { MessagingServiceSid: [] }));
  add('SMS from a short code', 'message', sms(accountSid, { From: '898211' }));
  add('SMS to a short code', 'message', sms(accountSid, { To: '24273' }));
  add('SMS with an empty body', 'message', sms(accountSid, { Body: '' }));
  add(
    'SMS that looks like SQL',
    'message',
    sms(accountSid, { Body: `${BODY_MARK}'; DROP TABLE messages;--` }),
  );
  add('SMS that looks like XSS', 'message', sms(accountSid, { Body: `<script>${BODY_MARK}</script>` }));
  add('SMS with a forwarded flag', 'message', sms(accountSid, { Forwarded: 'true' }));

  // Long concatenated bodies: 1,600 characters is Twilio's SMS limit, 4,096 for WhatsApp.
  for (const [label, length] of [
    ['1,600 GSM characters', 1600],
    ['1,601 characters', 1601],
    ['3,000 characters', 3000],
  ] as const) {
    const body = `${BODY_MARK} ${'x'.repeat(length - BODY_MARK.length - 1)}`;
    add(`SMS of ${label}`, 'message', sms(accountSid, { Body: body }), [body]);
  }
  add('SMS of 1,600 emoji', 'message', sms(accountSid, { Body: '😀'.repeat(1600) }));
  add('SMS of 1,601 emoji', 'message', sms(accountSid, { Body: '😀'.repeat(1601) }));
  add(
    'WhatsApp of 4,096 characters',
    'message',
    sms(accountSid, {
      From: `whatsapp:${FROM}`,
      To: `whatsapp:${TO}`,
      Body: `${BODY_MARK}${'w'.repeat(4085)}`,
    }),
  );
  add(
    'WhatsApp of 4,097 characters',
    'message',
    sms(accountSid, {
      From: `whatsapp:${FROM}`,
      To: `whatsapp:${TO}`,
      Body: `${BODY_MARK}${'w'.repeat(4086)}`,
    }),
  );

  // MMS: up to ten media, each with a URL and a content type.
  const media = (n: number): CorpusParams => {
    const params: CorpusParams = { NumMedia: String(n) };
    for (let i = 0; i < n; i++) {
      params[`MediaUrl${i}`] =
        `https://api.twilio.com/2010-04-01/Accounts/${accountSid}/Messages/MM${'0'.repeat(32)}/Media/ME${String(i).padStart(32, '0')}`;
      params[`MediaContentType${i}`] = ['image/jpeg', 'image/png', 'video/mp4', 'audio/ogg', 'text/vcard'][
        i % 5
      ] as string;
    }
    return params;
  };
  add('MMS with one image', 'message', sms(accountSid, { ...media(1), MessageSid: randomSid('MM') }));
  add('MMS with ten media', 'message', sms(accountSid, { ...media(10), MessageSid: randomSid('MM') }));
  add('MMS claiming eleven media', 'message', sms(accountSid, { ...media(11), MessageSid: randomSid('MM') }));
  add('MMS with a vCard and no body', 'message', sms(accountSid, { ...media(1), Body: '' }));

  // WhatsApp: profile, buttons, click-to-WhatsApp referrals, location, replies.
  const wa = (overrides: CorpusParams) =>
    sms(accountSid, {
      From: `whatsapp:${FROM}`,
      To: `whatsapp:${TO}`,
      ProfileName: 'Ana María 🌻',
      WaId: FROM.slice(1),
      ...overrides,
    });
  add('WhatsApp text', 'message', wa({}));
  add(
    'WhatsApp quick reply',
    'message',
    wa({ ButtonText: 'Yes please', ButtonPayload: 'confirm-order-42', MessageType: 'button' }),
  );
  add(
    'WhatsApp click-to-WhatsApp referral',
    'message',
    wa({
      ReferralBody: 'Spring sale',
      ReferralHeadline: 'Up to 50% off',
      ReferralSourceId: '1234567890',
      ReferralSourceType: 'ad',
      ReferralSourceUrl: 'https://fb.me/abc',
      ReferralMediaId: '987654321',
      ReferralMediaContentType: 'image/jpeg',
      ReferralMediaUrl: 'https://scontent.example/referral.jpg',
      ReferralNumMedia: '1',
      ReferralCtwaClid:
        'ARAkLkA8rmlFeiCktEJQ-QTwRiyYHAFDLMNDBH0CD3qpjd0HR4irJ6LEkR7JwFF4XvnO2E4Nx0-eM-GABDLOPaOdRMv-_zfUQ2a',
    }),
  );
  add(
    'WhatsApp location',
    'message',
    wa({ Latitude: '-33.8688', Longitude: '151.2093', Address: 'Sydney NSW', Label: 'Office', Body: '' }),
  );
  add(
    'WhatsApp reply to a message',
    'message',
    wa({ OriginalRepliedMessageSender: `whatsapp:${TO}`, OriginalRepliedMessageSid: randomSid('SM') }),
  );
  add('WhatsApp forwarded many times', 'message', wa({ Forwarded: 'true', FrequentlyForwarded: 'true' }));
  add(
    'WhatsApp with channel metadata',
    'message',
    wa({ ChannelMetadata: JSON.stringify({ type: 'whatsapp', data: { context: { ProfileName: 'Ana' } } }) }),
  );

  // Channel addresses: every prefix Twilio documents, and a few it does not.
  for (const channel of [...DOCUMENTED_CHANNELS, ...UNDOCUMENTED_CHANNELS]) {
    add(
      `${channel}: inbound`,
      'message',
      sms(accountSid, { From: `${channel}:${FROM}`, To: `${channel}:${TO}` }),
    );
    add(
      `${channel}: status`,
      'status',
      status(accountSid, { From: `${channel}:${TO}`, To: `${channel}:${FROM}` }),
    );
  }
  add(
    'Messenger page-scoped id',
    'message',
    sms(accountSid, { From: 'messenger:2468135790123456', To: 'messenger:1357924680' }),
  );

  // Alphanumeric senders with punctuation (status callbacks of outbound messages carry them as From).
  for (const sender of ALPHANUMERIC_SENDERS) {
    add(`status from sender "${sender}"`, 'status', status(accountSid, { From: sender }));
    add(`inbound to sender "${sender}"`, 'message', sms(accountSid, { To: sender }));
  }

  // Every documented status, plus ones Twilio may add.
  for (const s of [...DOCUMENTED_STATUSES, ...UNKNOWN_STATUSES]) {
    add(`status ${s}`, 'status', status(accountSid, { MessageStatus: s, SmsStatus: s }));
    add(`status ${s} without From/To`, 'status', status(accountSid, { MessageStatus: s, From: [], To: [] }));
  }
  add(
    'undelivered with an error code',
    'status',
    status(accountSid, {
      MessageStatus: 'undelivered',
      ErrorCode: '30003',
      ErrorMessage: 'Unreachable destination handset',
    }),
  );
  add(
    'failed with a 5-digit error',
    'status',
    status(accountSid, { MessageStatus: 'failed', ErrorCode: '30007' }),
  );
  add('delivered with RawDlrDoneDate', 'status', status(accountSid, { RawDlrDoneDate: '2611301205' }));
  add(
    'status with ChannelPrefix',
    'status',
    status(accountSid, { ChannelPrefix: 'whatsapp', From: `whatsapp:${TO}`, To: `whatsapp:${FROM}` }),
  );
  add(
    'status with an error code that is not numeric',
    'status',
    status(accountSid, { MessageStatus: 'failed', ErrorCode: 'X1' }),
  );

  // Repeated keys (form bodies may repeat a key; twilio-node signs every value).
  add('repeated Body', 'message', sms(accountSid, { Body: [`${BODY_MARK} one`, `${BODY_MARK} two`] }));
  add(
    'repeated MediaUrl0',
    'message',
    sms(accountSid, { ...media(1), MediaUrl0: ['https://a.example/1.jpg', 'https://a.example/2.jpg'] }),
  );
  add('repeated unknown key', 'status', status(accountSid, { Tag: ['a', 'b', 'c'] }));

  // Bidi overrides and zero-width characters in bodies and names.
  for (const text of BIDI_AND_ZERO_WIDTH) {
    add(`body ${JSON.stringify(text)}`, 'message', sms(accountSid, { Body: `${BODY_MARK} ${text}` }));
  }
  add('profile name with bidi', 'message', wa({ ProfileName: '\u202eAdmin\u202c' }));

  // Many parameters, and fields Twilio adds later.
  const extra = (n: number): CorpusParams =>
    Object.fromEntries(Array.from({ length: n }, (_, i) => [`AddOnField${i}`, `v${i}`]));
  add('SMS with 60 extra fields', 'message', sms(accountSid, extra(60)));
  add('SMS with 120 parameters in all', 'message', sms(accountSid, extra(100)));
  add('SMS with 200 parameters', 'message', sms(accountSid, extra(180)));
  add('status with 200 parameters', 'status', status(accountSid, extra(192)));
  add(
    'unknown field of 5,000 characters',
    'message',
    sms(accountSid, { AddOns: JSON.stringify({ status: 'successful', blob: 'b'.repeat(5000) }) }),
  );
  add(
    'unknown field of 4,096 characters',
    'status',
    status(accountSid, { StructuredMessage: 's'.repeat(4096) }),
  );

  // Twilio omits empty optional fields; `[]` above means "leave the key out".
  return cases.map((c) => ({
    ...c,
    params: Object.fromEntries(
      Object.entries(c.params).filter(([, v]) => !(Array.isArray(v) && v.length === 0)),
    ) as CorpusParams,
  }));
}
