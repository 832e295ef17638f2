// Webhook URLs with a query string: the handler sees only the decoded parameter map (as API Gateway
// gives it), yet must verify what Twilio signed over the raw URL.
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks';
import { describe, expect, it } from 'vitest';
import { formBody, inboundParams, PUBLIC_BASE_URL, signedWebhookEvent } from '../../helpers/api-events.js';
import { webhookFixture } from '../../helpers/webhook-fixture.js';

const PATH = '/webhooks/twilio/messages';

/** The decoded maps of a raw query, as the local stack and API Gateway hand them to the handler. */
function decodedMaps(
  rawQuery: string,
): Pick<APIGatewayProxyEvent, 'queryStringParameters' | 'multiValueQueryStringParameters'> {
  const multi: Record<string, string[]> = {};
  const single: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(rawQuery)) {
    multi[key] = [...(multi[key] ?? []), value];
    single[key] = value;
  }
  const any = Object.keys(multi).length > 0;
  return { queryStringParameters: any ? single : null, multiValueQueryStringParameters: any ? multi : null };
}

async function answerFor(rawQuery: string): Promise<number> {
  const f = webhookFixture();
  const params = inboundParams();
  const event = signedWebhookEvent({ token: f.token, params });
  event.headers['X-Twilio-Signature'] = getExpectedTwilioSignature(
    f.token,
    `${PUBLIC_BASE_URL}${PATH}${rawQuery}`,
    params,
  );
  event.body = formBody(params);
  Object.assign(event, decodedMaps(rawQuery));
  return (await f.handler(event)).statusCode;
}

describe('signatures over webhook URLs with a query string', () => {
  it.each([
    '?tenant=acme',
    '?b=2&a=1',
    '?a=',
    '?a=b%20c',
    '?a=b+c',
    '?cb=https://example.com/x/y',
    '?a=x%2Fy',
    '?flag',
    '?a=%7E',
    '?a=~',
    '?a=%C3%A9',
    "?q=it's",
    '?q=%27x%27',
    '?a=1&a=2',
  ])('accepts a genuine webhook signed over %s', async (query) => {
    expect(await answerFor(query)).toBe(200);
  });

  // Spellings the decoded map loses (documented in docs/DEPLOY.md): interleaved repeated keys, empty
  // segments, and raw non-ASCII. Pinned so a change in behaviour is noticed either way.
  it.each(['?a=1&b=2&a=3', '?a=b&', '?&a=b', '?a=é'])(
    'cannot recover %s from the decoded map',
    async (query) => {
      expect(await answerFor(query)).toBe(403);
    },
  );

  it('still refuses a signature over another query', async () => {
    const f = webhookFixture();
    const params = inboundParams();
    const event = signedWebhookEvent({ token: f.token, params });
    event.headers['X-Twilio-Signature'] = getExpectedTwilioSignature(
      f.token,
      `${PUBLIC_BASE_URL}${PATH}?tenant=other`,
      params,
    );
    Object.assign(event, decodedMaps('?tenant=acme'));
    expect((await f.handler(event)).statusCode).toBe(403);
  });
});
