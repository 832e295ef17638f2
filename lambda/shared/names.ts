// The one source of names that handlers, the local stack, the CDK app, the alarms and the tests share.

export const METRIC_NAMESPACE = 'Signalgate';
/** Dimension every metric carries; its value is the deployment environment (dev, staging, prod, local). */
export const ENVIRONMENT_DIMENSION = 'Environment';

/**
 * The one marker of synthetic traffic (npm run verify, the canary): a form field of the signed webhook
 * request. Twilio never sends it and the signature covers it, so only a holder of the account's auth token
 * can mark a message synthetic. Marked messages are stored in a `synthetic` column, counted apart from real
 * traffic, left out of exports and deleted by retention after SYNTHETIC_RETENTION_HOURS.
 */
export const SYNTHETIC_PARAM = 'SignalgateSynthetic';
export const SyntheticKind = { verify: 'verify', canary: 'canary' } as const;
export type SyntheticKind = (typeof SyntheticKind)[keyof typeof SyntheticKind];
/** Synthetic messages hold nothing worth keeping: retention deletes them after a day, whatever the environment. */
export const SYNTHETIC_RETENTION_HOURS = 24;

export const MetricName = {
  SignatureFailures: 'SignatureFailures',
  AdminAuthFailures: 'AdminAuthFailures',
  AdminLockouts: 'AdminLockouts',
  InvalidPayloads: 'InvalidPayloads',
  MessagesQueued: 'MessagesQueued',
  StatusUpdatesQueued: 'StatusUpdatesQueued',
  MessagesStored: 'MessagesStored',
  /** Synthetic messages (SYNTHETIC_PARAM) queued and stored: kept out of MessagesQueued and MessagesStored. */
  SyntheticMessagesQueued: 'SyntheticMessagesQueued',
  SyntheticMessagesStored: 'SyntheticMessagesStored',
  /** 1 when a canary run saw its synthetic message stored, 0 when not (the canary's alarm watches it). */
  CanarySuccess: 'CanarySuccess',
  /** Milliseconds from the canary's send to seeing its message stored. */
  CanaryLatencyMs: 'CanaryLatencyMs',
  StatusUpdatesStored: 'StatusUpdatesStored',
  DuplicatesDropped: 'DuplicatesDropped',
  IngestFailures: 'IngestFailures',
  QueueFailures: 'QueueFailures',
  EncryptionFailures: 'EncryptionFailures',
  RotationFailures: 'RotationFailures',
  /** Signed payloads stored as quarantined (they are also counted in InvalidPayloads at the webhook). */
  PayloadsQuarantined: 'PayloadsQuarantined',
  /** Records ingest moved to the dead-letter queue at once because they can never be stored. */
  RecordsDeadLettered: 'RecordsDeadLettered',
  /** Records ingest put back with a backoff because the database was unavailable. */
  IngestRetriesDeferred: 'IngestRetriesDeferred',
  /** A webhook arrived for an account whose secret holds no real Twilio auth token (answered 503). */
  TwilioTokenNotConfigured: 'TwilioTokenNotConfigured',
  /** Envelopes ingest dropped because they name an erased subject (redelivery, SQS retry, DLQ redrive, journal). */
  ErasedSubjectDropped: 'ErasedSubjectDropped',
  /** Voice (ARCHITECTURE §2): incoming calls, call status callbacks and recording status callbacks. */
  CallsQueued: 'CallsQueued',
  CallStatusesQueued: 'CallStatusesQueued',
  RecordingsQueued: 'RecordingsQueued',
  CallsStored: 'CallsStored',
  CallStatusesStored: 'CallStatusesStored',
  RecordingsStored: 'RecordingsStored',
  /** Signature failures on the voice routes (also counted in SignatureFailures): their own alarm. */
  VoiceSignatureFailures: 'VoiceSignatureFailures',
  /** Calls answered with the fallback because the media-stream target was marked unavailable. */
  VoiceFallbacks: 'VoiceFallbacks',
} as const;
export type MetricName = (typeof MetricName)[keyof typeof MetricName];

/** The `service` dimension Powertools adds by itself, per function (ARCHITECTURE §9: alarms must match it). */
export const ServiceName = {
  webhook: 'signalgate-webhook',
  ingest: 'signalgate-ingest',
  admin: 'signalgate-admin',
  migrate: 'signalgate-migrate',
  rotateAdminToken: 'signalgate-rotate-admin-token',
  rotateTwilioToken: 'signalgate-rotate-twilio-token',
  canary: 'signalgate-canary',
} as const;
export type ServiceName = (typeof ServiceName)[keyof typeof ServiceName];

export const Route = {
  health: '/health',
  messages: '/webhooks/twilio/messages',
  status: '/webhooks/twilio/status',
  /** Incoming calls: answered with TwiML from the environment's voice configuration. */
  voice: '/webhooks/twilio/voice',
  /** Call status callbacks. */
  voiceStatus: '/webhooks/twilio/voice/status',
  /** Recording status callbacks (the recording URL is sealed, never fetched). */
  voiceRecording: '/webhooks/twilio/voice/recording',
  adminHealth: '/admin/health',
  adminMetrics: '/admin/metrics',
  /** Subject numbers travel in POST bodies only: URLs reach access logs, traces and WAF samples. */
  adminSubjectExport: '/admin/subjects/export',
  adminSubjectErase: '/admin/subjects/erase',
  adminApproval: '/admin/approvals/{id}',
  adminRetentionRun: '/admin/retention/run',
  adminAudit: '/admin/audit',
} as const;

/**
 * The signed webhook routes and the kind of payload each carries (ARCHITECTURE §2): the webhook handler,
 * the local route table, the API and the webhook-path alarms all read this one table.
 */
export const WebhookRoutes = {
  [Route.messages]: 'message',
  [Route.status]: 'status',
} as const satisfies Readonly<Record<string, string>>;
/**
 * The signed voice routes (ARCHITECTURE §2) and their payload kinds: served by the same webhook handler,
 * deployed (API, WAF scope, alarms) where the environment enables voice; elsewhere they answer 404.
 */
export const VoiceRoutes = {
  [Route.voice]: 'voice',
  [Route.voiceStatus]: 'voice_status',
  [Route.voiceRecording]: 'voice_recording',
} as const satisfies Readonly<Record<string, string>>;
export type VoiceKind = (typeof VoiceRoutes)[keyof typeof VoiceRoutes];
export type WebhookKind = (typeof WebhookRoutes)[keyof typeof WebhookRoutes] | VoiceKind;
/** The paths of the signed webhook routes. */
export const WEBHOOK_PATHS = Object.keys(WebhookRoutes) as ReadonlyArray<keyof typeof WebhookRoutes>;
/** The paths of the signed voice routes. */
export const VOICE_PATHS = Object.keys(VoiceRoutes) as ReadonlyArray<keyof typeof VoiceRoutes>;

/** The one role each admin credential holds (ARCHITECTURE §2); a local ADMIN_TOKEN holds all three. */
export const AdminRole = {
  /** Health, metrics and the audit log. */
  reader: 'reader',
  /** Subject export and erasure, and approving another credential's request (four-eyes). */
  privacy: 'privacy',
  /** Retention runs. */
  operator: 'operator',
} as const;
export type AdminRole = (typeof AdminRole)[keyof typeof AdminRole];

/** The canary's own admin holder (role `reader`), added by the CDK app wherever the canary runs. */
export const CANARY_HOLDER_ID = 'canary';

/** Bounds of the admin API, shared by the handler, the docs' examples and the tests. */
export const AdminLimit = {
  /** Largest page of POST /admin/subjects/export. */
  exportPageMax: 100,
  /** Page size when the request names none. */
  exportPageDefault: 100,
  /** A subject with more stored records than this is exported only after a second privacy credential approves. */
  exportFourEyesThreshold: 500,
  /** How long a four-eyes request waits for its approval. */
  approvalTtlSeconds: 3600,
  /** Largest admin request body (bytes): the bodies are a number, a cursor and a limit. */
  bodyMaxBytes: 2048,
  /** Default and largest page of GET /admin/audit. */
  auditPageDefault: 100,
  auditPageMax: 500,
} as const;

export const Table = {
  messages: 'messages',
  statusUpdates: 'message_status_updates',
  /** Signed payloads that failed the schema or a limit, stored sealed (ARCHITECTURE §1). */
  quarantined: 'quarantined_payloads',
  auditLog: 'admin_audit_log',
  adminLockouts: 'admin_lockouts',
  /** Tombstones of erased subjects: blind index and time only, kept past retention (ARCHITECTURE §4). */
  erasedSubjects: 'erased_subjects',
  /** Four-eyes requests (erasures, large exports) waiting for a second `privacy` credential. */
  adminApprovals: 'admin_approvals',
  migrations: 'schema_migrations',
  /** Incoming calls, one row per CallSid. */
  calls: 'voice_calls',
  /** Call status callbacks, one row per CallSid + status + SequenceNumber. */
  callStatuses: 'voice_call_statuses',
  /** Recording status callbacks, one row per RecordingSid. */
  recordings: 'voice_recordings',
} as const;

/** Encryption-context purposes bound into every sealed record as additional authenticated data. */
export const SealPurpose = {
  message: 'messages',
  status: 'message_status_updates',
  quarantined: 'quarantined_payloads',
  call: 'voice_calls',
  callStatus: 'voice_call_statuses',
  recording: 'voice_recordings',
} as const;

/** Structured log event names (security events are alarmed on through their metrics). */
export const LogEvent = {
  signatureRejected: 'security.signature_rejected',
  adminAuthRejected: 'security.admin_auth_rejected',
  adminLockout: 'security.admin_lockout',
  invalidPayload: 'webhook.invalid_payload',
  /** A record ingest can never store, moved to the dead-letter queue. */
  deadLettered: 'ingest.dead_lettered',
  /** The database was unavailable: the record comes back after a backoff. */
  retryDeferred: 'ingest.retry_deferred',
  secretsUnavailable: 'webhook.secrets_unavailable',
  twilioTokenNotConfigured: 'webhook.twilio_token_not_configured',
  webhookUnexpectedFault: 'webhook.unexpected_fault',
  adminUnexpectedFault: 'admin.unexpected_fault',
  previousAdminTokenUsed: 'admin.previous_token_used',
  /** A holder's admin credential secret could not be read or parsed: that holder cannot log in. */
  adminCredentialUnreadable: 'admin.credential_unreadable',
  countersUnavailable: 'admin.counters_unavailable',
  unreadableRecord: 'admin.unreadable_record',
  healthProbeFailed: 'admin.health_probe_failed',
  queued: 'webhook.queued',
  queueFailed: 'webhook.queue_failed',
  encryptionFailed: 'webhook.encryption_failed',
  stored: 'ingest.stored',
  recordFailed: 'ingest.record_failed',
  migrationsApplied: 'migrate.applied',
  rotationStep: 'rotation.step',
  rotationFailed: 'rotation.failed',
  adminCall: 'admin.call',
  adminFault: 'admin.fault',
  /** An audit row could not be written; the log line then carries the entry (never a token). */
  adminAuditFailed: 'admin.audit_failed',
  retentionRun: 'admin.retention_run',
  canaryStored: 'canary.stored',
  canaryFailed: 'canary.failed',
  /** An incoming call answered with the fallback TwiML (the stream target is marked unavailable). */
  voiceFallback: 'webhook.voice_fallback',
  /** The media-stream health check failed or timed out; the cached result says unavailable. */
  voiceHealthCheckFailed: 'webhook.voice_health_check_failed',
} as const;

/**
 * Environment variables the Lambdas read (each function's config loader validates its own subset).
 * None of them ever holds a secret value: secrets are referenced by ARN and read at run time.
 */
/**
 * NODE_OPTIONS of every function (HardenedFunction sets it; the cold-init bench starts each bundle with it):
 * stack traces through the bundle's source map, at a cold-init cost the bench includes.
 */
export const LAMBDA_NODE_OPTIONS = '--enable-source-maps';

export const EnvVar = {
  environment: 'SIGNALGATE_ENV',
  publicBaseUrl: 'PUBLIC_BASE_URL',
  /** The query string of the webhook URLs as set in the Twilio console, when they carry one (without `?`). */
  webhookQuery: 'WEBHOOK_QUERY',
  queueUrl: 'QUEUE_URL',
  kmsKeyId: 'KMS_KEY_ID',
  /** JSON object: Twilio AccountSid → Secrets Manager secret ARN of that account's auth token. */
  twilioTokenSecrets: 'TWILIO_TOKEN_SECRET_ARNS',
  blindIndexSecretArn: 'BLIND_INDEX_SECRET_ARN',
  /**
   * JSON object: admin holder id → `{"role":"reader|privacy|operator","secretArn":"…"}` (config admin.holders).
   * The role comes from here, never from the holder's secret, so reading one's own secret cannot raise a role.
   */
  adminHolders: 'ADMIN_HOLDERS',
  dbHost: 'DB_HOST',
  dbPort: 'DB_PORT',
  dbName: 'DB_NAME',
  dbUser: 'DB_USER',
  /** Secret ARN of the database master credentials (migration Lambda only). */
  dbMasterSecretArn: 'DB_MASTER_SECRET_ARN',
  secretCacheSeconds: 'SECRET_CACHE_SECONDS',
  /**
   * Read by no handler: `npm run rotate -- … --revoke-previous` sets it to the new secret version, a configuration
   * change that makes Lambda retire every warm execution environment (and its cached secrets).
   */
  secretsEpoch: 'SIGNALGATE_SECRETS_EPOCH',
  /** JSON: the environment's voice configuration (VoiceConfig in lambda/shared/voice-config.ts); no secret. */
  voiceConfig: 'VOICE_CONFIG',
  retentionDays: 'RETENTION_DAYS',
  /** Dead-letter queue of the ingest queue (admin health reports its depth). */
  dlqUrl: 'DLQ_URL',
  /** How long after a rotation the previous Twilio auth token still verifies (config rotation.previousTokenGraceMinutes). */
  twilioPreviousTokenGraceSeconds: 'TWILIO_PREVIOUS_TOKEN_GRACE_SECONDS',
  /** Rotation functions: the oldest a pending version may be when finishSecret makes it current (pending-age.ts). */
  rotationMaxPendingAgeSeconds: 'ROTATION_MAX_PENDING_AGE_SECONDS',
  /** How long after a rotation the previous admin token is still accepted. */
  adminTokenGraceSeconds: 'ADMIN_TOKEN_GRACE_SECONDS',
  /** Failed admin authentications from one source IP, within the window, that start a lockout. */
  adminLockoutThreshold: 'ADMIN_LOCKOUT_THRESHOLD',
  adminLockoutWindowSeconds: 'ADMIN_LOCKOUT_WINDOW_SECONDS',
  adminLockoutSeconds: 'ADMIN_LOCKOUT_SECONDS',
  /** Secret ARNs whose age /admin/health reports (JSON object: label → ARN); DescribeSecret only. */
  monitoredSecretArns: 'MONITORED_SECRET_ARNS',
  /** Comma-separated E.164 numbers of the business itself: export and erasure refuse them (409). */
  ownNumbers: 'OWN_NUMBERS',
  /**
   * The function's service name, the `service` of its log lines (ServiceName): names each function in the
   * console and in the templates. Not Powertools' POWERTOOLS_SERVICE_NAME: no function uses Powertools (README).
   */
  serviceName: 'SIGNALGATE_SERVICE',
  /** Name of the admin function, which the canary invokes directly for /admin/health (no WAF in between). */
  adminFunctionName: 'ADMIN_FUNCTION_NAME',
  /**
   * The canary's own names for what it reads: it signs and authenticates like a client, never verifies, so it
   * does not take the verifiers' variables (and their grace settings).
   */
  canaryTwilioSecretArn: 'CANARY_TWILIO_SECRET_ARN',
  canaryAdminSecretArn: 'CANARY_ADMIN_SECRET_ARN',
  /** How long the canary waits for its message to be stored. */
  canaryTimeoutSeconds: 'CANARY_TIMEOUT_SECONDS',
  /** Set by the Lambda runtime: the region and the execution role's credentials (secret, never logged). */
  awsRegion: 'AWS_REGION',
  awsAccessKeyId: 'AWS_ACCESS_KEY_ID',
  awsSecretAccessKey: 'AWS_SECRET_ACCESS_KEY',
  awsSessionToken: 'AWS_SESSION_TOKEN',
  /** Set by the Lambda runtime before each invocation: its X-Ray trace header (`Root=1-…;Parent=…;Sampled=1`). */
  xrayTraceId: '_X_AMZN_TRACE_ID',
  /** Set by the Lambda runtime: `on-demand`, `provisioned-concurrency` or `snap-start`. */
  lambdaInitializationType: 'AWS_LAMBDA_INITIALIZATION_TYPE',
} as const;

/**
 * The former shared application role. Since migration 35 it holds no privilege on any table (each
 * function has its own role, below); the name stays only until the deployment logs in per role.
 */
export const APP_DB_ROLE = 'signalgate_app';

/**
 * One least-privilege Postgres role per function (ARCHITECTURE §4). The migration (the schema owner)
 * creates them and grants each only what its function needs; how each function logs in as its role
 * (IAM authentication through RDS Proxy, or a password) is the infrastructure's concern.
 */
export const DbRole = {
  ingest: 'signalgate_ingest',
  // Not `signalgate_admin`: that name was the RDS master user's (now DB_MASTER_USER, below); a function role
  // must never be mistaken for the schema owner.
  admin: 'signalgate_admin_api',
  retention: 'signalgate_retention',
} as const;
export type DbRole = (typeof DbRole)[keyof typeof DbRole];

/**
 * The schema owner: RDS's master user, whose password RDS manages in Secrets Manager. Only the migration
 * logs in as it (directly to the instance); it is never one of the DbRole names and never goes through the proxy.
 */
export const DB_MASTER_USER = 'signalgate_owner';

/** RDS for PostgreSQL's built-in role that lets a login role authenticate with IAM tokens (absent elsewhere). */
export const RDS_IAM_ROLE = 'rds_iam';

/** Secrets Manager names are `signalgate/<env>/<suffix>[/<AccountSid>]`: the CDK app creates them, npm run rotate addresses them. */
export const SecretNameSuffix = {
  twilioAuthToken: 'twilio-auth-token',
  /** One secret per admin holder, `…/admin-credential/<holder id>`, holding that holder's token only. */
  adminCredential: 'admin-credential',
} as const;

export const SecretName = {
  prefix: (env: string) => `signalgate/${env}`,
  twilioAuthToken: (env: string, accountSid: string) =>
    `${SecretName.prefix(env)}/${SecretNameSuffix.twilioAuthToken}/${accountSid}`,
  adminCredential: (env: string, holderId: string) =>
    `${SecretName.prefix(env)}/${SecretNameSuffix.adminCredential}/${holderId}`,
} as const;
