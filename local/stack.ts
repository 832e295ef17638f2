// Composes the local stack: data directory, secrets, PostgreSQL, queue, handlers, HTTP server.
// Everything started is stopped in reverse order, on shutdown and when a later step fails.

import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import type { Server } from 'node:http';
import { EmfTally } from '../lambda/admin/adapters/emf-tally.js';
import { FunctionQueueStats } from '../lambda/admin/adapters/function-queue-stats.js';
import { SourceSecretAges } from '../lambda/admin/adapters/source-secret-ages.js';
import { createLocalAdminDeps } from '../lambda/admin/local-deps.js';
import { makeAdminHandler } from '../lambda/admin/make-admin-handler.js';
import { createLocalIngestDeps } from '../lambda/ingest/local-deps.js';
import { makeIngestHandler } from '../lambda/ingest/make-ingest-handler.js';
import { LOCAL_BACKOFF, maxReceiveCountFor } from '../lambda/ingest/redelivery.js';
import { MemorySecretSource } from '../lambda/shared/adapters/local/memory-secret-source.js';
import { lazyRetrying } from '../lambda/shared/lazy.js';
import type { LocalSinks } from '../lambda/shared/local-telemetry.js';
import { createLogger, type LogSink } from '../lambda/shared/logger.js';
import { AdminRole } from '../lambda/shared/names.js';
import { createLocalWebhookDeps } from '../lambda/webhook/local-deps.js';
import { makeWebhookHandler } from '../lambda/webhook/make-webhook-handler.js';
import { ANY_ACCOUNT } from '../lambda/webhook/twilio-tokens.js';
import { type AdminCredentials, loadAdminCredentials } from './admin-credentials.js';
import { type LocalConfig, type LocalPaths, localPaths } from './config.js';
import { type LocalDatabase, openLocalDatabase } from './database.js';
import { createLocalServer } from './http-server.js';
import { LocalQueue } from './local-queue.js';
import { type LocalSecrets, loadLocalSecrets } from './local-secrets.js';
import { assertPortFree } from './port-check.js';
import { QueueJournal } from './queue-journal.js';
import { routeTable } from './routes.js';
import { acquireStackLock } from './stack-lock.js';

/** What POST /admin/retention/run keeps locally. */
const LOCAL_RETENTION_DAYS = 30;
/** Secret ids of the in-memory secret source; in AWS these are Secrets Manager ARNs. */
export const LocalSecretId = {
  twilio: 'local/twilio-auth-token',
  blindIndex: 'local/blind-index-key',
  admin: 'local/admin-credentials',
} as const;

/** The holder id of ADMIN_TOKEN in the audit log: one more credential, holding every role. */
export const LOCAL_ADMIN_TOKEN_ID = 'admin-token';

/** Bounds of a clean stop: in-flight requests, then the queue drain (what is left is journaled). */
const REQUEST_GRACE_MS = 5_000;
const QUEUE_DRAIN_MS = 10_000;

export interface RunningStack {
  readonly url: string;
  readonly publicBaseUrl: string;
  readonly paths: LocalPaths;
  readonly secrets: LocalSecrets;
  /** The admin credentials per holder, and where they came from. */
  readonly adminCredentials: {
    readonly credentials: AdminCredentials;
    readonly from: 'environment' | 'file';
  };
  readonly database: LocalDatabase;
  readonly queue: LocalQueue;
  /** Messages left by the last run and delivered again now. */
  readonly requeued: number;
  /** Stops everything; resolves with the number of messages journaled for the next start. */
  stop(): Promise<number>;
}

type Cleanup = () => Promise<unknown>;

async function runCleanups(cleanups: Cleanup[]): Promise<void> {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port, exclusive: true }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

async function closeServer(server: Server): Promise<void> {
  const closed = once(server, 'close');
  server.close();
  server.closeIdleConnections();
  const timer = setTimeout(() => server.closeAllConnections(), REQUEST_GRACE_MS);
  await closed;
  clearTimeout(timer);
}

export async function startStack(config: LocalConfig): Promise<RunningStack> {
  const paths = localPaths(config.dataDir);
  await mkdir(paths.dataDir, { recursive: true, mode: 0o700 });
  await assertPortFree(config.host, config.port);
  const cleanups: Cleanup[] = [];
  try {
    const lock = await acquireStackLock(paths.lock);
    cleanups.push(() => lock.release());

    const secrets = await loadLocalSecrets(paths.secrets, {
      twilioAuthToken: config.twilioAuthToken,
      adminToken: config.adminToken,
    });
    const adminCredentials = await loadAdminCredentials(paths.adminCredentials, config.adminCredentials);

    const logFile = createWriteStream(paths.log, { flags: 'a', mode: 0o600 });
    cleanups.push(() => new Promise((resolve) => logFile.end(resolve)));
    const sink: LogSink = (line) => logFile.write(`${line}\n`);
    // /admin/metrics reads the counts of every local function from this tally of their EMF lines.
    const tally = new EmfTally();
    const sinks: LocalSinks = { logs: sink, metrics: tally.sink(sink) };

    const database = await openLocalDatabase(paths, config.databaseUrl);
    cleanups.push(() => database.stop());

    const queueLogger = createLogger('signalgate-local-queue', sink);
    const { journal, pending } = await QueueJournal.open(paths.queueJournal);
    // The same rules as in AWS (ARCHITECTURE §1): ingest backs off while the database is unavailable, on a
    // shorter clock, with a receive budget sized for a 4-hour outage; poison goes to the dead-letter file.
    const queue: LocalQueue = new LocalQueue({
      journal,
      pending,
      consumer: makeIngestHandler(
        lazyRetrying(() => createLocalIngestDeps({ db: database.rolePools.ingest, queue, sinks })),
      ),
      maxReceiveCount: maxReceiveCountFor(LOCAL_BACKOFF),
      deadLetterFile: paths.deadLetters,
      onDeadLetter: (messageId, receiveCount) =>
        queueLogger.error('local.dead_lettered', { messageId, receiveCount }),
    });
    cleanups.push(() => queue.close(QUEUE_DRAIN_MS));

    const secretSource = new MemorySecretSource({
      [LocalSecretId.twilio]: JSON.stringify({
        accountSid: secrets.twilioAccountSid,
        authToken: secrets.twilioAuthToken,
      }),
      [LocalSecretId.blindIndex]: JSON.stringify({ key: secrets.blindIndexKey }),
      [LocalSecretId.admin]: JSON.stringify({ credentials: adminCredentials.credentials }),
    });
    const webhookDeps = Promise.resolve(
      createLocalWebhookDeps({
        publicBaseUrl: config.publicBaseUrl,
        ...(config.webhookQuery ? { webhookQuery: config.webhookQuery } : {}),
        wrappingKey: secrets.wrappingKey,
        secretSource,
        // One local token for whatever AccountSid the caller uses (the simulator, a real account).
        tokenSecrets: { [ANY_ACCOUNT]: LocalSecretId.twilio },
        blindIndexSecretId: LocalSecretId.blindIndex,
        queue,
        sinks,
        voice: config.voice,
      }),
    );

    const adminDeps = Promise.resolve(
      createLocalAdminDeps({
        db: database.rolePools.admin,
        wrappingKey: secrets.wrappingKey,
        secretSource,
        adminCredentials: LocalSecretId.admin,
        ...(secrets.adminToken
          ? {
              extraCredentials: [
                {
                  token: secrets.adminToken,
                  caller: {
                    id: LOCAL_ADMIN_TOKEN_ID,
                    roles: [AdminRole.reader, AdminRole.privacy, AdminRole.operator],
                  },
                },
              ],
            }
          : {}),
        ownNumbers: config.ownNumbers,
        blindIndexSecretId: LocalSecretId.blindIndex,
        retentionDays: LOCAL_RETENTION_DAYS,
        queueStats: new FunctionQueueStats(() => {
          const depth = queue.depth();
          return {
            depth: depth.messages - depth.inFlight,
            inFlight: depth.inFlight,
            oldestAgeSeconds: Math.floor(depth.oldestAgeMs / 1000),
            deadLetterDepth: depth.deadLettered,
          };
        }),
        secretAges: new SourceSecretAges(secretSource, {
          adminCredentials: LocalSecretId.admin,
          blindIndexKey: LocalSecretId.blindIndex,
          twilioAuthToken: LocalSecretId.twilio,
        }),
        counters: tally,
        sinks,
      }),
    );

    const dispatch = routeTable({
      webhook: makeWebhookHandler(() => webhookDeps),
      // ADMIN ROUTES
      admin: makeAdminHandler(() => adminDeps),
    });
    const server = createLocalServer({ dispatch, logger: createLogger('signalgate-local-http', sink) });
    await listen(server, config.host, config.port);
    cleanups.push(() => closeServer(server));

    let stopping: Promise<number> | undefined;
    return {
      url: `http://${config.host}:${config.port}`,
      publicBaseUrl: config.publicBaseUrl,
      paths,
      secrets,
      adminCredentials,
      database,
      queue,
      requeued: pending.length,
      stop: () => {
        stopping ??= (async () => {
          // Reverse start order: no new requests, drain the queue into the database, then stop it.
          await closeServer(server);
          const left = await queue.close(QUEUE_DRAIN_MS);
          await database.stop();
          await new Promise((resolve) => logFile.end(resolve));
          await lock.release();
          return left;
        })();
        return stopping;
      },
    };
  } catch (error) {
    await runCleanups(cleanups);
    throw error;
  }
}
