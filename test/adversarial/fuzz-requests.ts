// fast-check arbitraries for hostile requests to every route: methods, paths (encodings, traversal,
// unicode, double slashes), headers (odd casing, duplicates, huge values), bodies and content
// encodings, sizes. One abstract request shape, turned into an API Gateway event (in-process) or raw
// HTTP bytes (the local stack), so both surfaces see the same attacks.

import { gzipSync } from 'node:zlib';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import fc from 'fast-check';
import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks';
import { Route } from '../../lambda/shared/names.js';
import { apiEvent, inboundParams, statusParams } from '../helpers/api-events.js';

export interface FuzzRequest {
  readonly method: string;
  /** Request path as sent, possibly malformed; without the query. */
  readonly path: string;
  /** Raw query string without `?`, or empty. */
  readonly query: string;
  /** In order, duplicates allowed. */
  readonly headers: readonly (readonly [string, string])[];
  readonly body: Buffer;
  /** Genuinely signed by the test for this route (a 2xx is then allowed). */
  readonly signed: boolean;
  /** The MessageSid of a signed message, to find it stored later. */
  readonly messageSid?: string;
  /** The real admin token is among the headers. */
  readonly carriesAdminToken: boolean;
}

export interface FuzzContext {
  readonly twilioToken: string;
  readonly adminToken: string;
  /** The public base URL the webhook verifies signatures against, without a trailing slash. */
  readonly publicBaseUrl: string;
  /** Offer the real admin token in some requests. @default false */
  readonly withAdminToken?: boolean;
}

export const ADMIN_PATHS = [
  '/admin/health',
  '/admin/metrics',
  '/admin/subjects/export',
  '/admin/subjects/erase',
  '/admin/approvals/AAAAAAAAAAAAAAAAAAAAAA',
  // The former routes with the number in the path: now unknown (404), never a lookup.
  '/admin/subjects/%2B14155550111/messages',
  '/admin/retention/run',
  '/admin/audit',
] as const;
export const WEBHOOK_PATHS = [Route.messages, Route.status] as const;
const KNOWN_PATHS = [Route.health, ...WEBHOOK_PATHS, ...ADMIN_PATHS] as const;

export const methodArb = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('GET', 'POST', 'DELETE') },
  { weight: 2, arbitrary: fc.constantFrom('PUT', 'PATCH', 'OPTIONS', 'HEAD', 'TRACE', 'post', 'Get') },
  { weight: 1, arbitrary: fc.stringMatching(/^[A-Z]{1,12}$/) },
);

/** Path mutations an attacker or a broken proxy would produce. */
const mutations: readonly ((path: string, n: number) => string)[] = [
  (p) => p.replaceAll('/', '//'),
  (p) => `${p}/`,
  (p) => p.toUpperCase(),
  (p, n) => {
    const i = n % p.length;
    return `${p.slice(0, i)}%${p.charCodeAt(i).toString(16).padStart(2, '0')}${p.slice(i + 1)}`;
  },
  (p) => p.replaceAll('/', '%2F'),
  (p) => `/webhooks/twilio/..${p}`,
  (p) => `/x/%2e%2e${p}`,
  (p) => `${p}/./`,
  (p) => `${p};jsessionid=1`,
  (p) => `${p}%00`,
  (p) => `${p}/é/%E2%80%AE/𝓍`,
  (p) => `${p}%`,
  (p) => `${p}%zz`,
  (p, n) => `${p}/${'a'.repeat(1 + (n % 4_000))}`,
  (p) => `/..${p}`,
  (p) => p.replace('/admin/', '/ADMIN/'),
  (p) => p.replace('/admin/', '/admin/../admin/'),
  (p) => p.replace('%2B', '%252B'),
];

export const pathArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom<string>(...KNOWN_PATHS) },
  {
    weight: 5,
    arbitrary: fc
      .tuple(
        fc.constantFrom(...KNOWN_PATHS),
        fc.array(fc.nat({ max: mutations.length - 1 }), { maxLength: 3 }),
        fc.nat(),
      )
      .map(([path, picks, n]) =>
        picks.reduce<string>((p, i) => (mutations[i] as (p: string, n: number) => string)(p, n), path),
      ),
  },
  { weight: 1, arbitrary: fc.webPath() },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }).map((s) => `/${s}`) },
);

export const queryArb = fc.oneof(
  { weight: 6, arbitrary: fc.constant('') },
  {
    weight: 1,
    arbitrary: fc.constantFrom('limit=5', 'limit=-1', 'limit=99999999999', 'limit=1e3', 'limit='),
  },
  { weight: 1, arbitrary: fc.webQueryParameters() },
  { weight: 1, arbitrary: fc.string({ maxLength: 60 }).map(encodeURIComponent) },
);

const HEADER_NAMES = [
  'Content-Type',
  'X-Twilio-Signature',
  'I-Twilio-Idempotency-Token',
  'X-Admin-Token',
  'Content-Encoding',
  'Accept-Encoding',
  'Host',
  'X-Forwarded-For',
  'X-Forwarded-Proto',
  'Authorization',
  'Cookie',
  'User-Agent',
  'X-Amz-Cf-Id',
  // Names that are also members of Object.prototype.
  'toString',
  'constructor',
  '__proto__',
  'hasOwnProperty',
] as const;

/** The same name in a random mix of upper and lower case (HTTP names are case-insensitive). */
const oddCase = (name: string, seed: number) =>
  [...name].map((c, i) => ((seed >> (i % 30)) & 1 ? c.toUpperCase() : c.toLowerCase())).join('');

const CONTENT_TYPES = [
  'application/x-www-form-urlencoded',
  'APPLICATION/X-WWW-FORM-URLENCODED; charset=UTF-8',
  'application/x-www-form-urlencoded;',
  ' application/x-www-form-urlencoded , text/xml',
  'application/json',
  'multipart/form-data; boundary=x',
  'text/plain',
  'application/octet-stream',
  '',
  ';;;',
];

function headerValueArb(ctx: FuzzContext) {
  const sometimesToken = ctx.withAdminToken ? [ctx.adminToken] : [];
  return fc.oneof(
    { weight: 4, arbitrary: fc.string({ maxLength: 64 }) },
    { weight: 3, arbitrary: fc.constantFrom(...CONTENT_TYPES) },
    { weight: 1, arbitrary: fc.constantFrom('gzip', 'deflate', 'br', 'identity', 'gzip, gzip', 'x-unknown') },
    { weight: 1, arbitrary: fc.nat({ max: 20_000 }).map((n) => 'v'.repeat(n)) },
    { weight: 1, arbitrary: fc.base64String({ minLength: 28, maxLength: 28 }) },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        ...sometimesToken,
        `${ctx.adminToken.slice(0, -1)}A`,
        ctx.adminToken.slice(0, 16),
        `${ctx.adminToken} `,
        ctx.adminToken.toUpperCase(),
        'null',
        'undefined',
        '',
      ),
    },
  );
}

function headersArb(ctx: FuzzContext) {
  return fc.array(
    fc.tuple(
      fc.oneof(
        {
          weight: 5,
          arbitrary: fc.tuple(fc.constantFrom(...HEADER_NAMES), fc.nat()).map(([n, s]) => oddCase(n, s)),
        },
        { weight: 1, arbitrary: fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,30}$/) },
      ),
      headerValueArb(ctx),
    ),
    { maxLength: 8 },
  );
}

const FORM_KEYS = [
  'MessageSid',
  'AccountSid',
  'From',
  'To',
  'Body',
  'NumMedia',
  'MediaUrl0',
  '__proto__',
  'constructor',
];

const bodyArb = fc.oneof(
  { weight: 2, arbitrary: fc.constant(Buffer.alloc(0)) },
  { weight: 2, arbitrary: fc.string({ maxLength: 2_000 }).map((s) => Buffer.from(s)) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 1_000 }).map((a) => Buffer.from(a)) },
  {
    weight: 3,
    arbitrary: fc
      .dictionary(
        fc.oneof(fc.constantFrom(...FORM_KEYS), fc.string({ maxLength: 12 })),
        fc.string({ maxLength: 80 }),
        {
          maxKeys: 25,
        },
      )
      .map((d) => Buffer.from(new URLSearchParams(d).toString())),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom('&', '=', '%', '%%25', 'a[b]=', 'MediaUrl0=x&', '+'), fc.nat({ max: 40_000 }))
      .map(([unit, n]) => Buffer.from(unit.repeat(Math.ceil(n / unit.length)))),
  },
  { weight: 1, arbitrary: fc.nat({ max: 45_000 }).map((n) => Buffer.from('Body='.padEnd(n, 'x'))) },
  {
    weight: 1,
    arbitrary: fc.constant(gzipSync(new URLSearchParams(inboundParams()).toString())),
  },
  // Admin JSON bodies, near-valid ones included: numbers (valid, own-number-like, malformed), cursors,
  // limits and extra fields.
  {
    weight: 3,
    arbitrary: fc
      .record(
        {
          phone: fc.oneof(
            fc.constantFrom('+14155550111', '+14155550100', '14155550111', '+0123', 'whatsapp:+14155550111'),
            fc.stringMatching(/^\+[1-9]\d{1,15}$/),
            fc.anything(),
          ),
          cursor: fc.oneof(fc.string({ maxLength: 60 }), fc.base64String({ maxLength: 80 }), fc.anything()),
          limit: fc.oneof(fc.integer({ min: -5, max: 200 }), fc.double(), fc.string({ maxLength: 4 })),
          extra: fc.anything(),
        },
        { requiredKeys: [] },
      )
      .map((body) => Buffer.from(JSON.stringify(body) ?? '')),
  },
);

function unsignedArb(ctx: FuzzContext): fc.Arbitrary<FuzzRequest> {
  return fc
    .record({ method: methodArb, path: pathArb, query: queryArb, headers: headersArb(ctx), body: bodyArb })
    .map((r) => ({
      ...r,
      signed: false,
      // Over HTTP a value's surrounding spaces and tabs are not part of it (RFC 9110 §5.5): `TOKEN ` is the token.
      carriesAdminToken: r.headers.some(([, v]) => v.replace(/^[ \t]+|[ \t]+$/g, '') === ctx.adminToken),
    }));
}

/** A request Twilio could really send: signed for its route, with hostile values and header casing. */
function signedArb(ctx: FuzzContext): fc.Arbitrary<FuzzRequest> {
  return fc
    .record({
      path: fc.constantFrom(...WEBHOOK_PATHS),
      overrides: fc.dictionary(
        fc.constantFrom(
          'Body',
          'MediaUrl0',
          'NumMedia',
          'FromCity',
          'Extra',
          '__proto__',
          'constructor',
          'toString',
        ),
        fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: 'grapheme', maxLength: 100 })),
        { maxKeys: 4 },
      ),
      seed: fc.nat(),
      contentType: fc.constantFrom(
        'application/x-www-form-urlencoded',
        'application/x-www-form-urlencoded; charset=utf-8',
        'Application/X-WWW-Form-Urlencoded',
      ),
    })
    .map(({ path, overrides, seed, contentType }) => {
      const params = path === Route.messages ? inboundParams(overrides) : statusParams(overrides);
      const signature = getExpectedTwilioSignature(ctx.twilioToken, ctx.publicBaseUrl + path, params);
      return {
        method: 'POST',
        path,
        query: '',
        headers: [
          [oddCase('Content-Type', seed), contentType],
          [oddCase('X-Twilio-Signature', seed >> 3), signature],
          [oddCase('I-Twilio-Idempotency-Token', seed >> 5), String(seed)],
        ],
        body: Buffer.from(new URLSearchParams(params).toString()),
        signed: true,
        messageSid: params.MessageSid,
        carriesAdminToken: false,
      };
    });
}

export function fuzzRequestArb(ctx: FuzzContext): fc.Arbitrary<FuzzRequest> {
  return fc.oneof({ weight: 5, arbitrary: unsignedArb(ctx) }, { weight: 1, arbitrary: signedArb(ctx) });
}

/** The route a request reaches once a URL parser has normalised its path (as the local server does). */
export function normalisedPath(request: FuzzRequest): string | undefined {
  try {
    return new URL(request.path, 'http://127.0.0.1').pathname;
  } catch {
    return undefined;
  }
}

/** Client-chosen keys such as `__proto__` stay own keys, as in API Gateway's JSON event. */
function setOwn<T>(map: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(map, key, { value, enumerable: true, writable: true, configurable: true });
}

/** The API Gateway event a REST proxy integration would hand the Lambda for this request. */
export function toApiEvent(
  request: FuzzRequest,
  options: { base64?: boolean; proxyResource?: boolean } = {},
) {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (const [name, value] of request.headers) {
    setOwn(headers, name, value);
    setOwn(multiValueHeaders, name, [
      ...((Object.hasOwn(multiValueHeaders, name) && multiValueHeaders[name]) || []),
      value,
    ]);
  }
  const query = new URLSearchParams(request.query);
  const single: Record<string, string> = {};
  const multi: Record<string, string[]> = {};
  for (const [k, v] of query) {
    setOwn(single, k, v);
    setOwn(multi, k, [...((Object.hasOwn(multi, k) && multi[k]) || []), v]);
  }
  const hasQuery = Object.keys(single).length > 0;
  const text = !options.base64;
  const event: APIGatewayProxyEvent = apiEvent({
    path: request.path,
    resource: options.proxyResource ? '/{proxy+}' : request.path,
    httpMethod: request.method,
    headers,
    multiValueHeaders,
    queryStringParameters: hasQuery ? single : null,
    multiValueQueryStringParameters: hasQuery ? multi : null,
    body: request.body.length === 0 ? null : request.body.toString(text ? 'utf8' : 'base64'),
    isBase64Encoded: request.body.length > 0 && !text,
  });
  return event;
}
