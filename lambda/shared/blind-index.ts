// Blind index (ARCHITECTURE §4): HMAC-SHA256 of the normalised address, so lookups by phone number
// never store or compare plaintext. The key lives in Secrets Manager; rotating it means re-indexing.

import { createHmac } from 'node:crypto';
import { normalizeAddress } from './phone.js';

export type BlindIndexer = (address: string) => string;

export function createBlindIndexer(key: string): BlindIndexer {
  if (key.length < 32) throw new Error('blind-index key is shorter than 32 characters');
  return (address) =>
    createHmac('sha256', key)
      .update(`address:${normalizeAddress(address)}`)
      .digest('hex');
}
