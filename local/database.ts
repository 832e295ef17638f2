// The local stack's PostgreSQL: the embedded server under the data directory, or DATABASE_URL's.
// Either way the migrations are applied before the first request, as the deploy-time Trigger does.

import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import pg from 'pg';
import * as z from 'zod';
import { runMigrations } from '../lambda/shared/db/migrate.js';
import { poolFromUrl } from '../lambda/shared/db/pool.js';
import { DbRole } from '../lambda/shared/names.js';
import type { LocalPaths } from './config.js';
import {
  databaseUrl,
  LEGACY_POSTGRES_PASSWORD,
  postgresPasswordFrom,
  startEmbeddedPostgres,
} from './embedded-postgres.js';

export interface LocalDatabase {
  readonly url: string;
  /** Where the data lives, for the banner; the external URL's password is never shown. */
  readonly description: string;
  /** One pool per function, each connected as that function's role (ARCHITECTURE §4). */
  readonly rolePools: Readonly<Record<'ingest' | 'admin', pg.Pool>>;
  /** How the functions connect: as their own roles, or (an external database without them) as the URL's user. */
  readonly roles: 'own roles' | 'DATABASE_URL user';
  /** The embedded postmaster's pid; undefined with DATABASE_URL. */
  readonly postmasterPid: number | undefined;
  readonly migrationsApplied: readonly number[];
  /** Closes the pools and stops the embedded server, if this stack started it. */
  stop(): Promise<void>;
}

/** Connections for the ingest batches and the admin queries; the embedded server allows 200. */
const POOL_SIZE = 8;

const RolePasswords = z.record(z.string(), z.string().min(32));

/** The function roles' passwords: generated once into the data directory (0600), set on every start. */
async function rolePasswords(file: string): Promise<Record<string, string>> {
  const raw = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  const stored = raw === undefined ? undefined : RolePasswords.safeParse(JSON.parse(raw));
  if (stored?.success && Object.values(DbRole).every((role) => stored.data[role] !== undefined)) {
    await chmod(file, 0o600);
    return stored.data;
  }
  const passwords = Object.fromEntries(
    Object.values(DbRole).map((role) => [role, randomBytes(24).toString('base64url')]),
  );
  await writeFile(file, `${JSON.stringify(passwords, null, 2)}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
  return passwords;
}

/** Lets each function role log in with its password (the migrations create them NOLOGIN). */
async function enableRoleLogins(pool: pg.Pool, passwords: Record<string, string>): Promise<void> {
  for (const role of Object.values(DbRole)) {
    // The server quotes the identifier and literal; the password never appears in a log.
    const statement = await pool.query<{ sql: string }>(
      'SELECT format($$ALTER ROLE %I LOGIN PASSWORD %L$$, $1::text, $2::text) AS sql',
      [role, passwords[role]],
    );
    await pool.query(statement.rows[0]?.sql as string);
  }
}

function urlAs(url: string, role: string, password: string): string {
  const parsed = new URL(url);
  parsed.username = role;
  parsed.password = password;
  return parsed.toString();
}

/**
 * With DATABASE_URL the stack does not own the server, so it sets no password: each function's
 * connection switches to its role (`SET ROLE` at connect), which needs the URL's user to be a member
 * of the roles (a superuser is). Otherwise the functions share the URL's user, said in the banner.
 */
async function externalRolePools(url: string): Promise<Pick<LocalDatabase, 'rolePools' | 'roles'>> {
  const probe = new pg.Client(url);
  await probe.connect();
  let member = false;
  try {
    const result = await probe.query<{ ok: boolean }>(
      `SELECT bool_and(pg_has_role(current_user, r.rolname, 'MEMBER')) AND count(*) = $2 AS ok
       FROM pg_roles r WHERE r.rolname = ANY($1::text[])`,
      [Object.values(DbRole), Object.values(DbRole).length],
    );
    member = result.rows[0]?.ok === true;
  } finally {
    await probe.end();
  }
  const poolAs = (role: string) =>
    member
      ? new pg.Pool({ connectionString: url, max: POOL_SIZE, options: `-c role=${role}` }).on(
          'error',
          () => {},
        )
      : poolFromUrl(url, { max: POOL_SIZE });
  return {
    rolePools: { ingest: poolAs(DbRole.ingest), admin: poolAs(DbRole.admin) },
    roles: member ? 'own roles' : 'DATABASE_URL user',
  };
}

function withoutPassword(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '****';
  return parsed.toString();
}

async function migrate(pool: pg.Pool): Promise<number[]> {
  const client = await pool.connect();
  try {
    return (await runMigrations(client)).applied;
  } finally {
    client.release();
  }
}

/**
 * A cluster created before passwords were generated still accepts the documented legacy one: replace
 * it with the new password. A new cluster already has the new one, so the legacy login just fails.
 */
async function replaceLegacyPassword(serverUrl: string, password: string): Promise<void> {
  const legacy = new URL(serverUrl);
  legacy.password = LEGACY_POSTGRES_PASSWORD;
  const client = new pg.Client({ connectionString: databaseUrl(legacy.toString(), 'postgres') });
  try {
    await client.connect();
  } catch {
    return;
  }
  try {
    const quoted = (await client.query<{ q: string }>('SELECT quote_literal($1) AS q', [password])).rows[0]
      ?.q;
    await client.query(`ALTER ROLE CURRENT_USER PASSWORD ${quoted}`);
  } finally {
    await client.end();
  }
}

export async function openLocalDatabase(
  paths: LocalPaths,
  externalUrl: string | undefined,
): Promise<LocalDatabase> {
  if (externalUrl !== undefined) {
    // The schema owner's connection is only for the migrations: no function runs as the owner.
    const pool = poolFromUrl(externalUrl, { max: 1 });
    try {
      const applied = await migrate(pool);
      await pool.end();
      const { rolePools, roles } = await externalRolePools(externalUrl);
      return {
        url: externalUrl,
        description: `${withoutPassword(externalUrl)} (DATABASE_URL; functions connect as ${roles})`,
        rolePools,
        roles,
        postmasterPid: undefined,
        migrationsApplied: applied,
        stop: async () => {
          await Promise.all([rolePools.ingest.end(), rolePools.admin.end()]);
        },
      };
    } catch (error) {
      await pool.end().catch(() => undefined);
      // Name the database (without its password) so the message says what to fix.
      throw new Error(`cannot use DATABASE_URL ${withoutPassword(externalUrl)}: ${(error as Error).message}`);
    }
  }

  const serverLog = createWriteStream(paths.postgresLog, { flags: 'a', mode: 0o600 });
  const { password, created } = await postgresPasswordFrom(paths.postgresPassword);
  const server = await startEmbeddedPostgres({
    dataDir: paths.postgres,
    password,
    onLog: (line) => serverLog.write(line),
  });
  if (created) await replaceLegacyPassword(server.url, password);
  // The schema owner's connection is only for the migrations and the role passwords.
  const pool = poolFromUrl(server.url, { max: 1 });
  let poolOpen = true;
  const endOwnerPool = async () => {
    if (!poolOpen) return;
    poolOpen = false;
    await pool.end().catch(() => undefined);
  };
  const rolePools: Partial<Record<'ingest' | 'admin', pg.Pool>> = {};
  const stop = async () => {
    await Promise.all(Object.values(rolePools).map((p) => p.end().catch(() => undefined)));
    await endOwnerPool();
    await server.stop();
    await new Promise((resolve) => serverLog.end(resolve));
  };
  try {
    const applied = await migrate(pool);
    const passwords = await rolePasswords(paths.dbRoles);
    await enableRoleLogins(pool, passwords);
    await endOwnerPool();
    rolePools.ingest = poolFromUrl(urlAs(server.url, DbRole.ingest, passwords[DbRole.ingest] as string), {
      max: POOL_SIZE,
    });
    rolePools.admin = poolFromUrl(urlAs(server.url, DbRole.admin, passwords[DbRole.admin] as string), {
      max: POOL_SIZE,
    });
    // Holds the generated password: readable by this user only, like the password file.
    await writeFile(paths.databaseUrl, `${server.url}\n`, { mode: 0o600 });
    return {
      url: server.url,
      description: `embedded PostgreSQL, data in ${paths.postgres}; functions connect as their own roles`,
      rolePools: rolePools as Record<'ingest' | 'admin', pg.Pool>,
      roles: 'own roles',
      postmasterPid: server.pid,
      migrationsApplied: applied,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
