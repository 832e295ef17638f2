// Development defaults: cheapest settings, everything disposable. Your account, Twilio SIDs… go in config/dev.json or -c (docs/DEPLOY.md).
import { DEV_ADMIN_HOLDERS } from './admin-holders.js';
import type { EnvConfigInput } from './schema.js';

export const dev: EnvConfigInput = {
  envName: 'dev',
  region: 'eu-west-1',
  availabilityZones: ['eu-west-1a', 'eu-west-1b'],
  vpcCidr: '10.40.0.0/16',
  // Interface endpoints in one zone: half their cost (docs/COST.md); a zone outage only pauses dev's admin API.
  vpcEndpointZones: 1,
  api: {
    stageName: 'v1',
    // dev owns the account-wide API Gateway CloudWatch role (one environment per account may).
    manageAccountCloudWatchRole: true,
    throttling: { rateLimit: 20, burstLimit: 40 },
    adminThrottling: { rateLimit: 2, burstLimit: 5 },
  },
  twilio: {
    connectionOverrides: 'rc=3&rp=ct,rt,5xx',
    // Turn on once the real auth tokens are stored (docs/DEPLOY.md): a new schedule rotates at once.
    rotationEnabled: false,
  },
  secretCacheSeconds: 300,
  retentionDays: 30,
  logRetentionDays: 14,
  database: {
    databaseName: 'signalgate',
    postgresMajorVersion: '17',
    instanceClass: 't4g.micro',
    allocatedStorageGiB: 20,
    maxAllocatedStorageGiB: 50,
    multiAz: false,
    deletionProtection: false,
    backupRetentionDays: 1,
    performanceInsights: false,
    enhancedMonitoringIntervalSeconds: 0,
    // No RDS Proxy ($21.90/month, docs/COST.md): the functions log in to the instance directly with IAM auth.
    // Its ~200 new connections/s limit is far above dev's concurrency (ingest maxConcurrency 2, admin throttled).
    proxy: false,
  },
  removalPolicies: {
    database: 'destroy',
    keys: 'destroy',
    secrets: 'destroy',
    queues: 'destroy',
    logs: 'destroy',
  },
  // No web ACL ($18.10/month with its alarm, docs/COST.md): a security decision for dev only, documented in docs/SECURITY.md
  // ("Environments without WAF"). The signature and the admin token still guard every route.
  waf: { enabled: false, rateLimitPerIp: 1000, adminRateLimitPerIp: 100, adminAllowedCidrs: [] },
  // No reserved concurrency: it can fail a first deploy in a new account (Lambda keeps 100 unreserved);
  // maxConcurrency bounds the proxy connections.
  ingest: { batchSize: 10, maxConcurrency: 2 },
  alarms: {
    // No dashboard (up to $3/month, docs/COST.md): dev is read in the metrics console; every alarm stays.
    dashboard: false,
    window: { evaluationPeriods: 3, datapointsToAlarm: 2 },
    thresholds: {
      signatureFailuresPer5Min: 20,
      adminAuthFailuresPer5Min: 10,
      invalidPayloadsPer5Min: 50,
      voiceSignatureFailuresPer5Min: 10,
      voiceFallbacksPer5Min: 1,
      lambdaErrorsPer5Min: 5,
      api5xxPer5Min: 10,
      dlqNewMessages: 1,
      oldestMessageAgeSeconds: 900,
      wafBlockedPer5Min: 500,
      rdsCpuPercent: 90,
      rdsFreeStorageGiB: 2,
      rdsConnections: 60,
    },
  },
  // One secret each (<prefix>/admin-credential/<id>); rename them to your people in config/dev.json (docs/DEPLOY.md).
  // No `reader` holder in dev (cost, admin-holders.ts); add one in config/dev.json if needed.
  admin: { holders: DEV_ADMIN_HOLDERS },
  // Off in dev: no canary traffic, no page for a quiet afternoon.
  canary: { everyMinutes: 0 },
  trafficDrop: { silentMinutes: 0 },
  // A spoken answer until the operator points defaultAnswer at the voice agent's wss:// stream (config/dev.json).
  voice: {
    enabled: true,
    defaultAnswer: { kind: 'say', text: 'This is the Signalgate development stack. Goodbye.' },
    fallback: {
      kind: 'say',
      text: 'Sorry, the assistant is not available right now. Please call again later.',
    },
  },
  rotation: { databaseDays: 30, adminTokenDays: 30, twilioTokenDays: 90 },
};
