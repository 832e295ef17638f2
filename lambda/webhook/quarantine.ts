// Quarantine (ARCHITECTURE §1, "the rule of the edge"): a payload whose signature verified but that
// fails the schema or a limit is still stored, sealed, with the names of the failed checks. Generic
// over routes: any signed webhook (messages, statuses, voice calls and their callbacks) can be quarantined.

import { createHash } from 'node:crypto';
import type * as z from 'zod';
import type { BlindIndexer } from '../shared/blind-index.js';
import {
  FAILED_CHECK_PATTERN,
  MAX_FAILED_CHECKS,
  MAX_OTHER_INDEXES,
  type QuarantinedEnvelope,
  type QuarantineRoute,
  SID_PATTERN,
} from '../shared/envelope-schema.js';
import { CALL_SID_PATTERN } from '../shared/voice-schemas.js';
import type { SignedParams } from './signature.js';

/** Names a field by our schema's vocabulary; anything else (input) is `UnknownField`. */
function fieldName(key: PropertyKey | undefined, known: ReadonlySet<string>): string {
  if (typeof key !== 'string') return 'Payload';
  const media = /^(MediaUrl|MediaContentType)\d+$/.exec(key);
  if (media) return media[1] as string;
  return known.has(key) && /^[A-Za-z]{1,40}$/.test(key) ? key : 'UnknownField';
}

/** zod's issue codes are a fixed vocabulary; custom issues carry our own check name as their message. */
function checkName(issue: z.core.$ZodIssue): string {
  const name = issue.code === 'custom' ? issue.message : issue.code;
  return /^[a-z_]{1,32}$/.test(name) ? name : 'custom';
}

/**
 * The failed checks of a validation error as `Field:check` names, deduplicated and bounded. Never a value
 * and never an unknown key: a quarantined row's reason must not quote input (issue 10, bad input).
 */
export function failedChecksOf(error: z.ZodError, knownFields: ReadonlySet<string>): string[] {
  const names = new Set<string>();
  for (const issue of error.issues) {
    const name = `${fieldName(issue.path[0], knownFields)}:${checkName(issue)}`;
    if (FAILED_CHECK_PATTERN.test(name)) names.add(name);
    if (names.size === MAX_FAILED_CHECKS) break;
  }
  return names.size > 0 ? [...names] : ['Payload:invalid'];
}

function single(params: SignedParams, key: string): string | undefined {
  const value = params[key];
  return typeof value === 'string' ? value : undefined;
}

/** Every non-empty value of a field, repeated or not (a repeated key fails the schema and lands here). */
function all(params: SignedParams, key: string): string[] {
  const value = params[key];
  const values = typeof value === 'string' ? [value] : (value ?? []);
  return values.filter((v) => v !== '');
}

/**
 * Twilio fields that carry a party's address: From and To on messages and statuses, and the voice
 * callbacks' Caller, Called and ForwardedFrom. Each value of each is a number a subject may ask about.
 */
const ADDRESS_FIELDS = ['From', 'To', 'ForwardedFrom', 'Caller', 'Called'] as const;

/** A value carried in clear only when it matches its own pattern. */
function sidOrNothing(value: string | undefined): string | undefined {
  return value !== undefined && SID_PATTERN.test(value) ? value : undefined;
}

/**
 * Keyed digest of the whole signed payload: a Twilio redelivery of the same request has the same key, so
 * it is stored once. Keyed with the blind-index key, because a bare hash of a payload with few unknowns
 * (a short status callback) could be confirmed by guessing its numbers.
 */
export function payloadKey(route: QuarantineRoute, params: SignedParams, index: BlindIndexer): string {
  const canonical = JSON.stringify(
    Object.keys(params)
      .sort()
      .map((key) => [key, params[key]]),
  );
  const digest = createHash('sha256').update(`${route}\n${canonical}`).digest('hex');
  return index(`quarantine:${digest}`);
}

export type QuarantineFields = Omit<QuarantinedEnvelope, 'v' | 'receivedAt' | 'sealed' | 'idempotencyToken'>;

/** The clear fields of a quarantined envelope: only what passed its own check (SIDs, blind indexes). */
export function quarantineFields(
  route: QuarantineRoute,
  params: SignedParams,
  failedChecks: string[],
  index: BlindIndexer,
): QuarantineFields {
  // The first From and To fill the row's from_index and to_index, as on messages; every other address of
  // the payload (a repeated From or To, a voice party) goes to other_indexes, so export and erasure find
  // the payload by any number in it (ARCHITECTURE §4).
  const from = all(params, 'From')[0];
  const to = all(params, 'To')[0];
  const fromIndex = from === undefined ? undefined : index(from);
  const toIndex = to === undefined ? undefined : index(to);
  const others = new Set<string>();
  for (const field of ADDRESS_FIELDS) for (const value of all(params, field)) others.add(index(value));
  if (fromIndex) others.delete(fromIndex);
  if (toIndex) others.delete(toIndex);
  // Sorted: the list is bound into the seal's AAD and stored as the row's column, in this order.
  const otherIndexes = [...others].sort().slice(0, MAX_OTHER_INDEXES);
  const messageSid = sidOrNothing(single(params, 'MessageSid'));
  const callSid = single(params, 'CallSid');
  const accountSid = sidOrNothing(single(params, 'AccountSid'));
  return {
    kind: 'quarantined',
    route,
    failedChecks,
    payloadKey: payloadKey(route, params, index),
    ...(messageSid ? { messageSid } : {}),
    ...(callSid !== undefined && CALL_SID_PATTERN.test(callSid) ? { callSid } : {}),
    ...(accountSid ? { accountSid } : {}),
    // Indexed whatever their shape, so the subject's export and erasure find quarantined rows too.
    ...(fromIndex ? { fromIndex } : {}),
    ...(toIndex ? { toIndex } : {}),
    ...(otherIndexes.length > 0 ? { otherIndexes } : {}),
  };
}
