// Realistic Twilio webhook payloads (https://www.twilio.com/docs/messaging/guides/webhook-request),
// with fictional numbers (555-01xx) and bodies that exercise form encoding (+, &, =, emoji).

import { randomBytes, randomInt } from 'node:crypto';

export type Params = Record<string, string>;

export const randomSid = (prefix: string): string => prefix + randomBytes(16).toString('hex');

/** The number the simulated customers text: one Signalgate number, as in a real deployment. */
export const SIGNALGATE_NUMBER = '+14155550100';

const BODIES = [
  'Hi! Is my order #{n} on its way?',
  'STOP',
  'Can I move my appointment to 3pm? a+b=c & "quotes" too',
  'Merci beaucoup 🙏 — à demain',
  'YES',
  'Where do I send the photos? 📷',
  '100% sure: 2 + 2 = 4; 50% off?',
];

const PLACES = [
  { city: 'SAN FRANCISCO', state: 'CA', zip: '94105' },
  { city: 'BROOKLYN', state: 'NY', zip: '11201' },
  { city: 'AUSTIN', state: 'TX', zip: '78701' },
];

export function customerNumber(): string {
  return `+1${['415', '212', '512'][randomInt(3)]}55501${String(randomInt(100)).padStart(2, '0')}`;
}

export function inboundMessage(accountSid: string, n: number): Params {
  const messageSid = randomSid('SM');
  const from = customerNumber();
  const place = PLACES[n % PLACES.length] ?? PLACES[0];
  const body = (BODIES[n % BODIES.length] ?? 'hello').replace('{n}', String(n));
  return {
    ToCountry: 'US',
    ToState: 'CA',
    SmsMessageSid: messageSid,
    NumMedia: '0',
    ToCity: 'SAN FRANCISCO',
    FromZip: place?.zip ?? '',
    SmsSid: messageSid,
    FromState: place?.state ?? '',
    SmsStatus: 'received',
    FromCity: place?.city ?? '',
    Body: `${body} [sim ${n}]`,
    FromCountry: 'US',
    To: SIGNALGATE_NUMBER,
    ToZip: '94105',
    NumSegments: '1',
    MessageSid: messageSid,
    AccountSid: accountSid,
    From: from,
    ApiVersion: '2010-04-01',
  };
}

/** Delivery statuses of an outbound reply, in the order Twilio reports them. */
export const STATUS_SEQUENCE = ['queued', 'sent', 'delivered', 'undelivered'] as const;

export function statusCallback(accountSid: string, messageSid: string, status: string, to: string): Params {
  return {
    SmsSid: messageSid,
    SmsStatus: status,
    MessageStatus: status,
    To: to,
    MessageSid: messageSid,
    AccountSid: accountSid,
    From: SIGNALGATE_NUMBER,
    ApiVersion: '2010-04-01',
    ...(status === 'undelivered' ? { ErrorCode: '30003' } : {}),
  };
}

/**
 * An incoming call to the Signalgate number (https://www.twilio.com/docs/usage/webhooks/voice-webhooks),
 * from a fictional customer.
 */
export function incomingCall(accountSid: string, n: number): Params {
  const from = customerNumber();
  const place = PLACES[n % PLACES.length] ?? PLACES[0];
  return {
    AccountSid: accountSid,
    ApiVersion: '2010-04-01',
    CallSid: randomSid('CA'),
    CallStatus: 'ringing',
    Called: SIGNALGATE_NUMBER,
    CalledCountry: 'US',
    Caller: from,
    CallerCity: place?.city ?? '',
    CallerCountry: 'US',
    Direction: 'inbound',
    From: from,
    FromCity: place?.city ?? '',
    FromState: place?.state ?? '',
    FromZip: place?.zip ?? '',
    FromCountry: 'US',
    To: SIGNALGATE_NUMBER,
    ToCountry: 'US',
  };
}

/** Call statuses Twilio reports for an answered inbound call, in order (SequenceNumber 0, 1, 2). */
export const CALL_STATUS_SEQUENCE = ['ringing', 'in-progress', 'completed'] as const;

export function callStatusCallback(call: Params, status: string, sequenceNumber: number): Params {
  return {
    ...call,
    CallStatus: status,
    SequenceNumber: String(sequenceNumber),
    Timestamp: new Date().toUTCString().replace('GMT', '+0000'),
    CallbackSource: 'call-progress-events',
    ...(status === 'completed' ? { CallDuration: String(30 + sequenceNumber), Duration: '1' } : {}),
  };
}

/** A recording status callback for a call: it names the call and the recording, never a number. */
export function recordingCallback(call: Params): Params {
  const recordingSid = randomSid('RE');
  return {
    AccountSid: call.AccountSid as string,
    CallSid: call.CallSid as string,
    RecordingSid: recordingSid,
    RecordingUrl: `https://api.twilio.com/2010-04-01/Accounts/${call.AccountSid}/Recordings/${recordingSid}`,
    RecordingStatus: 'completed',
    RecordingDuration: '29',
    RecordingChannels: '1',
    RecordingSource: 'RecordVerb',
    RecordingStartTime: new Date().toUTCString().replace('GMT', '+0000'),
  };
}
