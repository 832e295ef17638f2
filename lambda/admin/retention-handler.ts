// Lambda entry for scheduled retention (an EventBridge rule): its AWS wiring, built on the first run and
// reused (lazy.ts).

import { withInvocation } from '../shared/invocation.js';
import { lazyRetrying } from '../shared/lazy.js';
import { loadRetentionConfig } from './admin-config.js';
import { makeRetentionHandler } from './make-retention-handler.js';
import { createAwsRetentionDeps } from './retention-aws-deps.js';

const config = loadRetentionConfig();

const handle = makeRetentionHandler(lazyRetrying(() => createAwsRetentionDeps(config)));

export const handler = withInvocation(handle);
