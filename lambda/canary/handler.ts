// Lambda entry of the canary (a schedule invokes it): its AWS wiring, built on the first run and reused
// (lazy.ts), around runCanary.

import { lazyRetrying } from '../shared/lazy.js';
import { createAwsCanaryDeps } from './aws-deps.js';
import { loadCanaryConfig } from './canary-config.js';
import { runCanary } from './canary-core.js';

const config = loadCanaryConfig();
const deps = lazyRetrying(() => createAwsCanaryDeps(config));

export async function handler(): Promise<{ ok: boolean }> {
  const result = await runCanary(await deps());
  return { ok: result.ok };
}
