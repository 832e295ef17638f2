// The webhook Lambda's configuration: the only place it reads process.env, validated with zod.

import * as z from 'zod';
import {
  DEFAULT_PREVIOUS_TOKEN_GRACE_SECONDS,
  DEFAULT_SECRET_CACHE_SECONDS,
  jsonVariable,
  loadConfigFrom,
} from '../shared/env-config.js';
import { EnvVar } from '../shared/names.js';
import { VOICE_DISABLED, VoiceConfig } from '../shared/voice-config.js';
import { publicBaseUrlSchema, webhookQuerySchema } from '../shared/webhook-url.js';

export const WebhookConfig = z.object({
  [EnvVar.environment]: z.string().min(1),
  [EnvVar.publicBaseUrl]: publicBaseUrlSchema,
  [EnvVar.webhookQuery]: webhookQuerySchema.optional(),
  [EnvVar.queueUrl]: z.url(),
  [EnvVar.kmsKeyId]: z.string().min(1),
  [EnvVar.twilioTokenSecrets]: jsonVariable(
    z.record(z.string().regex(/^AC[0-9a-fA-F]{32}$/), z.string().min(1)),
  ),
  [EnvVar.blindIndexSecretArn]: z.string().min(1),
  // Absent: voice is off (the routes answer 404).
  [EnvVar.voiceConfig]: jsonVariable(VoiceConfig)
    .optional()
    .transform((voice) => voice ?? VOICE_DISABLED),
  [EnvVar.secretCacheSeconds]: z.coerce.number().int().min(1).max(3600).default(DEFAULT_SECRET_CACHE_SECONDS),
  // Bounded: a leaked previous token must die with the rotation (ARCHITECTURE §3).
  [EnvVar.twilioPreviousTokenGraceSeconds]: z.coerce
    .number()
    .int()
    .min(0)
    .max(3600)
    .default(DEFAULT_PREVIOUS_TOKEN_GRACE_SECONDS),
  // The Lambda runtime sets these for the execution role; the webhook signs its AWS calls with them.
  [EnvVar.awsRegion]: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, 'must be an AWS region such as eu-west-1'),
  [EnvVar.awsAccessKeyId]: z.string().min(1),
  [EnvVar.awsSecretAccessKey]: z.string().min(1),
  [EnvVar.awsSessionToken]: z.string().min(1).optional(),
});
export type WebhookConfig = z.infer<typeof WebhookConfig>;

/** Fails fast, naming every missing or invalid variable (never its value: the credentials are in here). */
export function loadWebhookConfig(env: NodeJS.ProcessEnv = process.env): WebhookConfig {
  return loadConfigFrom(WebhookConfig, env, 'webhook');
}
