// The admin request bodies and the export cursor (ARCHITECTURE §2), validated with zod: anything else
// (malformed JSON, an extra field, a wrong type, a number that is not E.164) is one generic 400.

import * as z from 'zod';
import { AdminLimit } from '../shared/names.js';
import { isE164 } from '../shared/phone.js';
import type { ExportPhase, ExportPosition } from './ports.js';

const Phone = z.string().refine(isE164);
/** What the API hands out as `next`: opaque to the caller, never a phone number. */
const Cursor = z.string().regex(/^[A-Za-z0-9_-]{1,400}$/);

export const ExportBody = z.strictObject({
  phone: Phone,
  cursor: Cursor.optional(),
  limit: z.int().min(1).max(AdminLimit.exportPageMax).optional(),
});
export type ExportBody = z.infer<typeof ExportBody>;

export const EraseBody = z.strictObject({ phone: Phone });
export type EraseBody = z.infer<typeof EraseBody>;

/** Routes without parameters take no body, or an empty JSON object. */
export const EmptyBody = z.strictObject({});

/** Approval ids the API issues: 128 random bits, base64url. */
export const APPROVAL_ID = /^[A-Za-z0-9_-]{22}$/;

/** Parses a JSON body against `schema`; undefined for anything that does not fit. An absent body reads as `{}`. */
export function parseBody<T>(schema: z.ZodType<T>, body: string | undefined): T | undefined {
  if (body !== undefined && Buffer.byteLength(body, 'utf8') > AdminLimit.bodyMaxBytes) return undefined;
  let json: unknown = {};
  if (body !== undefined && body.trim() !== '') {
    try {
      json = JSON.parse(body);
    } catch {
      return undefined;
    }
  }
  const parsed = schema.safeParse(json);
  return parsed.success ? parsed.data : undefined;
}

const Key = z.string().regex(/^\d{1,20}$|^[A-Za-z0-9]{1,64}$/);
const CursorJson = z.strictObject({
  k: z.enum(['m', 's', 'q', 'c', 'u', 'r']),
  t: z
    .string()
    .regex(/^-?\d{1,20}$/)
    .optional(),
  i: Key.optional(),
  /** The approval a large export pages under. */
  a: z.string().regex(APPROVAL_ID).optional(),
});

export interface ExportCursor {
  readonly position: ExportPosition;
  readonly approvalId?: string;
}

/** Each export phase's letter in a cursor (short, and not the internal name). */
const PHASE_LETTER = {
  messages: 'm',
  statuses: 's',
  quarantined: 'q',
  calls: 'c',
  call_statuses: 'u',
  recordings: 'r',
} as const satisfies Record<ExportPhase, string>;
const LETTER_PHASE = {
  m: 'messages',
  s: 'statuses',
  q: 'quarantined',
  c: 'calls',
  u: 'call_statuses',
  r: 'recordings',
} as const satisfies Record<string, ExportPhase>;

export function encodeCursor(cursor: ExportCursor): string {
  const { position } = cursor;
  const json = {
    k: PHASE_LETTER[position.kind],
    ...(position.after ? { t: position.after.atMicros, i: position.after.key } : {}),
    ...(cursor.approvalId ? { a: cursor.approvalId } : {}),
  };
  return Buffer.from(JSON.stringify(json), 'utf8').toString('base64url');
}

/** Undefined for a cursor this API did not issue. */
export function decodeCursor(raw: string): ExportCursor | undefined {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  const parsed = CursorJson.safeParse(json);
  if (!parsed.success) return undefined;
  const { k, t, i, a } = parsed.data;
  if ((t === undefined) !== (i === undefined)) return undefined;
  const kind = LETTER_PHASE[k];
  const position: ExportPosition =
    t !== undefined && i !== undefined ? { kind, after: { atMicros: t, key: i } } : { kind };
  return a ? { position, approvalId: a } : { position };
}
