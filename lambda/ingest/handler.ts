// Lambda entry for ingest: its AWS wiring, built on the first batch and reused (lazy.ts).

import { withInvocation } from '../shared/invocation.js';
import { lazyRetrying } from '../shared/lazy.js';
import { createAwsIngestDeps } from './aws-deps.js';
import { loadIngestConfig } from './ingest-config.js';
import { makeIngestHandler } from './make-ingest-handler.js';

const config = loadIngestConfig();

const handle = makeIngestHandler(lazyRetrying(() => createAwsIngestDeps(config)));

export const handler = withInvocation(handle);
