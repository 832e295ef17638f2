// Lambda entry of the canary (a schedule invokes it): its AWS wiring, built on the first run and reused
// (lazy.ts), around runCanary.

import { withInvocation } from '../shared/invocation.js';
import { lazyRetrying } from '../shared/lazy.js';
import { createAwsCanaryDeps } from './aws-deps.js';
import { loadCanaryConfig } from './canary-config.js';
import { runCanary } from './canary-core.js';

const config = loadCanaryConfig();
const deps = lazyRetrying(() => createAwsCanaryDeps(config));

async function canary(): Promise<{ ok: boolean }> {
  const result = await runCanary(await deps());
  return { ok: result.ok };
}

export const handler = withInvocation(canary);
