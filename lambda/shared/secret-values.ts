// The JSON shapes of the secrets Signalgate reads, parsed with zod so a malformed secret is a clear fault.

import { z } from 'zod';

export const TwilioTokenSecret = z.object({
  accountSid: z.string().regex(/^AC[0-9a-fA-F]{32}$/),
  authToken: z.string().min(1),
});
export type TwilioTokenSecret = z.infer<typeof TwilioTokenSecret>;

export const AdminTokenSecret = z.object({ token: z.string().min(32) });
export const BlindIndexSecret = z.object({ key: z.string().min(32) });

/** Parses a secret string as JSON of the given shape; the error names the secret's role, never its value. */
export function parseSecret<T>(role: string, schema: z.ZodType<T>, raw: string): T {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new Error(`${role} secret is not JSON`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new Error(`${role} secret does not have the expected fields`);
  return parsed.data;
}
