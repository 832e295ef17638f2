// Lambda entry for ingest: its AWS wiring, built on the first batch and reused (lazy.ts).

import { lazyRetrying } from '../shared/lazy.js';
import { createAwsIngestDeps } from './aws-deps.js';
import { loadIngestConfig } from './ingest-config.js';
import { makeIngestHandler } from './make-ingest-handler.js';

const config = loadIngestConfig();

export const handler = makeIngestHandler(lazyRetrying(() => createAwsIngestDeps(config)));
