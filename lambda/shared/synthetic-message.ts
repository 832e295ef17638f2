// The synthetic inbound message that npm run verify and the canary send: valid like a Twilio one, marked with
// SYNTHETIC_PARAM (names.ts) so that it is stored apart from real traffic.
import { randomBytes } from 'node:crypto';
import { SYNTHETIC_PARAM, type SyntheticKind } from './names.js';

/** Twilio's magic test number: never a real subscriber, so no export or erasure ever concerns it. */
export const SYNTHETIC_NUMBER = '+15005550006';

export function syntheticMessage(accountSid: string, kind: SyntheticKind): Record<string, string> {
  const messageSid = `SM${randomBytes(16).toString('hex')}`;
  return {
    MessageSid: messageSid,
    SmsMessageSid: messageSid,
    SmsSid: messageSid,
    AccountSid: accountSid,
    From: SYNTHETIC_NUMBER,
    To: SYNTHETIC_NUMBER,
    Body: `signalgate ${kind}: synthetic test message`,
    NumMedia: '0',
    NumSegments: '1',
    SmsStatus: 'received',
    ApiVersion: '2010-04-01',
    [SYNTHETIC_PARAM]: kind,
  };
}
