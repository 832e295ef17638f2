// Subject identifiers: E.164 validation and the normal form the blind index is computed over.

const E164 = /^\+[1-9]\d{1,14}$/;

/** True for a strict E.164 number such as `+14155550100`. */
export function isE164(value: string): boolean {
  return E164.test(value);
}

/**
 * The normal form of a Twilio address for the blind index: the channel prefix (`whatsapp:`,
 * `messenger:`…) is dropped so one subject is found across channels, and visual separators that
 * users type (spaces, dashes, dots, parentheses) are removed. Non-phone addresses (short codes,
 * alphanumeric sender IDs, channel user ids) are lower-cased as they are.
 */
export function normalizeAddress(address: string): string {
  const colon = address.indexOf(':');
  const bare = (colon >= 0 ? address.slice(colon + 1) : address).trim();
  const compact = bare.replace(/[\s\-.()]/g, '');
  return isE164(compact) ? compact : bare.toLowerCase();
}
