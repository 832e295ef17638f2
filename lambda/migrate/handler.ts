// Lambda entry for the migration Trigger: its AWS wiring, built on the first run and reused (lazy.ts).

import { withInvocation } from '../shared/invocation.js';
import { lazyRetrying } from '../shared/lazy.js';
import { createAwsMigrateDeps } from './aws-deps.js';
import { makeMigrateHandler } from './make-migrate-handler.js';
import { loadMigrateConfig } from './migrate-config.js';

const config = loadMigrateConfig();

const handle = makeMigrateHandler(lazyRetrying(() => createAwsMigrateDeps(config)));

export const handler = withInvocation(handle);
