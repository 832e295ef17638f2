// Ingest's local wiring: the ingest role's pool of the local database, and the local queue for the
// backoff and dead letters, on the local stack's shorter clock.

import type { Queryable } from '../shared/db/pool.js';
import { type LocalSinks, localTelemetry } from '../shared/local-telemetry.js';
import { ServiceName } from '../shared/names.js';
import type { IngestDeps } from './make-ingest-handler.js';
import { LOCAL_BACKOFF, type RedeliveryQueue } from './redelivery.js';

export interface LocalIngestOptions {
  readonly db: Queryable;
  /** The local queue: it defers records and moves poison to its dead-letter file. */
  readonly queue: RedeliveryQueue;
  readonly sinks: LocalSinks;
}

export function createLocalIngestDeps(options: LocalIngestOptions): IngestDeps {
  return {
    db: options.db,
    ...localTelemetry(ServiceName.ingest, options.sinks),
    redelivery: { queue: options.queue, backoff: LOCAL_BACKOFF },
  };
}
