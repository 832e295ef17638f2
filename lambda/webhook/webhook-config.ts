// The webhook Lambda's configuration: the only place it reads process.env, validated with zod.

import { z } from 'zod';
import { loadConfigFrom } from '../shared/env-config.js';
import { EnvVar } from '../shared/names.js';

const trimmedUrl = z.url({ protocol: /^https?$/ }).transform((url) => url.replace(/\/+$/, ''));

export const WebhookConfig = z.object({
  [EnvVar.environment]: z.string().min(1),
  [EnvVar.publicBaseUrl]: trimmedUrl,
  [EnvVar.queueUrl]: z.url(),
  [EnvVar.kmsKeyId]: z.string().min(1),
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
    .pipe(z.record(z.string().regex(/^AC[0-9a-fA-F]{32}$/), z.string().min(1))),
  [EnvVar.blindIndexSecretArn]: z.string().min(1),
  [EnvVar.secretCacheSeconds]: z.coerce.number().int().min(1).max(3600).default(300),
});
export type WebhookConfig = z.infer<typeof WebhookConfig>;

/** Fails fast, naming every missing or invalid variable. */
export function loadWebhookConfig(env: NodeJS.ProcessEnv = process.env): WebhookConfig {
  return loadConfigFrom(WebhookConfig, env, 'webhook');
}
