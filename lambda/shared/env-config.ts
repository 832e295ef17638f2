// Reads a function's environment through its zod schema, failing fast with the variables named.

import * as z from 'zod';

// Defaults shared by the functions' config schemas and their local wiring (which reads no environment),
// defined once so the local stack runs with what AWS runs with.

/** How long a secret value is cached: every instance sees a rotation within it, at one read per 5 minutes. */
export const DEFAULT_SECRET_CACHE_SECONDS = 300;
/**
 * How long a rotated-out token (Twilio, admin) still verifies: 10 minutes covers the rotation's
 * promotion delay and a 5-minute secret cache with margin, short enough that a leaked one dies soon.
 * The one default: lib/config's rotation.previousTokenGraceMinutes is derived from it.
 */
export const DEFAULT_PREVIOUS_TOKEN_GRACE_SECONDS = 600;

/** Throws one error naming every missing or invalid variable (never printing values). */
export function loadConfigFrom<T>(schema: z.ZodType<T>, env: NodeJS.ProcessEnv, functionName: string): T {
  const parsed = schema.safeParse(env);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  throw new Error(`${functionName} configuration is invalid: ${problems.join('; ')}`);
}

/** A variable holding JSON, parsed and then validated by `schema`; unparsable JSON gets `message`. */
export function jsonVariable<T extends z.ZodType>(schema: T, message = 'must be a JSON object') {
  return z
    .string()
    .transform((raw, ctx) => {
      try {
        return JSON.parse(raw) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message });
        return z.NEVER;
      }
    })
    .pipe(schema);
}
