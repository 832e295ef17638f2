// Reads a function's environment through its zod schema, failing fast with the variables named.

import type { z } from 'zod';

/** Throws one error naming every missing or invalid variable (never printing values). */
export function loadConfigFrom<T>(schema: z.ZodType<T>, env: NodeJS.ProcessEnv, functionName: string): T {
  const parsed = schema.safeParse(env);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  throw new Error(`${functionName} configuration is invalid: ${problems.join('; ')}`);
}
