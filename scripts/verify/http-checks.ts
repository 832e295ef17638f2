// The checks every deployment answers over HTTP (AWS or the local stack): health, a refused unsigned message,
// a signed synthetic message accepted and then seen stored through /admin/health, admin health green, and
// the voice route: an unsigned call refused, a signed test call answered with TwiML (where voice is on).

import { randomBytes } from 'node:crypto';
import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks';
import { Route, SYNTHETIC_PARAM, SyntheticKind } from '../../lambda/shared/names.js';
import { syntheticMessage } from '../../lambda/shared/synthetic-message.js';
import { type Check, CheckFailedError } from './checklist.js';

export interface HttpTarget {
  /** The public base URL (the one Twilio signatures are computed over), without a trailing slash. */
  readonly baseUrl: string;
  readonly accountSid: string;
  readonly twilioToken: string;
  readonly adminToken: string;
}

export interface HttpCheckOptions {
  readonly fetch?: typeof fetch;
  /** How long to wait for the test message to be stored. @default 60 s */
  readonly storeTimeoutMs?: number;
  readonly pollMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

export const CheckName = {
  health: 'public health answers 200',
  unsigned: 'an unsigned message is refused (403)',
  signed: 'a signed test message is accepted (200)',
  adminHealth: 'admin health is green',
  stored: 'the test message was stored',
  voice: 'the voice route answers a signed test call with TwiML (200)',
  deployment: 'deployment found (stack outputs, secrets)',
  alarm: 'an alarm reaches on-call (SNS delivered)',
  waf: 'the WAF protects the API stage',
} as const;

const sleepMs = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function send(doFetch: typeof fetch, url: string, init: RequestInit): Promise<Response> {
  try {
    return await doFetch(url, { ...init, signal: AbortSignal.timeout(15_000) });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    throw new CheckFailedError(`nothing answers at ${url}${cause ? ` (${cause})` : ''}`);
  }
}

/** The HTTP checks, given where and with which tokens; the test message's sid links "accepted" and "stored". */
export function httpChecks(targetOf: () => HttpTarget, options: HttpCheckOptions = {}): Check[] {
  const doFetch = options.fetch ?? fetch;
  const sleep = options.sleep ?? sleepMs;
  // Built on first use: with --env the target is known only once the stack outputs are read.
  let built: { target: HttpTarget; message: Record<string, string> } | undefined;
  const test = () => {
    if (!built) {
      const target = targetOf();
      const message = syntheticMessage(target.accountSid, SyntheticKind.verify);
      built = { target, message };
    }
    const { target, message } = built;
    return {
      target,
      message,
      sid: String(message.MessageSid),
      messagesUrl: `${target.baseUrl}${Route.messages}`,
      form: new URLSearchParams(message).toString(),
    };
  };
  const adminHealth = async () => {
    const { target } = test();
    const res = await send(doFetch, `${target.baseUrl}${Route.adminHealth}`, {
      headers: { 'X-Admin-Token': target.adminToken },
    });
    if (res.status === 401) throw new CheckFailedError('the admin token was refused (401)');
    if (res.status !== 200) throw new CheckFailedError(`GET ${Route.adminHealth} answered ${res.status}`);
    return (await res.json()) as {
      status?: string;
      database?: { reachable?: boolean; migrationsCurrent?: boolean };
      latestSynthetic?: { messageSid?: string } | null;
    };
  };

  return [
    {
      name: CheckName.health,
      async run() {
        const { target } = test();
        const res = await send(doFetch, `${target.baseUrl}${Route.health}`, {});
        const body = await res.text();
        if (res.status !== 200) throw new CheckFailedError(`GET ${Route.health} answered ${res.status}`);
        if (!/"status"\s*:\s*"ok"/.test(body))
          throw new CheckFailedError(`GET ${Route.health} did not say ok`);
        return target.baseUrl;
      },
    },
    {
      name: CheckName.unsigned,
      needs: [CheckName.health],
      async run() {
        const { messagesUrl, form } = test();
        const res = await send(doFetch, messagesUrl, {
          method: 'POST',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
          body: form,
        });
        if (res.status !== 403)
          throw new CheckFailedError(`answered ${res.status}, not 403: forgeries may pass`);
        return '403';
      },
    },
    {
      name: CheckName.signed,
      needs: [CheckName.health],
      async run() {
        const { target, message, messagesUrl, form, sid } = test();
        const res = await send(doFetch, messagesUrl, {
          method: 'POST',
          headers: {
            'Content-Type': 'application/x-www-form-urlencoded',
            'X-Twilio-Signature': getExpectedTwilioSignature(target.twilioToken, messagesUrl, message),
          },
          body: form,
        });
        if (res.status === 403) {
          throw new CheckFailedError(
            `refused (403): the Twilio token or account (${target.accountSid}) is not the one the deployment holds, or ${target.baseUrl} is not its public URL`,
          );
        }
        if (res.status !== 200) throw new CheckFailedError(`answered ${res.status}, not 200`);
        return `${sid} queued`;
      },
    },
    {
      name: CheckName.adminHealth,
      needs: [CheckName.health],
      async run() {
        const health = await adminHealth();
        if (health.status !== 'ok') {
          const db = health.database;
          throw new CheckFailedError(
            `status ${String(health.status)}${db && !db.reachable ? ': database unreachable' : ''}${db?.reachable && !db.migrationsCurrent ? ': migrations behind' : ''}`,
          );
        }
        return 'ok';
      },
    },
    {
      name: CheckName.stored,
      needs: [CheckName.signed, CheckName.adminHealth],
      async run() {
        const { sid } = test();
        const timeout = options.storeTimeoutMs ?? 60_000;
        const deadline = Date.now() + timeout;
        for (;;) {
          const health = await adminHealth();
          if (health.latestSynthetic?.messageSid === sid) return `${sid} in the database`;
          if (Date.now() >= deadline) {
            throw new CheckFailedError(
              `not stored within ${Math.round(timeout / 1000)} s: look at the queue, the DLQ and the ingest logs`,
            );
          }
          await sleep(options.pollMs ?? 1000);
        }
      },
    },
    {
      name: CheckName.voice,
      needs: [CheckName.health],
      async run() {
        const { target } = test();
        const url = `${target.baseUrl}${Route.voice}`;
        // A test call with fictional numbers (555-01xx), marked synthetic in its sealed payload; stored as a
        // call, it goes with the environment's retention.
        const call = {
          AccountSid: target.accountSid,
          ApiVersion: '2010-04-01',
          CallSid: `CA${randomBytes(16).toString('hex')}`,
          CallStatus: 'ringing',
          Direction: 'inbound',
          From: '+14155550142',
          To: '+14155550143',
          [SYNTHETIC_PARAM]: SyntheticKind.verify,
        };
        const form = new URLSearchParams(call).toString();
        const headers = { 'Content-Type': 'application/x-www-form-urlencoded' };
        const unsigned = await send(doFetch, url, { method: 'POST', headers, body: form });
        if (unsigned.status === 404) return 'voice is not enabled in this deployment (404)';
        if (unsigned.status !== 403)
          throw new CheckFailedError(
            `an unsigned call answered ${unsigned.status}, not 403: forgeries may pass`,
          );
        const res = await send(doFetch, url, {
          method: 'POST',
          headers: {
            ...headers,
            'X-Twilio-Signature': getExpectedTwilioSignature(target.twilioToken, url, call),
          },
          body: form,
        });
        const body = await res.text();
        if (res.status !== 200) throw new CheckFailedError(`a signed call answered ${res.status}, not 200`);
        if (!/^text\/xml/.test(res.headers.get('content-type') ?? '') || !body.includes('<Response>'))
          throw new CheckFailedError('a signed call was not answered with TwiML');
        const verb = /<Response><(\w+)/.exec(body)?.[1] ?? 'nothing';
        return `unsigned 403, signed ${call.CallSid} answered <${verb}>`;
      },
    },
  ];
}
