// The secrets Signalgate reads: their JSON shapes (zod), what is derived from them once per value, and the grace rule.

import * as z from 'zod';
import { type BlindIndexer, createBlindIndexer } from './blind-index.js';
import { AdminRole } from './names.js';
import type { SecretSource, SecretVersions } from './ports.js';

export const TwilioTokenSecret = z.object({
  accountSid: z.string().regex(/^AC[0-9a-fA-F]{32}$/),
  // Any string parses; only a value shaped like a token verifies (isTwilioAuthToken), so an empty
  // or placeholder value reads as "not configured" (503 + alarm), not as a secrets fault.
  authToken: z.string(),
});
export type TwilioTokenSecret = z.infer<typeof TwilioTokenSecret>;

/**
 * What a Twilio auth token looks like: 32 lowercase hex characters (Twilio's Auth Token resource;
 * the Secrets Manager Twilio rotation documents the same "32-character hexadecimal Auth Token").
 * A secret holding anything else (the deploy-time placeholder, a typo, an empty string) is "not
 * configured" and never verifies a signature: an HMAC keyed by a public placeholder is a forgery.
 */
export const TWILIO_AUTH_TOKEN_PATTERN = /^[0-9a-f]{32}$/;

/** Whether a value can be a real Twilio auth token (see TWILIO_AUTH_TOKEN_PATTERN). */
export function isTwilioAuthToken(value: string): boolean {
  return TWILIO_AUTH_TOKEN_PATTERN.test(value);
}

export const AdminTokenSecret = z.object({ token: z.string().min(32) });

/**
 * One admin holder's secret in AWS (ARCHITECTURE §5): `{"token":"…"}` and nothing else. The holder's role
 * is configuration (ADMIN_HOLDERS), never a field here: a holder who can read their own secret cannot raise
 * their role, and a secret carrying a role is refused as malformed.
 */
export const HolderTokenSecret = z.strictObject({ token: z.string().min(32) });

/** A holder's id: what the audit log names (never the token). */
export const CREDENTIAL_ID = /^[a-z0-9][a-z0-9._-]{0,63}$/;
export const AdminCredential = z.strictObject({
  token: z.string().min(32),
  role: z.enum([AdminRole.reader, AdminRole.privacy, AdminRole.operator]),
});
export type AdminCredential = z.infer<typeof AdminCredential>;
/** Holder id of a secret still in the single-token shape `{"token":…}`: it holds the operator role only. */
export const LEGACY_CREDENTIAL_ID = 'admin';

/**
 * The admin credentials secret (ARCHITECTURE §2, §5): one credential per holder, each with one role,
 * `{"credentials":{"<holder>":{"token":"…","role":"reader|privacy|operator"}}}`. The older
 * `{"token":…}` shape is read as one `operator` credential, so a deployment created before holders
 * existed keeps its retention access and gains no access to subjects.
 */
export const AdminCredentialsSecret = z.union([
  z.strictObject({
    credentials: z
      .record(z.string().regex(CREDENTIAL_ID), AdminCredential)
      .refine((map) => Object.keys(map).length > 0, 'at least one credential'),
  }),
  AdminTokenSecret.transform((legacy) => ({
    credentials: { [LEGACY_CREDENTIAL_ID]: { token: legacy.token, role: AdminRole.operator } },
  })),
]);
export type AdminCredentialsSecret = z.infer<typeof AdminCredentialsSecret>;

/**
 * The token a health probe (npm run verify, the canary) should use: the least privileged credential,
 * `reader` before `operator` before `privacy`, since every role may read /admin/health.
 */
export function healthProbeToken(secret: AdminCredentialsSecret): string | undefined {
  const order: readonly string[] = [AdminRole.reader, AdminRole.operator, AdminRole.privacy];
  const rank = (role: string) => (order.includes(role) ? order.indexOf(role) : order.length);
  return Object.values(secret.credentials).sort((a, b) => rank(a.role) - rank(b.role))[0]?.token;
}
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

/**
 * Memoizes what is derived from a secret's value (parsed JSON, an HMAC key, a digest), so a request
 * pays for it only when the value changed, not on every call. Keeps a few values: current and previous
 * alternate during a rotation.
 */
export function derivedPerValue<T>(derive: (raw: string) => T, maxValues = 4): (raw: string) => T {
  const cache = new Map<string, T>();
  return (raw) => {
    const hit = cache.get(raw);
    if (hit !== undefined) return hit;
    const value = derive(raw);
    if (cache.size >= maxValues) cache.clear();
    cache.set(raw, value);
    return value;
  };
}

/**
 * Whether the previous version of a rotated secret is still accepted: only within `graceMs` of the
 * current version's creation, and never when that time is unknown (fail closed: the grace could not
 * be bounded).
 */
export function previousWithinGrace(versions: SecretVersions, graceMs: number, now: number): boolean {
  const since = versions.currentCreatedAt;
  return versions.previous !== undefined && since !== undefined && now - since <= graceMs;
}

/** The blind indexer keyed by the current blind-index secret, rebuilt only when that secret changes. */
export function blindIndexFrom(secrets: SecretSource, secretId: string): () => Promise<BlindIndexer> {
  const indexerOf = derivedPerValue(
    (raw) => createBlindIndexer(parseSecret('blind-index', BlindIndexSecret, raw).key),
    1,
  );
  return async () => indexerOf((await secrets.getVersions(secretId)).current);
}
