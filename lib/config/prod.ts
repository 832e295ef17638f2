// Production defaults: Multi-AZ, deletion protection, long backups, retained stateful resources; sample values refused.
// Your account, domain, e-mails, Twilio SIDs, own numbers and admin CIDRs go in config/prod.json or -c (docs/DEPLOY.md).
import { DEFAULT_ADMIN_HOLDERS } from './admin-holders.js';
import type { EnvConfigInput } from './schema.js';

export const prod: EnvConfigInput = {
  envName: 'prod',
  // A copied example (example.com, 203.0.113.0/24, 123456789012, AC000…) must never reach real users.
  refuseSampleValues: true,
  region: 'eu-west-1',
  availabilityZones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'],
  vpcCidr: '10.42.0.0/16',
  api: {
    stageName: 'v1',
    manageAccountCloudWatchRole: true,
    throttling: { rateLimit: 200, burstLimit: 400 },
    adminThrottling: { rateLimit: 5, burstLimit: 10 },
  },
  twilio: {
    connectionOverrides: 'rc=3&rp=ct,rt,5xx',
    // Turn on once the real auth tokens are stored (docs/DEPLOY.md): a new schedule rotates at once.
    rotationEnabled: false,
  },
  secretCacheSeconds: 300,
  retentionDays: 365,
  logRetentionDays: 365,
  database: {
    databaseName: 'signalgate',
    postgresMajorVersion: '17',
    instanceClass: 'm7g.large',
    allocatedStorageGiB: 100,
    maxAllocatedStorageGiB: 500,
    multiAz: true,
    deletionProtection: true,
    backupRetentionDays: 35,
    performanceInsights: true,
    // RDS Proxy: connection pooling and IAM-auth connection set-up off the instance (ARCHITECTURE §9).
    proxy: true,
    enhancedMonitoringIntervalSeconds: 30,
  },
  removalPolicies: {
    database: 'snapshot',
    keys: 'retain',
    secrets: 'retain',
    queues: 'retain',
    logs: 'retain',
  },
  waf: { enabled: true, rateLimitPerIp: 6000, adminRateLimitPerIp: 100, adminAllowedCidrs: [] },
  ingest: { batchSize: 10, reservedConcurrency: 20, maxConcurrency: 10 },
  alarms: {
    dashboard: true,
    window: { evaluationPeriods: 1, datapointsToAlarm: 1 },
    thresholds: {
      signatureFailuresPer5Min: 20,
      adminAuthFailuresPer5Min: 5,
      invalidPayloadsPer5Min: 20,
      voiceSignatureFailuresPer5Min: 10,
      voiceFallbacksPer5Min: 1,
      lambdaErrorsPer5Min: 1,
      api5xxPer5Min: 5,
      dlqNewMessages: 1,
      oldestMessageAgeSeconds: 300,
      wafBlockedPer5Min: 1000,
      rdsCpuPercent: 80,
      rdsFreeStorageGiB: 10,
      rdsConnections: 200,
    },
  },
  // One secret each (<prefix>/admin-credential/<id>); rename them to your people in config/prod.json (docs/DEPLOY.md).
  admin: { holders: DEFAULT_ADMIN_HOLDERS },
  canary: { everyMinutes: 5 },
  trafficDrop: { silentMinutes: 60 },
  // Off until the operator configures the voice agent's stream in config/prod.json (docs/DEPLOY.md).
  voice: {
    enabled: false,
    defaultAnswer: { kind: 'reject' },
    fallback: {
      kind: 'say',
      text: 'Sorry, the assistant is not available right now. Please call again later.',
    },
  },
  rotation: { databaseDays: 30, adminTokenDays: 30, twilioTokenDays: 90 },
};
