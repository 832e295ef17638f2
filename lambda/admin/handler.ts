// Lambda entry for the admin API: its AWS wiring, built on the first request and reused (lazy.ts).

import { withInvocation } from '../shared/invocation.js';
import { lazyRetrying } from '../shared/lazy.js';
import { loadAdminConfig } from './admin-config.js';
import { createAwsAdminDeps } from './aws-deps.js';
import { makeAdminHandler } from './make-admin-handler.js';

// Read at init so a misconfigured deployment fails its first invocation loudly, naming the variable.
const config = loadAdminConfig();

const handle = makeAdminHandler(lazyRetrying(() => createAwsAdminDeps(config)));

export const handler = withInvocation(handle);
