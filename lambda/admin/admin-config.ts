// The admin Lambdas' configuration: the only place they read process.env, validated with zod.

import * as z from 'zod';
import { DbProxyEnv } from '../shared/db/db-proxy-env.js';
import {
  DEFAULT_PREVIOUS_TOKEN_GRACE_SECONDS,
  DEFAULT_SECRET_CACHE_SECONDS,
  jsonVariable,
  loadConfigFrom,
} from '../shared/env-config.js';
import { AdminRole, EnvVar } from '../shared/names.js';
import { isE164 } from '../shared/phone.js';
import { CREDENTIAL_ID } from '../shared/secret-values.js';

const secretMap = (what: string) =>
  jsonVariable(z.record(z.string().min(1), z.string().min(1)), `must be a JSON object of ${what}`);

/** ADMIN_HOLDERS: holder id → its role and its own secret (the role is never read from the secret). */
const adminHolders = z
  .string()
  .transform((raw, ctx) => {
    try {
      return JSON.parse(raw) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be a JSON object of holder id to {role, secretArn}' });
      return z.NEVER;
    }
  })
  .pipe(
    z
      .record(
        z.string().regex(CREDENTIAL_ID),
        z.strictObject({
          role: z.enum([AdminRole.reader, AdminRole.privacy, AdminRole.operator]),
          secretArn: z.string().min(1),
        }),
      )
      .refine((map) => Object.keys(map).length > 0, 'at least one holder'),
  );

const seconds = (min: number, max: number, fallback: number) =>
  z.coerce.number().int().min(min).max(max).default(fallback);

/** The admin lockout (per source IP) unless the environment sets it: 10 failures within 15 minutes lock out for 15. */
export const LockoutDefault = { threshold: 10, windowSeconds: 900, lockoutSeconds: 900 } as const;

/** What the scheduled retention function needs: the database and the retention only. */
export const RetentionConfig = DbProxyEnv.extend({
  [EnvVar.environment]: z.string().min(1),
  [EnvVar.retentionDays]: z.coerce.number().int().min(1).max(3650),
});
export type RetentionConfig = z.infer<typeof RetentionConfig>;

/** Comma-separated E.164 numbers; empty or unset means none. */
export const ownNumbersList = z
  .string()
  .default('')
  .transform((raw) =>
    raw
      .split(',')
      .map((n) => n.trim())
      .filter((n) => n.length > 0),
  )
  .pipe(z.array(z.string().refine(isE164, 'each own number must be E.164 (+ and digits)')));

export const AdminConfig = RetentionConfig.extend({
  [EnvVar.adminHolders]: adminHolders,
  [EnvVar.blindIndexSecretArn]: z.string().min(1),
  [EnvVar.kmsKeyId]: z.string().min(1),
  [EnvVar.queueUrl]: z.url(),
  [EnvVar.dlqUrl]: z.url().optional(),
  /** label → secret ARN, for /admin/health's secret ages (DescribeSecret only, values never read). */
  [EnvVar.monitoredSecretArns]: secretMap('label to secret ARN').default({}),
  [EnvVar.secretCacheSeconds]: seconds(1, 3600, DEFAULT_SECRET_CACHE_SECONDS),
  [EnvVar.adminTokenGraceSeconds]: seconds(0, 86_400, DEFAULT_PREVIOUS_TOKEN_GRACE_SECONDS),
  [EnvVar.adminLockoutThreshold]: z.coerce.number().int().min(1).max(1000).default(LockoutDefault.threshold),
  [EnvVar.adminLockoutWindowSeconds]: seconds(1, 86_400, LockoutDefault.windowSeconds),
  [EnvVar.adminLockoutSeconds]: seconds(1, 86_400, LockoutDefault.lockoutSeconds),
  /** The business's own numbers (per environment): export and erasure refuse them. */
  [EnvVar.ownNumbers]: ownNumbersList,
});
export type AdminConfig = z.infer<typeof AdminConfig>;

/** Fails fast, naming every missing or invalid variable. */
export function loadRetentionConfig(env: NodeJS.ProcessEnv = process.env): RetentionConfig {
  return loadConfigFrom(RetentionConfig, env, 'retention');
}

/** Fails fast, naming every missing or invalid variable. */
export function loadAdminConfig(env: NodeJS.ProcessEnv = process.env): AdminConfig {
  return loadConfigFrom(AdminConfig, env, 'admin');
}

/**
 * The secrets /admin/health reports the age of: MONITORED_SECRET_ARNS and every holder's credential
 * (`admin:<id>`), which ADMIN_HOLDERS already names (each ARN once: Lambda's 4 KB environment limit).
 */
export function monitoredSecretsOf(config: AdminConfig): Record<string, string> {
  return {
    ...Object.fromEntries(
      Object.entries(config[EnvVar.adminHolders]).map(([id, holder]) => [`admin:${id}`, holder.secretArn]),
    ),
    ...config[EnvVar.monitoredSecretArns],
  };
}
