// The typed, validated shape of one deployment environment's configuration (ARCHITECTURE §7).
import * as z from 'zod';
import { DEFAULT_PREVIOUS_TOKEN_GRACE_SECONDS } from '../../lambda/shared/env-config.js';
import { AdminRole, CANARY_HOLDER_ID } from '../../lambda/shared/names.js';
import { isE164 } from '../../lambda/shared/phone.js';
import { graceFloorMs } from '../../lambda/shared/rotation/pending-age.js';
import { CREDENTIAL_ID } from '../../lambda/shared/secret-values.js';
import { VoiceConfig } from '../../lambda/shared/voice-config.js';
import { webhookQuerySchema } from '../../lambda/shared/webhook-url.js';
import { ROTATION_TIMINGS } from './rotation-timings.js';
import { sampleValueProblems } from './sample-values.js';

/**
 * Admin holders an environment may configure (the canary's own comes on top), and their id length: each holder
 * puts its id and secret ARN in the admin function's environment, which Lambda limits to 4 KB
 * (test/infra/admin-environment-size.test.ts checks these bounds against it).
 */
export const MAX_ADMIN_HOLDERS = 8;
export const MAX_ADMIN_HOLDER_ID_CHARS = 32;

/** The longest rotation.previousTokenGraceMinutes: a leaked old token dies within the hour. */
export const MAX_PREVIOUS_TOKEN_GRACE_MINUTES = 60;

/** Room for the voice configuration in the webhook's environment (4 KB in all, the other variables ~1.5 KB). */
export const VOICE_CONFIG_MAX_CHARS = 2048;

/** Environments the app knows; `-c env=NAME` picks one. */
export const ENV_NAMES = ['dev', 'staging', 'prod'] as const;
export type EnvName = (typeof ENV_NAMES)[number];

/** CloudWatch Logs accepts only these retention periods (days). */
const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

const removalPolicy = z.enum(['retain', 'snapshot', 'destroy']);
const removalPolicyNoSnapshot = z.enum(['retain', 'destroy']);

const ipv4Cidr = z
  .string()
  .regex(
    /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/,
    'must be an IPv4 CIDR such as 203.0.113.0/24',
  )
  .refine(
    (cidr) => {
      const [ip = '', mask = ''] = cidr.split('/');
      return ip.split('.').every((octet) => Number(octet) <= 255) && Number(mask) <= 32;
    },
    { message: 'octets must be 0-255 and the prefix length 0-32' },
  );

const positiveInt = z.number().int().positive();

const customDomainSchema = z.strictObject({
  /** Public host name Twilio calls, e.g. hooks.example.com. */
  domainName: z
    .string()
    .regex(
      /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/,
      'must be a lower-case DNS name',
    ),
  /** Regional ACM certificate for domainName, in the stack's region. */
  certificateArn: z
    .string()
    .regex(
      /^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]{36}$/,
      'must be an ACM certificate ARN',
    ),
  /** Base path mapping ('' maps the API at the root of the domain). */
  basePath: z
    .string()
    .regex(/^[a-zA-Z0-9._-]*$/, 'must be a single path segment without slashes')
    .default(''),
  /** When set, an alias A record is created in this hosted zone (no lookup: id and name are given). */
  hostedZone: z
    .strictObject({
      id: z.string().regex(/^Z[A-Z0-9]{1,31}$/, 'must be a Route 53 hosted zone id'),
      name: z.string().min(1),
    })
    .optional(),
});

/** Lambda refuses a reservation that leaves fewer unreserved concurrent executions in the account. */
export const LAMBDA_UNRESERVED_MINIMUM = 100;

export const envConfigSchema = z
  .strictObject({
    envName: z.enum(ENV_NAMES),
    /**
     * AWS account the environment deploys to (a user value: config/<env>.json or -c account=…).
     * @default - account-agnostic templates: `cdk deploy` uses the account of the operator's credentials
     */
    account: z
      .string()
      .regex(/^\d{12}$/, 'must be a 12-digit AWS account id')
      .optional(),
    region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region such as eu-west-1'),
    /**
     * Refuse sample values (example domains, documentation CIDRs, placeholder accounts and Twilio SIDs,
     * see sample-values.ts): on where a copied example would reach real users.
     */
    refuseSampleValues: z.boolean().default(false),
    /**
     * The business's own numbers (E.164). Export and erase refuse them (409): one such export would be
     * every customer's data (ARCHITECTURE §2).
     */
    ownNumbers: z
      .array(z.string().refine(isE164, { message: 'must be an E.164 number such as +14155550100' }))
      .default([]),
    /** Explicit availability zones, so synth never looks them up (2-3). */
    availabilityZones: z.array(z.string()).min(2, 'needs at least 2 zones').max(3, 'at most 3 zones'),
    vpcCidr: ipv4Cidr,
    /**
     * Zones that get an interface endpoint ENI (the first N of availabilityZones). Each endpoint costs per
     * zone-hour; functions in the other zones reach it across zones (private DNS resolves VPC-wide), so fewer
     * zones trade the endpoints' zone redundancy for cost. @default every zone
     */
    vpcEndpointZones: z.number().int().min(1).max(3).optional(),
    api: z.strictObject({
      /** API Gateway stage name; also the path prefix of the execute-api URL. */
      stageName: z.string().regex(/^[a-zA-Z0-9_]{1,64}$/, 'must be 1-64 letters, digits or _'),
      /** Optional custom domain; when set the execute-api endpoint is disabled. */
      customDomain: customDomainSchema.optional(),
      /**
       * API Gateway's CloudWatch role is account-wide: exactly one environment per account sets this
       * (ARCHITECTURE §9), the others rely on it.
       */
      manageAccountCloudWatchRole: z.boolean(),
      /** Stage-wide steady-state requests per second and burst. */
      throttling: z.strictObject({ rateLimit: positiveInt, burstLimit: positiveInt }),
      /** Tighter throttling for /admin/* methods. */
      adminThrottling: z.strictObject({ rateLimit: positiveInt, burstLimit: positiveInt }),
    }),
    twilio: z.strictObject({
      /** Twilio accounts whose webhooks are accepted; one auth-token secret is created per account. */
      // Empty is deployable: the webhook then verifies nothing and answers 503 until an account is added.
      accountSids: z
        .array(z.string().regex(/^AC[0-9a-f]{32}$/, 'must be a Twilio Account SID (AC + 32 hex)'))
        .refine((sids) => new Set(sids).size === sids.length, { message: 'must not repeat an Account SID' })
        .default([]),
      /** Twilio connection-override fragment appended to the webhook URL outputs (see docs/DEPLOY.md). */
      connectionOverrides: z
        .string()
        .regex(
          /^(ct|rt|tt|rc|rp|e|sni)=[^&#\s]+(&(ct|rt|tt|rc|rp|e|sni)=[^&#\s]+)*$/,
          'must be like rc=3&rp=ct,rt,5xx',
        ),
      /**
       * The query string of the webhook URLs as set in the Twilio console (e.g. tenant=acme), when they carry
       * one: signatures are verified over exactly this spelling. @default none
       */
      webhookQuery: webhookQuerySchema.optional(),
      /**
       * Creates the Twilio token rotation schedules. A schedule rotates the moment it is created, so turn this on
       * only after the real auth token of every account is in its secret (docs/DEPLOY.md). @default false
       */
      rotationEnabled: z.boolean().default(false),
    }),
    /**
     * The account's Lambda concurrent-executions quota in this region (Service Quotas; 1,000 by default, lower
     * in some new accounts). Reserved concurrency must leave 100 of it unreserved. @default 1000
     */
    lambdaConcurrencyQuota: z.number().int().min(10).default(1000),
    /** How long the Lambdas cache a secret value before reading it again. */
    secretCacheSeconds: z.number().int().min(30).max(3600),
    /** Stored messages older than this are deleted by the retention run. */
    retentionDays: z.number().int().min(1).max(3650),
    /** Retention of every log group (Lambda, API access, WAF, flow logs). */
    logRetentionDays: z
      .number()
      .int()
      .refine((d) => (LOG_RETENTION_DAYS as readonly number[]).includes(d), {
        message: `must be one of ${LOG_RETENTION_DAYS.join(', ')}`,
      }),
    database: z.strictObject({
      databaseName: z.string().regex(/^[a-z][a-z0-9_]{0,62}$/, 'must be a lower-case Postgres identifier'),
      postgresMajorVersion: z.enum(['16', '17']),
      /** e.g. t4g.micro, r7g.large (without the db. prefix). */
      instanceClass: z.string().regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/, 'must look like t4g.micro'),
      allocatedStorageGiB: z.number().int().min(20).max(65536),
      maxAllocatedStorageGiB: z.number().int().min(20).max(65536),
      multiAz: z.boolean(),
      deletionProtection: z.boolean(),
      backupRetentionDays: z.number().int().min(1, 'backups are mandatory (>= 1 day)').max(35),
      performanceInsights: z.boolean(),
      /**
       * RDS Proxy between the functions and the instance (pooling, fail-over handling; IAM auth straight to the
       * instance throttles new connections at ~200/s, ARCHITECTURE §9). false: the functions log in to the
       * instance directly with IAM auth (same roles, same grants, TLS verified against the RDS CA).
       */
      proxy: z.boolean(),
      /** 0 disables enhanced monitoring. */
      enhancedMonitoringIntervalSeconds: z.union([
        z.literal(0),
        z.literal(1),
        z.literal(5),
        z.literal(10),
        z.literal(15),
        z.literal(30),
        z.literal(60),
      ]),
    }),
    removalPolicies: z.strictObject({
      database: removalPolicy,
      keys: removalPolicyNoSnapshot,
      secrets: removalPolicyNoSnapshot,
      queues: removalPolicyNoSnapshot,
      logs: removalPolicyNoSnapshot,
    }),
    waf: z.strictObject({
      /**
       * A web ACL on the API stage (ARCHITECTURE §7). false leaves the stage without WAF: the signature still
       * authenticates every webhook and the admin token every admin call, but nothing rate-limits per IP or
       * filters bodies before the handlers (docs/SECURITY.md, "Environments without WAF").
       */
      enabled: z.boolean(),
      /** Requests per IP per 5 minutes, any route. */
      rateLimitPerIp: z.number().int().min(10).max(2_000_000_000),
      /** Requests per IP per 5 minutes on /admin routes (tight). */
      adminRateLimitPerIp: z.number().int().min(10).max(2_000_000_000),
      /** When non-empty, /admin routes only accept these source CIDRs. */
      adminAllowedCidrs: z.array(ipv4Cidr).default([]),
    }),
    ingest: z.strictObject({
      batchSize: z.number().int().min(1).max(10),
      /** Reserved concurrency of the ingest Lambda: bounds connections to the proxy. */
      reservedConcurrency: z.number().int().min(2).optional(),
      /** Maximum concurrency of the SQS event source (>= 2, <= reservedConcurrency): bounds proxy connections. */
      maxConcurrency: z.number().int().min(2).max(1000),
    }),
    alarms: z.strictObject({
      /**
       * A CloudWatch dashboard of the environment ($3/month beyond the account's first three). The alarms do not
       * depend on it.
       */
      dashboard: z.boolean(),
      /** Addresses subscribed to the on-call topic (each must confirm the subscription). */
      emails: z.array(z.email()).default([]),
      /** HTTPS endpoint (PagerDuty, Opsgenie) subscribed to the on-call topic; must confirm like an e-mail. */
      httpsEndpoint: z.url({ protocol: /^https$/, error: 'must be an https:// URL' }).optional(),
      /** Rate alarms fire when datapointsToAlarm of the last evaluationPeriods 5-minute periods breach. */
      window: z
        .strictObject({
          evaluationPeriods: z.number().int().min(1).max(12),
          datapointsToAlarm: z.number().int().min(1).max(12),
        })
        .refine((w) => w.datapointsToAlarm <= w.evaluationPeriods, {
          message: 'datapointsToAlarm must be <= evaluationPeriods',
          path: ['datapointsToAlarm'],
        })
        .default({ evaluationPeriods: 1, datapointsToAlarm: 1 }),
      /** Thresholds used by the alarms (issue 6), set per environment; the alarms construct holds the defaults of the rest. */
      thresholds: z.strictObject({
        signatureFailuresPer5Min: positiveInt,
        adminAuthFailuresPer5Min: positiveInt,
        /** Signed webhooks that failed validation. */
        invalidPayloadsPer5Min: positiveInt,
        /** Signature failures on the voice routes. */
        voiceSignatureFailuresPer5Min: positiveInt,
        /** Calls answered with the fallback (the stream target unavailable); 1 means any fallback alarms. */
        voiceFallbacksPer5Min: positiveInt,
        /** Per function; 1 means any error alarms. */
        lambdaErrorsPer5Min: positiveInt,
        api5xxPer5Min: positiveInt,
        /** New dead letters per minute that page (each arrival pages again, even while in ALARM). */
        dlqNewMessages: positiveInt,
        oldestMessageAgeSeconds: positiveInt,
        wafBlockedPer5Min: positiveInt,
        rdsCpuPercent: z.number().min(1).max(100),
        rdsFreeStorageGiB: positiveInt,
        rdsConnections: positiveInt,
      }),
    }),
    /**
     * Voice (issue 14): whether the voice routes exist, and the TwiML an incoming call is answered with
     * (default and per called number: a media stream, a spoken message, or a rejection; the fallback said
     * while the stream target is unavailable). The stream URL is the operator's: set it in config/<env>.json.
     */
    // It travels as the webhook's VOICE_CONFIG variable: Lambda allows 4 KB of environment in all.
    voice: VoiceConfig.refine((voice) => JSON.stringify(voice).length <= VOICE_CONFIG_MAX_CHARS, {
      message: `must fit in ${VOICE_CONFIG_MAX_CHARS} characters as JSON (Lambda's 4 KB environment limit)`,
    }),
    /**
     * Admin API holders (ARCHITECTURE §2, §5): one Secrets Manager secret each, `<prefix>/admin-credential/<id>`,
     * holding only the token; the role is this config's, passed to the admin function, never read from the
     * secret. At least two `privacy` holders: four-eyes needs a requester and a different approver.
     */
    admin: z.strictObject({
      holders: z.array(
        z.strictObject({
          id: z
            .string()
            .regex(
              CREDENTIAL_ID,
              `must be 1-${MAX_ADMIN_HOLDER_ID_CHARS} of a-z, 0-9, ".", "_", "-", starting with a letter or digit`,
            )
            .max(MAX_ADMIN_HOLDER_ID_CHARS, `at most ${MAX_ADMIN_HOLDER_ID_CHARS} characters`)
            // Secrets Manager appends "-" and six characters to a secret's ARN; a name ending that way is
            // ambiguous in a partial ARN (CreateSecret API reference).
            .refine((id) => !/-[a-z0-9]{6}$/.test(id), 'must not end in "-" and six letters or digits')
            .refine((id) => id !== CANARY_HOLDER_ID, `"${CANARY_HOLDER_ID}" is the canary's own holder`),
          role: z.enum([AdminRole.reader, AdminRole.privacy, AdminRole.operator]),
          /**
           * The IAM role or user ARN of the person (or tool) holding this credential: the only principal,
           * besides the admin and rotation functions, that the secret's resource policy lets read it.
           * @default none (nobody but the functions can read the token; docs/DEPLOY.md)
           */
          principalArn: z
            .string()
            .regex(
              /^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/[\w+=,.@/-]+$/,
              'must be an IAM role or user ARN',
            )
            .optional(),
        }),
      ),
    }),
    /**
     * The canary (ARCHITECTURE §6): a signed synthetic message through the public URL every `everyMinutes`,
     * confirmed stored; 0 turns it off. It needs a Twilio account (twilio.accountSids) to sign with.
     */
    canary: z.strictObject({ everyMinutes: z.number().int().min(0).max(60) }).default({ everyMinutes: 0 }),
    /**
     * Pages when no real message is stored for `silentMinutes` (0: off). CloudWatch evaluates at most one day.
     */
    trafficDrop: z
      .strictObject({ silentMinutes: z.number().int().min(0).max(1440) })
      .default({ silentMinutes: 0 }),
    rotation: z.strictObject({
      databaseDays: z.number().int().min(1).max(365),
      adminTokenDays: z.number().int().min(1).max(365),
      twilioTokenDays: z.number().int().min(1).max(365),
      /**
       * How long the previous Twilio auth token and the previous admin token stay valid after a
       * rotation (ARCHITECTURE §3): at least the promotion delay + secret cache age + a minute, so no
       * genuine webhook is refused mid-switch, plus three rotation steps at their timeout, so a slow rotation
       * is not refused as stale (lambda/shared/rotation/pending-age.ts); at most an hour, so a leaked old
       * token dies with it.
       */
      previousTokenGraceMinutes: z
        .number()
        .int()
        .min(1)
        .max(MAX_PREVIOUS_TOKEN_GRACE_MINUTES)
        .default(DEFAULT_PREVIOUS_TOKEN_GRACE_SECONDS / 60),
    }),
  })
  .superRefine((cfg, ctx) => {
    cfg.admin.holders.forEach((holder, i) => {
      if (cfg.admin.holders.findIndex((h) => h.id === holder.id) < i) {
        ctx.addIssue({
          code: 'custom',
          path: ['admin', 'holders', i, 'id'],
          message: `repeats holder "${holder.id}"`,
        });
      }
    });
    if (cfg.admin.holders.length > MAX_ADMIN_HOLDERS) {
      ctx.addIssue({
        code: 'custom',
        path: ['admin', 'holders'],
        message: `at most ${MAX_ADMIN_HOLDERS} holders (the admin function's environment is limited to 4 KB); has ${cfg.admin.holders.length}`,
      });
    }
    const privacyHolders = cfg.admin.holders.filter((h) => h.role === AdminRole.privacy).length;
    if (privacyHolders < 2) {
      ctx.addIssue({
        code: 'custom',
        path: ['admin', 'holders'],
        message: `needs at least two privacy holders (four-eyes: one requests, another approves); has ${privacyHolders}`,
      });
    }
    if (cfg.refuseSampleValues) {
      for (const problem of sampleValueProblems(cfg)) ctx.addIssue({ code: 'custom', ...problem });
    }
    cfg.availabilityZones.forEach((az, i) => {
      if (!new RegExp(`^${cfg.region}[a-z]$`).test(az)) {
        ctx.addIssue({
          code: 'custom',
          path: ['availabilityZones', i],
          message: `"${az}" is not a zone of region ${cfg.region}`,
        });
      }
    });
    if (cfg.vpcEndpointZones !== undefined && cfg.vpcEndpointZones > cfg.availabilityZones.length) {
      ctx.addIssue({
        code: 'custom',
        path: ['vpcEndpointZones'],
        message: 'must be <= the number of availabilityZones',
      });
    }
    if (new Set(cfg.availabilityZones).size !== cfg.availabilityZones.length) {
      ctx.addIssue({ code: 'custom', path: ['availabilityZones'], message: 'must not repeat a zone' });
    }
    if (cfg.database.maxAllocatedStorageGiB < cfg.database.allocatedStorageGiB) {
      ctx.addIssue({
        code: 'custom',
        path: ['database', 'maxAllocatedStorageGiB'],
        message: 'must be >= allocatedStorageGiB',
      });
    }
    const reserved = cfg.ingest.reservedConcurrency ?? 0;
    if (reserved > cfg.lambdaConcurrencyQuota - LAMBDA_UNRESERVED_MINIMUM) {
      ctx.addIssue({
        code: 'custom',
        path: ['ingest', 'reservedConcurrency'],
        message: `must leave ${LAMBDA_UNRESERVED_MINIMUM} of lambdaConcurrencyQuota (${cfg.lambdaConcurrencyQuota}) unreserved, or Lambda refuses it`,
      });
    }
    if (
      cfg.ingest.reservedConcurrency !== undefined &&
      cfg.ingest.maxConcurrency > cfg.ingest.reservedConcurrency
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['ingest', 'maxConcurrency'],
        message: 'must be <= ingest.reservedConcurrency',
      });
    }
    if (cfg.api.throttling.burstLimit < cfg.api.throttling.rateLimit) {
      ctx.addIssue({
        code: 'custom',
        path: ['api', 'throttling', 'burstLimit'],
        message: 'must be >= rateLimit',
      });
    }
    if (cfg.waf.adminRateLimitPerIp > cfg.waf.rateLimitPerIp) {
      ctx.addIssue({
        code: 'custom',
        path: ['waf', 'adminRateLimitPerIp'],
        message: 'must be <= waf.rateLimitPerIp (the admin limit is the tight one)',
      });
    }
    const floorMs = Math.max(
      ...Object.values(ROTATION_TIMINGS).map((timing) => graceFloorMs(timing, cfg.secretCacheSeconds * 1000)),
    );
    if (floorMs > MAX_PREVIOUS_TOKEN_GRACE_MINUTES * 60_000) {
      ctx.addIssue({
        code: 'custom',
        path: ['secretCacheSeconds'],
        message: `too long: no rotation.previousTokenGraceMinutes up to ${MAX_PREVIOUS_TOKEN_GRACE_MINUTES} would cover it with a rotation (needs ${Math.ceil(floorMs / 60_000)})`,
      });
    } else if (cfg.rotation.previousTokenGraceMinutes * 60_000 < floorMs) {
      ctx.addIssue({
        code: 'custom',
        path: ['rotation', 'previousTokenGraceMinutes'],
        message: `must be >= ${Math.ceil(floorMs / 60_000)} (promotion delay + secretCacheSeconds + 1 minute margin + three rotation steps at their timeout, with start-ups)`,
      });
    }
    const domain = cfg.api.customDomain;
    if (domain && !domain.certificateArn.includes(`:acm:${cfg.region}:`)) {
      ctx.addIssue({
        code: 'custom',
        path: ['api', 'customDomain', 'certificateArn'],
        message: `a regional API needs a certificate in ${cfg.region}`,
      });
    }
    if (
      domain?.hostedZone &&
      !`.${domain.domainName}`.endsWith(`.${domain.hostedZone.name.replace(/\.$/, '')}`)
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['api', 'customDomain', 'hostedZone', 'name'],
        message: `${domain.domainName} is not in zone ${domain.hostedZone.name}`,
      });
    }
  });

/** What a config file writes (defaults not yet applied). */
export type EnvConfigInput = z.input<typeof envConfigSchema>;
/** A validated environment configuration. */
export type EnvConfig = z.output<typeof envConfigSchema>;

/** A configuration that failed validation; the message names every bad field. */
export class ConfigValidationError extends Error {
  constructor(
    readonly envName: string,
    readonly problems: readonly string[],
  ) {
    super(
      `Invalid configuration for environment "${envName}" (${problems.length} problem${
        problems.length === 1 ? '' : 's'
      }):\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    );
    this.name = 'ConfigValidationError';
  }
}

/** How a problem line names where a value came from, and which `-c` key would set a missing one. */
export interface ProblemContext {
  /** e.g. 'config/dev.json' or '-c account'; undefined for a committed default. */
  readonly originOf?: (path: readonly (string | number)[]) => string | undefined;
  /** The `-c` key that sets a path, suggested when its value is missing. */
  readonly contextKeyFor?: (path: readonly (string | number)[]) => string | undefined;
}

/** Validates raw input; throws one ConfigValidationError with one line per missing or invalid value. */
export function parseEnvConfig(envName: string, input: unknown, context: ProblemContext = {}): EnvConfig {
  const result = envConfigSchema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.flatMap((issue) => {
    // One line per unknown key (a typo in a user file), each with its own path.
    const entries: Array<{ path: readonly PropertyKey[]; message: string }> =
      issue.code === 'unrecognized_keys'
        ? issue.keys.map((key) => ({ path: [...issue.path, key], message: 'unknown setting (a typo?)' }))
        : [{ path: issue.path, message: issue.message }];
    return entries.map(({ path, message }) => {
      const keys = path.map((k) => (typeof k === 'number' ? k : String(k)));
      const where = keys.length > 0 ? keys.join('.') : '(root)';
      const missing = issue.code === 'invalid_type' && /received undefined$/.test(issue.message);
      const key = context.contextKeyFor?.(keys);
      const text = missing
        ? `missing: set it in config/${envName}.json${key ? ` or with -c ${key}=…` : ''}`
        : message;
      const origin = missing ? undefined : context.originOf?.(keys);
      return `${where}: ${text}${origin ? ` (from ${origin})` : ''}`;
    });
  });
  throw new ConfigValidationError(envName, problems);
}

/**
 * The Twilio account the canary signs as, or undefined where no canary runs: it is on (`everyMinutes` > 0)
 * and has an account to sign with (the first of twilio.accountSids).
 */
export function canaryAccountOf(config: Pick<EnvConfig, 'canary' | 'twilio'>): string | undefined {
  return config.canary.everyMinutes > 0 ? config.twilio.accountSids[0] : undefined;
}

/**
 * Every admin holder of an environment: the configured ones, and the canary's own `reader` wherever the
 * canary runs. One secret each; the CDK app and npm run rotate agree.
 */
export function adminHoldersOf(
  config: Pick<EnvConfig, 'admin' | 'canary' | 'twilio'>,
): Array<{ id: string; role: AdminRole; principalArn?: string }> {
  const canary = canaryAccountOf(config) !== undefined;
  return [...config.admin.holders, ...(canary ? [{ id: CANARY_HOLDER_ID, role: AdminRole.reader }] : [])];
}
