// The local stack's configuration: the one place it reads process.env and argv, validated with zod.

import path from 'node:path';
import * as z from 'zod';
import { ownNumbersList } from '../lambda/admin/admin-config.js';
import { jsonVariable } from '../lambda/shared/env-config.js';
import { TWILIO_AUTH_TOKEN_PATTERN } from '../lambda/shared/secret-values.js';
import { VoiceConfig } from '../lambda/shared/voice-config.js';
import { publicBaseUrlSchema, webhookQuerySchema } from '../lambda/shared/webhook-url.js';

/**
 * The local stack's voice answer when VOICE_CONFIG is unset: connect to a media-stream endpoint on
 * loopback (nothing needs to listen there: Twilio never calls a local stack), with a fallback.
 */
export const LOCAL_VOICE_CONFIG: VoiceConfig = VoiceConfig.parse({
  enabled: true,
  defaultAnswer: { kind: 'stream', url: 'wss://127.0.0.1:8765/agent', parameters: { environment: 'local' } },
  fallback: {
    kind: 'say',
    text: 'Sorry, the assistant is not available right now. Please call again later.',
  },
});

/** ARCHITECTURE §8 plus one override for tests and parallel stacks. */
const LocalEnv = z.object({
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  PUBLIC_BASE_URL: publicBaseUrlSchema.optional(),
  /** The query string of the webhook URLs as given to Twilio, if any: signatures are checked over it. */
  WEBHOOK_QUERY: webhookQuerySchema.optional(),
  // Anything else would never verify a signature (ARCHITECTURE §3): refuse it at start, not at the first webhook.
  TWILIO_AUTH_TOKEN: z
    .string()
    .regex(TWILIO_AUTH_TOKEN_PATTERN, 'must be a Twilio auth token (32 lowercase hex characters)')
    .optional(),
  ADMIN_TOKEN: z.string().min(32, 'must be at least 32 characters').optional(),
  /** JSON {"<id>":{"token":"…","role":"reader|privacy|operator"}}; parsed by local/admin-credentials.ts. */
  ADMIN_CREDENTIALS: z.string().min(1).optional(),
  /** Comma-separated E.164 numbers of the business: export and erasure refuse them (409). */
  OWN_NUMBERS: ownNumbersList.optional(),
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
  /** JSON VoiceConfig (lambda/shared/voice-config.ts): the voice answer; @default LOCAL_VOICE_CONFIG */
  VOICE_CONFIG: jsonVariable(VoiceConfig).optional(),
  /** Set by npm for `npm start`: the stack then follows npm's lifetime (see parent-watch.ts). */
  npm_lifecycle_event: z.string().optional(),
  /** Where keys, secrets, the queue journal, logs and the embedded cluster live. */
  SIGNALGATE_DATA_DIR: z.string().min(1).default('.local'),
});

export interface LocalConfig {
  readonly port: number;
  /** Loopback only: the stack is a development tool and must not be reachable from the network. */
  readonly host: '127.0.0.1';
  readonly publicBaseUrl: string;
  readonly webhookQuery: string | undefined;
  readonly twilioAuthToken: string | undefined;
  readonly adminToken: string | undefined;
  readonly adminCredentials: string | undefined;
  readonly ownNumbers: readonly string[];
  readonly databaseUrl: string | undefined;
  readonly voice: VoiceConfig;
  readonly dataDir: string;
  readonly showTokens: boolean;
  readonly launchedByNpm: boolean;
}

/** Throws one error naming every invalid variable (never its value). */
export function loadLocalConfig(env: NodeJS.ProcessEnv, argv: readonly string[]): LocalConfig {
  // Empty variables count as unset, as a shell `PORT= npm start` means "no value".
  const present = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ''),
  );
  const parsed = LocalEnv.safeParse(present);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`invalid environment: ${problems.join('; ')}`);
  }
  const unknownFlags = argv.filter((arg) => arg !== '--show-tokens');
  if (unknownFlags.length > 0)
    throw new Error(`unknown argument(s): ${unknownFlags.join(' ')} (known: --show-tokens)`);
  const e = parsed.data;
  return {
    port: e.PORT,
    host: '127.0.0.1',
    publicBaseUrl: e.PUBLIC_BASE_URL ?? `http://127.0.0.1:${e.PORT}`,
    webhookQuery: e.WEBHOOK_QUERY,
    twilioAuthToken: e.TWILIO_AUTH_TOKEN,
    adminToken: e.ADMIN_TOKEN,
    adminCredentials: e.ADMIN_CREDENTIALS,
    ownNumbers: e.OWN_NUMBERS ?? [],
    databaseUrl: e.DATABASE_URL,
    voice: e.VOICE_CONFIG ?? LOCAL_VOICE_CONFIG,
    dataDir: path.resolve(e.SIGNALGATE_DATA_DIR),
    showTokens: argv.includes('--show-tokens'),
    launchedByNpm: e.npm_lifecycle_event !== undefined,
  };
}

/** The files under the data directory, named in one place (reset, simulate and docs rely on them). */
export function localPaths(dataDir: string) {
  return {
    dataDir,
    secrets: path.join(dataDir, 'secrets.json'),
    /** Admin credentials per holder (ARCHITECTURE §8), when ADMIN_CREDENTIALS is unset. */
    adminCredentials: path.join(dataDir, 'admin-credentials.json'),
    /** Passwords of the function roles on the embedded server (each function logs in as its own role). */
    dbRoles: path.join(dataDir, 'db-roles.json'),
    lock: path.join(dataDir, 'stack.pid'),
    postgres: path.join(dataDir, 'postgres'),
    /** The embedded server's generated password (mode 0600). */
    postgresPassword: path.join(dataDir, 'postgres-password'),
    queueJournal: path.join(dataDir, 'queue.jsonl'),
    deadLetters: path.join(dataDir, 'dead-letters.jsonl'),
    log: path.join(dataDir, 'signalgate.log'),
    postgresLog: path.join(dataDir, 'postgres.log'),
    /** The running stack's database URL, rewritten on each start (`psql "$(cat .local/database-url)"`). */
    databaseUrl: path.join(dataDir, 'database-url'),
  } as const;
}
export type LocalPaths = ReturnType<typeof localPaths>;
