// Real queued envelopes, made by the webhook handler itself (in-memory ports), for the ingest benches.

import type { QueuedEnvelope } from '../../lambda/shared/ports.js';
import { inboundParams, signedWebhookEvent } from '../../test/helpers/api-events.js';
import { webhookFixture } from '../../test/helpers/webhook-fixture.js';

/** `count` distinct inbound messages as the webhook queues them (sealed, blind-indexed). */
export async function webhookEnvelopes(count: number): Promise<QueuedEnvelope[]> {
  const fixture = webhookFixture();
  for (let i = 0; i < count; i++) {
    const res = await fixture.handler(
      signedWebhookEvent({ token: fixture.token, params: inboundParams({ Body: `bench message ${i}` }) }),
    );
    if (res.statusCode !== 200) throw new Error(`webhook answered ${res.statusCode} while making envelopes`);
  }
  return fixture.queue.sent;
}
