// Webhook URLs with a query string: the handler verifies against the configured URL only (its query string
// configured with it, WEBHOOK_QUERY), never a spelling rebuilt from API Gateway's decoded parameter map.
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { getExpectedTwilioSignature, validateRequest } from 'twilio/lib/webhooks/webhooks';
import { describe, expect, it } from 'vitest';
import { loadCanaryConfig } from '../../../lambda/canary/canary-config.js';
import { loadWebhookConfig } from '../../../lambda/webhook/webhook-config.js';
import { loadLocalConfig } from '../../../local/config.js';
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

/**
 * The status a handler configured with `configured` (WEBHOOK_QUERY) answers to a genuine webhook that
 * Twilio called at `?calledQuery` and signed over `?signedQuery`.
 */
async function answerFor(
  configured: string | undefined,
  signedQuery: string,
  calledQuery = signedQuery,
): Promise<number> {
  const f = webhookFixture(configured === undefined ? {} : { webhookQuery: configured });
  const params = inboundParams();
  const event = signedWebhookEvent({ token: f.token, params });
  event.headers['X-Twilio-Signature'] = getExpectedTwilioSignature(
    f.token,
    `${PUBLIC_BASE_URL}${PATH}${signedQuery}`,
    params,
  );
  event.body = formBody(params);
  Object.assign(event, decodedMaps(calledQuery));
  return (await f.handler(event)).statusCode;
}

describe('signatures over webhook URLs with a configured query string', () => {
  it.each([
    'tenant=acme',
    'b=2&a=1',
    'a=',
    'a=b%20c',
    'a=b+c',
    'cb=https://example.com/x/y',
    'a=x%2Fy',
    'flag',
    'a=%7E',
    'a=~',
    'a=%C3%A9',
    "q=it's",
    'a=1&a=2',
    // Spellings a decoded map cannot give back, which the configured URL verifies as it is.
    'a=1&b=2&a=3',
    'a=b&',
  ])('accepts a webhook signed over exactly the configured ?%s', async (query) => {
    expect(await answerFor(query, `?${query}`)).toBe(200);
  });

  it.each([
    // [configured, signed over]: the same parameters in another spelling, or another query altogether.
    ['a=b%20c', '?a=b+c'],
    ['a=x%2Fy', '?a=x/y'],
    ['flag=', '?flag'],
    ['b=2&a=1', '?a=1&b=2'],
    ['tenant=acme', '?tenant=other'],
    ['tenant=acme', ''],
  ])(
    'refuses (403) a signature over another spelling: configured %s, signed over %j',
    async (configured, signed) => {
      expect(await answerFor(configured, signed)).toBe(403);
    },
  );

  it("accepts what twilio-node's validateRequest accepts for the configured URL, and no more", async () => {
    // validateRequest also tries the configured URL with its query re-encoded by Node's legacy querystring
    // (`b+c` → `b%20c`, `flag` → `flag=`): variants of the configured URL, not of the request.
    for (const [configured, signed, expected] of [
      ['a=b+c', '?a=b%20c', 200],
      ['flag', '?flag=', 200],
      ['a=b%20c', '?a=b+c', 403],
    ] as const) {
      const token = '0123456789abcdef0123456789abcdef';
      const params = { AccountSid: `AC${'1'.repeat(32)}`, Body: 'x' };
      const signature = getExpectedTwilioSignature(token, `${PUBLIC_BASE_URL}${PATH}${signed}`, params);
      expect(validateRequest(token, signature, `${PUBLIC_BASE_URL}${PATH}?${configured}`, params)).toBe(
        expected === 200,
      );
      expect(await answerFor(configured, signed)).toBe(expected);
    }
  });

  it('refuses (403) a signature over a query string that is not configured, whatever the request carries', async () => {
    expect(await answerFor(undefined, '?tenant=acme')).toBe(403);
    expect(await answerFor(undefined, '?tenant=acme', '')).toBe(403);
  });

  it('verifies the configured URL even when the request carries another query string', async () => {
    expect(await answerFor(undefined, '', '?tenant=acme')).toBe(200);
    expect(await answerFor('tenant=acme', '?tenant=acme', '?tenant=other')).toBe(200);
  });
});

describe('a query string in the public URL is refused at config time', () => {
  const QUERY_IN_BASE_URL =
    'PUBLIC_BASE_URL: must not carry a query string or fragment (set the webhook query string in WEBHOOK_QUERY)';

  it('refuses it in the local stack with one line naming the variable', () => {
    expect(() =>
      loadLocalConfig({ PUBLIC_BASE_URL: 'https://hooks.example.test/v1?tenant=acme' }, []),
    ).toThrow(`invalid environment: ${QUERY_IN_BASE_URL}`);
    expect(() => loadLocalConfig({ PUBLIC_BASE_URL: 'https://hooks.example.test/v1#rc=3' }, [])).toThrow(
      `invalid environment: ${QUERY_IN_BASE_URL}`,
    );
  });

  it('refuses it in the webhook and canary functions', () => {
    const base = {
      SIGNALGATE_ENV: 'test',
      PUBLIC_BASE_URL: 'https://hooks.example.test/v1/?tenant=acme',
      QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/q',
      KMS_KEY_ID: 'k',
      TWILIO_TOKEN_SECRET_ARNS: '{}',
      BLIND_INDEX_SECRET_ARN: 'b',
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'secret',
      CANARY_TWILIO_SECRET_ARN: 't',
      CANARY_ADMIN_SECRET_ARN: 'a',
      ADMIN_FUNCTION_NAME: 'f',
    };
    expect(() => loadWebhookConfig(base)).toThrow(`webhook configuration is invalid: ${QUERY_IN_BASE_URL}`);
    expect(() => loadCanaryConfig(base)).toThrow(`canary configuration is invalid: ${QUERY_IN_BASE_URL}`);
  });

  it('takes the query string from WEBHOOK_QUERY, and refuses one that has no single spelling', () => {
    expect(loadLocalConfig({ WEBHOOK_QUERY: 'tenant=acme' }, []).webhookQuery).toBe('tenant=acme');
    expect(loadLocalConfig({ WEBHOOK_QUERY: '?tenant=acme' }, []).webhookQuery).toBe('tenant=acme');
    expect(loadLocalConfig({}, []).webhookQuery).toBeUndefined();
    for (const query of ['tenant=a b', 'tenant=é', 'a=1#x']) {
      expect(() => loadLocalConfig({ WEBHOOK_QUERY: query }, [])).toThrow(
        'invalid environment: WEBHOOK_QUERY: must be the query string of the Twilio webhook URL, e.g. tenant=acme (printable ASCII, no spaces or #)',
      );
    }
  });
});
