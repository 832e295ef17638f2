// Staging defaults: production-shaped (same code paths, backups, monitoring), smaller and single-AZ. User values: config/staging.json or -c.
import { DEFAULT_ADMIN_HOLDERS } from './admin-holders.js';
import type { EnvConfigInput } from './schema.js';

export const staging: EnvConfigInput = {
  envName: 'staging',
  region: 'eu-west-1',
  availabilityZones: ['eu-west-1a', 'eu-west-1b'],
  vpcCidr: '10.41.0.0/16',
  api: {
    stageName: 'v1',
    manageAccountCloudWatchRole: true,
    throttling: { rateLimit: 50, burstLimit: 100 },
    adminThrottling: { rateLimit: 2, burstLimit: 5 },
  },
  twilio: {
    connectionOverrides: 'rc=3&rp=ct,rt,5xx',
    // Turn on once the real auth tokens are stored (docs/DEPLOY.md): a new schedule rotates at once.
    rotationEnabled: false,
  },
  secretCacheSeconds: 300,
  retentionDays: 30,
  logRetentionDays: 30,
  database: {
    databaseName: 'signalgate',
    postgresMajorVersion: '17',
    instanceClass: 't4g.small',
    allocatedStorageGiB: 20,
    maxAllocatedStorageGiB: 100,
    multiAz: false,
    deletionProtection: true,
    backupRetentionDays: 7,
    performanceInsights: true,
    // RDS Proxy: connection pooling and IAM-auth connection set-up off the instance (ARCHITECTURE §9).
    proxy: true,
    enhancedMonitoringIntervalSeconds: 60,
  },
  removalPolicies: {
    database: 'snapshot',
    keys: 'retain',
    secrets: 'retain',
    queues: 'destroy',
    logs: 'destroy',
  },
  waf: { enabled: true, rateLimitPerIp: 2000, adminRateLimitPerIp: 100, adminAllowedCidrs: [] },
  // No reserved concurrency: it can fail a first deploy in a new account (Lambda keeps 100 unreserved);
  // maxConcurrency bounds the proxy connections.
  ingest: { batchSize: 10, maxConcurrency: 5 },
  alarms: {
    dashboard: true,
    window: { evaluationPeriods: 2, datapointsToAlarm: 2 },
    thresholds: {
      signatureFailuresPer5Min: 20,
      adminAuthFailuresPer5Min: 10,
      invalidPayloadsPer5Min: 30,
      voiceSignatureFailuresPer5Min: 10,
      voiceFallbacksPer5Min: 1,
      lambdaErrorsPer5Min: 3,
      api5xxPer5Min: 10,
      dlqNewMessages: 1,
      oldestMessageAgeSeconds: 600,
      wafBlockedPer5Min: 500,
      rdsCpuPercent: 85,
      rdsFreeStorageGiB: 5,
      rdsConnections: 100,
    },
  },
  // One secret each (<prefix>/admin-credential/<id>); rename them to your people in config/staging.json (docs/DEPLOY.md).
  admin: { holders: DEFAULT_ADMIN_HOLDERS },
  canary: { everyMinutes: 15 },
  trafficDrop: { silentMinutes: 0 },
  // Off until the operator configures the voice agent's stream in config/staging.json (docs/DEPLOY.md).
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
