// Decodes an application/x-www-form-urlencoded body into the parameters Twilio signed.

import type { SignedParams } from './signature.js';

/**
 * `+` is a space and repeated keys become arrays, as in body-parser/qs, which is what twilio-node's
 * validator is fed in Express. The object has no prototype so a `__proto__` key is plain data.
 */
export function parseFormBody(body: string): SignedParams {
  const params: Record<string, string | string[]> = Object.create(null);
  for (const [key, value] of new URLSearchParams(body)) {
    const existing = params[key];
    if (existing === undefined) params[key] = value;
    else if (typeof existing === 'string') params[key] = [existing, value];
    else existing.push(value);
  }
  return params;
}
