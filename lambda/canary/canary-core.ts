// One canary run (ARCHITECTURE §6): a signed synthetic message through the public URL, then its sid looked for in
// /admin/health's latestSynthetic until seen or timed out; CanarySuccess (1/0) and CanaryLatencyMs tell the alarms.
import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks';
import type { Logger } from '../shared/logger.js';
import type { Metrics } from '../shared/metrics.js';
import { LogEvent, MetricName, Route, SyntheticKind } from '../shared/names.js';
import type { Clock } from '../shared/ports.js';
import { syntheticMessage } from '../shared/synthetic-message.js';
import { webhookUrl } from '../shared/webhook-url.js';

export interface CanaryDeps {
  /** Public base URL, the one Twilio signatures are computed over. */
  readonly publicBaseUrl: string;
  /** The webhook URLs' configured query string, if any: the canary signs and calls the URL Twilio would. */
  readonly webhookQuery?: string;
  /** The first configured Twilio account and its current auth token. */
  readonly twilio: () => Promise<{ accountSid: string; authToken: string }>;
  /** POSTs a form to a URL; resolves with the status. */
  readonly post: (url: string, headers: Record<string, string>, body: string) => Promise<number>;
  /** The sid of the synthetic message /admin/health reports stored last (null: none). */
  readonly latestSyntheticSid: () => Promise<string | null>;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly sleep: (ms: number) => Promise<void>;
  readonly timeoutMs: number;
  /** @default 2000 */
  readonly pollMs?: number;
}

export type CanaryResult =
  | { readonly ok: true; readonly messageSid: string; readonly latencyMs: number }
  | { readonly ok: false; readonly messageSid?: string; readonly reason: string };

export async function runCanary(deps: CanaryDeps): Promise<CanaryResult> {
  const result = await attempt(deps);
  deps.metrics.count(MetricName.CanarySuccess, result.ok ? 1 : 0);
  if (result.ok) deps.metrics.count(MetricName.CanaryLatencyMs, result.latencyMs);
  if (result.ok)
    deps.logger.info(LogEvent.canaryStored, { messageSid: result.messageSid, latencyMs: result.latencyMs });
  else deps.logger.error(LogEvent.canaryFailed, { messageSid: result.messageSid, reason: result.reason });
  deps.metrics.flush();
  return result;
}

async function attempt(deps: CanaryDeps): Promise<CanaryResult> {
  let twilio: { accountSid: string; authToken: string };
  try {
    twilio = await deps.twilio();
  } catch {
    return { ok: false, reason: 'Twilio token unreadable' };
  }
  const message = syntheticMessage(twilio.accountSid, SyntheticKind.canary);
  const messageSid = String(message.MessageSid);
  const url = webhookUrl(deps.publicBaseUrl, Route.messages, deps.webhookQuery);
  const start = deps.clock.now();
  let status: number;
  try {
    status = await deps.post(
      url,
      {
        'Content-Type': 'application/x-www-form-urlencoded',
        'X-Twilio-Signature': getExpectedTwilioSignature(twilio.authToken, url, message),
      },
      new URLSearchParams(message).toString(),
    );
  } catch {
    return { ok: false, messageSid, reason: 'public URL unreachable' };
  }
  if (status !== 200) return { ok: false, messageSid, reason: `webhook answered ${status}` };
  for (;;) {
    try {
      if ((await deps.latestSyntheticSid()) === messageSid) {
        return { ok: true, messageSid, latencyMs: deps.clock.now() - start };
      }
    } catch {
      // An admin hiccup is retried until the deadline; the deadline decides.
    }
    if (deps.clock.now() - start >= deps.timeoutMs) {
      return { ok: false, messageSid, reason: `not stored within ${Math.round(deps.timeoutMs / 1000)} s` };
    }
    await deps.sleep(deps.pollMs ?? 2000);
  }
}
