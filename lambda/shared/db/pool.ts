// PostgreSQL connections: a `pg` pool from a URL (local stack, tests) or from RDS Proxy settings
// with an IAM auth token as the password (AWS). TLS is required in AWS. The token signer is the AWS
// wiring's to pass in, so the local stack and the tests never load it.

import pg from 'pg';
import { EnvVar } from '../names.js';
import type { DbProxyEnv } from './db-proxy-env.js';
import { DbTimeout } from './timeouts.js';

/** The part of pg's Pool/Client the cores use, so tests can pass either. */
export type Queryable = Pick<pg.Pool, 'query'>;
/** A pool that can also lend one connection for a transaction. */
export type TransactionalDb = Pick<pg.Pool, 'query' | 'connect'>;

export interface ProxyConnection {
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly user: string;
  /** Returns a password or a fresh IAM auth token; called for each new connection. */
  readonly password: () => Promise<string>;
}

export interface PoolOptions {
  /** Connections per process: Lambda serves one request at a time, so 1-2 is right there. @default 4 */
  readonly max?: number;
  /** Told when an idle connection fails (the pool replaces it). @default ignored */
  readonly onIdleError?: (error: Error) => void;
  /**
   * A query that has not answered by then fails (client side) and its connection is discarded.
   * Only RDS Proxy pools take it; a local pool also runs migrations. @default DbTimeout.queryMillis
   */
  readonly queryTimeoutMillis?: number;
}

/**
 * An idle connection that the server drops (RDS Proxy closes idle clients, a restart) makes the pool
 * emit 'error'; without a listener that crashes the process. The pool discards the client by itself,
 * and the next query opens a new one, so noting it is enough.
 */
function survivingIdleErrors(pool: pg.Pool, onIdleError: (error: Error) => void = () => {}): pg.Pool {
  pool.on('error', onIdleError);
  return pool;
}

export function poolFromUrl(connectionString: string, options: PoolOptions = {}): pg.Pool {
  return survivingIdleErrors(
    new pg.Pool({ connectionString, max: options.max ?? 4, idleTimeoutMillis: 30_000 }),
    options.onIdleError,
  );
}

export function poolForProxy(connection: ProxyConnection, options: PoolOptions = {}): pg.Pool {
  const pool = new pg.Pool({
    host: connection.host,
    port: connection.port,
    database: connection.database,
    user: connection.user,
    password: connection.password,
    // RDS Proxy presents an ACM certificate that Node's default trust store verifies.
    ssl: { rejectUnauthorized: true, servername: connection.host },
    max: options.max ?? 2,
    idleTimeoutMillis: 60_000,
    connectionTimeoutMillis: DbTimeout.connectMillis,
    query_timeout: options.queryTimeoutMillis ?? DbTimeout.queryMillis,
  });
  return survivingIdleErrors(pool, options.onIdleError);
}

/** Makes the per-connection password source of a user at a host (in AWS: an RDS IAM auth token signer). */
export type PasswordSourceFor = (host: string, port: number, user: string) => () => Promise<string>;

/** A pool to RDS Proxy from a function's validated config, authenticating with `passwordFor`'s passwords. */
export function proxyPoolFrom(
  config: DbProxyEnv,
  passwordFor: PasswordSourceFor,
  poolOptions: PoolOptions = {},
): pg.Pool {
  const host = config[EnvVar.dbHost];
  const port = config[EnvVar.dbPort];
  const user = config[EnvVar.dbUser];
  return poolForProxy(
    { host, port, database: config[EnvVar.dbName], user, password: passwordFor(host, port, user) },
    poolOptions,
  );
}
