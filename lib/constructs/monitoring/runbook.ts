// The runbook sections alarms point to: one anchor per alarm, shared by the alarms, docs/RUNBOOK.md and the tests.

/** Path of the runbook, relative to the repository root (what on-call opens from the alarm text). */
export const RUNBOOK_PATH = 'docs/RUNBOOK.md';

/** Stable anchors of docs/RUNBOOK.md; renaming one breaks every alarm that names it (test/infra checks). */
export const RunbookSection = {
  webhookPathBroken: 'webhook-path-broken',
  canaryFailing: 'canary-failing',
  trafficDrop: 'traffic-drop',
  webhookRoute5xx: 'webhook-route-5xx',
  signatureFailures: 'signature-failures',
  voiceSignatureFailures: 'voice-signature-failures',
  voiceFallbacks: 'voice-fallbacks',
  adminAuthFailures: 'admin-auth-failures',
  adminLockouts: 'admin-lockouts',
  invalidPayloads: 'invalid-payloads',
  twilioTokenNotConfigured: 'twilio-token-not-configured',
  queueFailures: 'queue-failures',
  encryptionFailures: 'encryption-failures',
  ingestFailures: 'ingest-failures',
  rotationFailures: 'rotation-failures',
  lambdaErrors: 'lambda-errors',
  lambdaThrottles: 'lambda-throttles',
  api5xx: 'api-5xx',
  dlqNotEmpty: 'dlq-not-empty',
  dlqOldestMessageAge: 'dlq-oldest-message-age',
  oldestMessageAge: 'oldest-message-age',
  wafBlockedSpike: 'waf-blocked-spike',
  rdsCpu: 'rds-cpu',
  rdsFreeStorage: 'rds-free-storage',
  rdsConnections: 'rds-connections',
  rdsProxyErrors: 'rds-proxy-errors',
  secretRotationFailed: 'secret-rotation-failed',
  kmsKeyDeletion: 'kms-key-deletion',
} as const;
export type RunbookSection = (typeof RunbookSection)[keyof typeof RunbookSection];

/** The sentence every alarm description ends with, e.g. `Runbook: docs/RUNBOOK.md#signature-failures`. */
export function runbookReference(section: RunbookSection): string {
  return `Runbook: ${RUNBOOK_PATH}#${section}`;
}

/** Finds the runbook anchors an alarm description or rule description names. */
export function runbookAnchorsIn(text: string): string[] {
  return [...text.matchAll(/docs\/RUNBOOK\.md#([a-z0-9-]+)/g)].map((m) => m[1] as string);
}
