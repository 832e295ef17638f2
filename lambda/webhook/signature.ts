// Verifies X-Twilio-Signature (ARCHITECTURE §3) with the same verdict as twilio-node's validateRequest.
//
// twilio-node (lib/webhooks/webhooks.js) accepts a signature made over any of these URL variants:
// the URL as given without and with its default port, then `new URL(url).toString()` without and
// with the port, and those two with the query string re-encoded by Node's legacy `querystring`.
// The configured URL is fixed per route, so this module derives the distinct variants once and
// caches them; per request it builds the signed string once per variant and stops at the first
// match. A header that is not 28 base64 characters can never equal an HMAC-SHA1 digest, so it is
// rejected without hashing (twilio-node compares lengths first, so the verdict is the same).
// Only HMAC-SHA1 (Node's createHmac) with the account auth token is supported: Twilio signs messaging
// webhooks that way.

import { createHmac, timingSafeEqual } from 'node:crypto';
import { parse as parseLegacyQuery, stringify as stringifyLegacyQuery } from 'node:querystring';

/** Form parameters as Twilio sent them: repeated keys become arrays. */
export type SignedParams = Readonly<Record<string, string | readonly string[]>>;

const SIGNATURE_LENGTH = 28; // base64 of a 20-byte SHA-1 digest
const BASE64_SIGNATURE = /^[A-Za-z0-9+/]{27}=$/;
const MAX_CACHED_URLS = 64;

/** The raw 20-byte HMAC-SHA1 of `data` under one auth token. */
function hmacSha1(token: string, data: string): Buffer {
  return createHmac('sha1', token).update(data, 'utf8').digest();
}

/** The parameter part of the signed string: sorted keys, each followed by its value(s). */
export function signedParamString(params: SignedParams): string {
  let out = '';
  for (const key of Object.keys(params).sort()) {
    const value = params[key];
    if (typeof value === 'string') {
      out += key + value;
    } else if (value !== undefined) {
      // twilio-node: Array.from(new Set(values)).sort(), each prefixed with the key.
      for (const item of Array.from(new Set(value)).sort()) out += key + item;
    }
  }
  return out;
}

// --- URL variants, mirroring twilio-node's private helpers exactly -------------------------------

interface UrlParts {
  scheme: string;
  userInfo: string;
  host: string;
  port: string;
  rest: string;
}

function splitUrl(url: string): UrlParts | null {
  const match = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)/i.exec(url);
  if (!match) return null;
  const [prefix, scheme, authority] = match as unknown as [string, string, string];
  const userInfoEnd = authority.lastIndexOf('@');
  const hostAndPort = authority.slice(userInfoEnd + 1);
  const portStart = hostAndPort.indexOf(':', hostAndPort.lastIndexOf(']') + 1);
  return {
    scheme,
    userInfo: authority.slice(0, userInfoEnd + 1),
    host: portStart === -1 ? hostAndPort : hostAndPort.slice(0, portStart),
    port: portStart === -1 ? '' : hostAndPort.slice(portStart),
    rest: url.slice(prefix.length),
  };
}

function addPort(url: string): string {
  const parts = splitUrl(url);
  if (!parts || parts.port) return url;
  const port = parts.scheme.toLowerCase() === 'https://' ? ':443' : ':80';
  return parts.scheme + parts.userInfo + parts.host + port + parts.rest;
}

function removePort(url: string): string {
  const parts = splitUrl(url);
  if (!parts) return url;
  return parts.scheme + parts.userInfo + parts.host + parts.rest;
}

function withLegacyQuerystring(url: string): string {
  const queryStart = url.indexOf('?');
  if (queryStart === -1 || queryStart === url.length - 1) return url;
  return `${url.slice(0, queryStart)}?${stringifyLegacyQuery(parseLegacyQuery(url.slice(queryStart + 1)))}`;
}

/** Every URL twilio-node would try, in its order, without repeats. Throws on a URL `new URL` rejects. */
export function signatureUrlVariants(url: string): string[] {
  const asReceived = [removePort(url), addPort(url)];
  const normalized = new URL(url).toString();
  const withoutPort = removePort(normalized);
  const withPort = addPort(normalized);
  const variants = [
    ...asReceived,
    withoutPort,
    withPort,
    withLegacyQuerystring(withoutPort),
    withLegacyQuerystring(withPort),
  ];
  return Array.from(new Set(variants));
}

export interface SignatureCheck {
  /** The public URL Twilio called (configured, never from the Host header), with its query string. */
  readonly url: string;
  readonly params: SignedParams;
  /** The X-Twilio-Signature header value, if any. */
  readonly signature: string | undefined;
  /** Auth tokens to try, most likely first (current, then previous). */
  readonly tokens: readonly string[];
}

/** Finds the token that made a signature; holds a per-URL cache of variants. */
export class TwilioSignatureVerifier {
  readonly #urlVariants = new Map<string, string[]>();

  /** The index in `check.tokens` of the token that made the signature, or undefined when none did. */
  verify(check: SignatureCheck): number | undefined {
    const { signature, tokens } = check;
    if (
      signature === undefined ||
      signature.length !== SIGNATURE_LENGTH ||
      !BASE64_SIGNATURE.test(signature)
    ) {
      return undefined;
    }
    // Compare raw digests. Two base64 strings can decode to the same bytes (the last character has
    // two spare bits), and twilio-node compares strings, so only the canonical encoding is accepted.
    const expected = Buffer.from(signature, 'base64');
    if (expected.length !== 20 || expected.toString('base64') !== signature) return undefined;
    const variants = this.#variantsOf(check.url);
    const paramString = signedParamString(check.params);
    for (let t = 0; t < tokens.length; t++) {
      const token = tokens[t] as string;
      for (const variant of variants) {
        if (timingSafeEqual(hmacSha1(token, variant + paramString), expected)) return t;
      }
    }
    return undefined;
  }

  #variantsOf(url: string): string[] {
    let variants = this.#urlVariants.get(url);
    if (!variants) {
      if (this.#urlVariants.size >= MAX_CACHED_URLS) this.#urlVariants.clear();
      variants = signatureUrlVariants(url);
      this.#urlVariants.set(url, variants);
    }
    return variants;
  }
}
