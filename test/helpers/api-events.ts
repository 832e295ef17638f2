// Factories for API Gateway REST proxy events and Twilio-signed webhook requests.

import { randomBytes } from 'node:crypto';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks';

export const ACCOUNT_SID = `AC${'1'.repeat(32)}`;
export const OTHER_ACCOUNT_SID = `AC${'2'.repeat(32)}`;
export const PUBLIC_BASE_URL = 'https://hooks.example.test/v1';

export function randomSid(prefix: string): string {
  return prefix + randomBytes(16).toString('hex');
}

export function apiEvent(overrides: Partial<APIGatewayProxyEvent> = {}): APIGatewayProxyEvent {
  const path = overrides.path ?? '/webhooks/twilio/messages';
  return {
    resource: overrides.resource ?? path,
    path,
    httpMethod: 'POST',
    headers: {},
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    body: null,
    isBase64Encoded: false,
    requestContext: {
      accountId: '123456789012',
      apiId: 'local',
      authorizer: null,
      protocol: 'HTTP/1.1',
      httpMethod: overrides.httpMethod ?? 'POST',
      identity: { sourceIp: '203.0.113.7' } as APIGatewayProxyEvent['requestContext']['identity'],
      path,
      stage: 'v1',
      requestId: randomBytes(8).toString('hex'),
      requestTimeEpoch: Date.now(),
      resourceId: 'r',
      resourcePath: path,
    },
    ...overrides,
  } as APIGatewayProxyEvent;
}

export function inboundParams(overrides: Record<string, string> = {}): Record<string, string> {
  const sid = randomSid('SM');
  return {
    ToCountry: 'US',
    ToState: 'CA',
    SmsMessageSid: sid,
    NumMedia: '0',
    ToCity: 'SAN FRANCISCO',
    FromZip: '94105',
    SmsSid: sid,
    FromState: 'CA',
    SmsStatus: 'received',
    FromCity: 'SAN FRANCISCO',
    Body: 'Hello from the test suite',
    FromCountry: 'US',
    To: '+14155550100',
    ToZip: '94105',
    NumSegments: '1',
    MessageSid: sid,
    AccountSid: ACCOUNT_SID,
    From: '+14155550111',
    ApiVersion: '2010-04-01',
    ...overrides,
  };
}

export function statusParams(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    MessageSid: randomSid('SM'),
    SmsSid: randomSid('SM'),
    AccountSid: ACCOUNT_SID,
    MessageStatus: 'delivered',
    SmsStatus: 'delivered',
    From: '+14155550100',
    To: '+14155550111',
    ApiVersion: '2010-04-01',
    ...overrides,
  };
}

/** A form body; an array value repeats its key once per value, in order (as a form may). */
export function formBody(params: Record<string, string | readonly string[]>): string {
  return new URLSearchParams(
    Object.entries(params).flatMap(([key, value]): [string, string][] =>
      typeof value === 'string' ? [[key, value]] : value.map((v): [string, string] => [key, v]),
    ),
  ).toString();
}

/** A webhook event signed the way Twilio signs it (twilio-node's own helper). */
export function signedWebhookEvent(options: {
  token: string;
  /** An array value is a repeated key, signed as twilio-node signs it. */
  params: Record<string, string | readonly string[]>;
  path?: string;
  baseUrl?: string;
  base64?: boolean;
  headers?: Record<string, string>;
}): APIGatewayProxyEvent {
  const path = options.path ?? '/webhooks/twilio/messages';
  const url = (options.baseUrl ?? PUBLIC_BASE_URL) + path;
  const signature = getExpectedTwilioSignature(options.token, url, options.params);
  const body = formBody(options.params);
  return apiEvent({
    path,
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      'X-Twilio-Signature': signature,
      'I-Twilio-Idempotency-Token': randomBytes(8).toString('hex'),
      ...options.headers,
    },
    body: options.base64 ? Buffer.from(body).toString('base64') : body,
    isBase64Encoded: options.base64 ?? false,
  });
}

/** An incoming call as Twilio posts it (https://www.twilio.com/docs/usage/webhooks/voice-webhooks). */
export function callParams(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    AccountSid: ACCOUNT_SID,
    ApiVersion: '2010-04-01',
    CallSid: randomSid('CA'),
    CallStatus: 'ringing',
    Called: '+14155550100',
    CalledCity: 'SAN FRANCISCO',
    CalledCountry: 'US',
    CalledState: 'CA',
    CalledZip: '94105',
    Caller: '+14155550199',
    CallerCity: 'OAKLAND',
    CallerCountry: 'US',
    CallerState: 'CA',
    CallerZip: '94612',
    Direction: 'inbound',
    From: '+14155550199',
    FromCity: 'OAKLAND',
    FromCountry: 'US',
    FromState: 'CA',
    FromZip: '94612',
    To: '+14155550100',
    ToCity: 'SAN FRANCISCO',
    ToCountry: 'US',
    ToState: 'CA',
    ToZip: '94105',
    ...overrides,
  };
}

/** A call status callback: the call's parameters plus SequenceNumber, Timestamp, CallDuration. */
export function callStatusParams(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    ...callParams(),
    CallStatus: 'completed',
    CallDuration: '42',
    Duration: '1',
    SequenceNumber: '3',
    Timestamp: 'Sat, 28 Nov 2026 12:00:42 +0000',
    CallbackSource: 'call-progress-events',
    ...overrides,
  };
}

/** A recording status callback: it names the call and the recording, never a number. */
export function recordingParams(overrides: Record<string, string> = {}): Record<string, string> {
  const recordingSid = randomSid('RE');
  return {
    AccountSid: ACCOUNT_SID,
    CallSid: randomSid('CA'),
    RecordingSid: recordingSid,
    RecordingUrl: `https://api.twilio.com/2010-04-01/Accounts/${ACCOUNT_SID}/Recordings/${recordingSid}`,
    RecordingStatus: 'completed',
    RecordingDuration: '41',
    RecordingChannels: '1',
    RecordingStartTime: 'Sat, 28 Nov 2026 12:00:01 +0000',
    RecordingSource: 'RecordVerb',
    RecordingTrack: 'both',
    ...overrides,
  };
}
