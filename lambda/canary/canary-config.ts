// The canary's configuration: the only place it reads process.env, validated with zod.
import { z } from 'zod';
import { loadConfigFrom } from '../shared/env-config.js';
import { EnvVar } from '../shared/names.js';

export const CanaryConfig = z.object({
  [EnvVar.environment]: z.string().min(1),
  [EnvVar.publicBaseUrl]: z.url({ protocol: /^https?$/ }).transform((url) => url.replace(/\/+$/, '')),
  /** JSON object AccountSid → secret ARN, as the webhook gets it; the canary signs with the first account. */
  [EnvVar.twilioTokenSecrets]: z
    .string()
    .transform((raw, ctx) => {
      try {
        return JSON.parse(raw) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be a JSON object' });
        return z.NEVER;
      }
    })
    .pipe(z.record(z.string().regex(/^AC[0-9a-f]{32}$/), z.string().min(1))),
  [EnvVar.adminTokenSecretArn]: z.string().min(1),
  [EnvVar.adminFunctionName]: z.string().min(1),
  [EnvVar.canaryTimeoutSeconds]: z.coerce.number().int().min(5).max(240).default(60),
});
export type CanaryConfig = z.infer<typeof CanaryConfig>;

export function loadCanaryConfig(env: NodeJS.ProcessEnv = process.env): CanaryConfig {
  return loadConfigFrom(CanaryConfig, env, 'canary');
}
