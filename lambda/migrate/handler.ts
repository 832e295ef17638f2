// Lambda entry for the migration Trigger: its AWS wiring, built on the first run and reused (lazy.ts).

import { lazyRetrying } from '../shared/lazy.js';
import { createAwsMigrateDeps } from './aws-deps.js';
import { makeMigrateHandler } from './make-migrate-handler.js';
import { loadMigrateConfig } from './migrate-config.js';

const config = loadMigrateConfig();

export const handler = makeMigrateHandler(lazyRetrying(() => createAwsMigrateDeps(config)));
