// How long a database call may take, defined once: the pools use it, the ingest handler budgets its
// attempts with it, and the infra tests hold the functions' timeouts above it (ARCHITECTURE §1: a
// database outage must end in a deferred record, never in a function timeout).

export const DbTimeout = {
  /** Opening a connection to RDS Proxy (TCP, TLS, IAM auth). */
  connectMillis: 5_000,
  /**
   * One query, client side (pg `query_timeout`). Well under RDS Proxy's 30 s borrow timeout and the
   * ingest function's 30 s timeout, so a proxy that cannot reach the database fails the attempt in time
   * for ingest to defer its records with the backoff.
   */
  queryMillis: 8_000,
  /** The retention run's bulk deletes (its function has minutes, not seconds). */
  retentionQueryMillis: 240_000,
} as const;

/** The longest one database attempt can take: a new connection, then one query. */
export const DB_ATTEMPT_MILLIS = DbTimeout.connectMillis + DbTimeout.queryMillis;
