// The secret-rotation Lambdas' configuration (both rotate-* functions): the only place they read process.env.

import * as z from 'zod';
import { loadConfigFrom } from '../env-config.js';
import { EnvVar } from '../names.js';

export const RotationConfig = z.object({
  [EnvVar.environment]: z.string().min(1),
  // Absent: no bound (the local stack, tests); lib/stacks sets it from the environment's grace (pending-age.ts).
  [EnvVar.rotationMaxPendingAgeSeconds]: z.coerce.number().int().min(0).max(86_400).optional(),
});
export type RotationConfig = z.infer<typeof RotationConfig>;

/**
 * Fails fast, naming every missing or invalid variable.
 * @param functionName which rotation function is loading, for the error message
 */
export function loadRotationConfig(
  functionName: string,
  env: NodeJS.ProcessEnv = process.env,
): RotationConfig {
  return loadConfigFrom(RotationConfig, env, functionName);
}
