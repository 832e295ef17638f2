// Masking for logs (ARCHITECTURE §4): never a full phone number, body, token or signature.

/** `+14155550100` → `+1415****00`; channel prefixes kept (`whatsapp:+1415****00`). */
export function maskPhone(value: string): string {
  const colon = value.indexOf(':');
  const prefix = colon >= 0 ? value.slice(0, colon + 1) : '';
  const number = colon >= 0 ? value.slice(colon + 1) : value;
  // Show at most about a third of the digits: `+1234****00` for E.164 numbers, less for short ones.
  if (number.length <= 6) return `${prefix}****`;
  if (number.length < 11) return `${prefix}${number.slice(0, 3)}****${number.slice(-1)}`;
  return `${prefix}${number.slice(0, 5)}****${number.slice(-2)}`;
}

const SECRET_KEY = /token|secret|password|signature|authorization|key|body|cookie/i;
const PHONE_KEY = /^(from|to|phone|subject|caller|called)$/i;
const E164_ANYWHERE = /\+[1-9]\d{6,14}/g;

/** Deep-copies a log payload with secrets redacted and phone numbers masked, by key and by pattern. */
export function redact(value: unknown, key = '', depth = 0): unknown {
  if (depth > 6) return '[depth]';
  if (typeof value === 'string') {
    if (SECRET_KEY.test(key)) return '[redacted]';
    if (PHONE_KEY.test(key)) return maskPhone(value);
    return value.replace(E164_ANYWHERE, (m) => maskPhone(m));
  }
  if (Array.isArray(value)) return value.map((item) => redact(item, key, depth + 1));
  if (value instanceof Error)
    return { name: value.name, message: redact(value.message, 'message', depth + 1) };
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = redact(v, k, depth + 1);
    return out;
  }
  return value;
}
