// The canary's configuration: the only place it reads process.env, validated with zod.
import * as z from 'zod';
import { loadConfigFrom } from '../shared/env-config.js';
import { EnvVar } from '../shared/names.js';
import { publicBaseUrlSchema, webhookQuerySchema } from '../shared/webhook-url.js';

export const CanaryConfig = z.object({
  [EnvVar.environment]: z.string().min(1),
  [EnvVar.publicBaseUrl]: publicBaseUrlSchema,
  [EnvVar.webhookQuery]: webhookQuerySchema.optional(),
  /** The first Twilio account's secret; it holds the account SID with the token. */
  [EnvVar.canaryTwilioSecretArn]: z.string().min(1),
  [EnvVar.canaryAdminSecretArn]: z.string().min(1),
  [EnvVar.adminFunctionName]: z.string().min(1),
  [EnvVar.canaryTimeoutSeconds]: z.coerce.number().int().min(5).max(240).default(60),
});
export type CanaryConfig = z.infer<typeof CanaryConfig>;

export function loadCanaryConfig(env: NodeJS.ProcessEnv = process.env): CanaryConfig {
  return loadConfigFrom(CanaryConfig, env, 'canary');
}
