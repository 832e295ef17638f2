// Lambda entry for the webhook: its AWS wiring, built on the first request and reused (lazy.ts).

import { lazyRetrying } from '../shared/lazy.js';
import { createAwsWebhookDeps } from './aws-deps.js';
import { makeWebhookHandler } from './make-webhook-handler.js';
import { loadWebhookConfig } from './webhook-config.js';

// Read at init so a misconfigured deployment fails its first invocation loudly, naming the variable.
const config = loadWebhookConfig();

export const handler = makeWebhookHandler(lazyRetrying(() => createAwsWebhookDeps(config)));
