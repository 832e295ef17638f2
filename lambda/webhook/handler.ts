// Lambda entry for the webhook: its AWS wiring, built on the first request and reused (lazy.ts).

import { withInvocation } from '../shared/invocation.js';
import { lazyRetrying } from '../shared/lazy.js';
import { createAwsWebhookDeps } from './aws-deps.js';
import { makeWebhookHandler } from './make-webhook-handler.js';
import { loadWebhookConfig } from './webhook-config.js';

// Read at init so a misconfigured deployment fails its first invocation loudly, naming the variable.
const config = loadWebhookConfig();

const handle = makeWebhookHandler(lazyRetrying(() => createAwsWebhookDeps(config)));

export const handler = withInvocation(handle);
