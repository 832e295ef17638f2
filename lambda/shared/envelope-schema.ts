// The queued envelope as the ingest side trusts it: parsed again, because a queue is an input too.

import { z } from 'zod';
import type { QueuedEnvelope } from './ports.js';

const sid = z.string().regex(/^[A-Z]{2}[0-9a-fA-F]{32}$/);
const index = z.string().regex(/^[0-9a-f]{64}$/);
const sealed = z
  .string()
  .regex(/^[A-Za-z0-9_-]+$/)
  .min(16);
const timestamp = z.iso.datetime();
const token = z.string().max(256).optional();

const MessageEnvelope = z.object({
  v: z.literal(1),
  kind: z.literal('message'),
  messageSid: sid,
  accountSid: sid,
  messagingServiceSid: sid.optional(),
  fromIndex: index,
  toIndex: index,
  numMedia: z.number().int().min(0).max(10),
  receivedAt: timestamp,
  sealed,
  idempotencyToken: token,
});

const StatusEnvelope = z.object({
  v: z.literal(1),
  kind: z.literal('status'),
  messageSid: sid,
  accountSid: sid,
  status: z.string().min(1).max(32),
  errorCode: z.string().max(16).optional(),
  fromIndex: index.optional(),
  toIndex: index.optional(),
  receivedAt: timestamp,
  sealed,
  idempotencyToken: token,
});

export const QueuedEnvelopeSchema = z.discriminatedUnion('kind', [MessageEnvelope, StatusEnvelope]);

/** Parses a queue message body; undefined when it is not a valid envelope (a poisoned record). */
export function parseEnvelope(body: string): QueuedEnvelope | undefined {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return undefined;
  }
  const parsed = QueuedEnvelopeSchema.safeParse(json);
  return parsed.success ? (parsed.data as QueuedEnvelope) : undefined;
}
