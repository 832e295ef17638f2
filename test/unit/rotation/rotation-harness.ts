// Drives a rotation handler step by step against an in-memory Secrets Manager, capturing logs and metrics.

import { createLogger } from '../../../lambda/shared/logger.js';
import { createEmfMetrics } from '../../../lambda/shared/metrics.js';
import type { Clock } from '../../../lambda/shared/ports.js';
import { MemoryRotationStore } from '../../../lambda/shared/rotation/memory-rotation-store.js';
import { makeRotationHandler, type RotationStrategy } from '../../../lambda/shared/rotation/rotate-secret.js';
import type { RotationStep } from '../../../lambda/shared/rotation/rotation-event.js';
import { sumMetric } from '../../helpers/emf.js';

export const SECRET_ID = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:signalgate-test';

export function rotationHarness(
  strategy: RotationStrategy,
  initialValue: string,
  clock?: Clock,
  options: { maxPendingAgeMs?: number } = {},
) {
  const store = new MemoryRotationStore(clock);
  store.create(SECRET_ID, initialValue);
  const logs: string[] = [];
  const emf: string[] = [];
  const handler = makeRotationHandler(strategy, async () => ({
    store,
    metrics: createEmfMetrics('test', (line) => emf.push(line)),
    logger: createLogger('signalgate-rotation-test', (line) => logs.push(line)),
    ...(options.maxPendingAgeMs !== undefined ? { maxPendingAgeMs: options.maxPendingAgeMs } : {}),
    ...(clock ? { now: () => clock.now() } : {}),
  }));
  const step = (Step: RotationStep, token: string) =>
    handler({ Step, SecretId: SECRET_ID, ClientRequestToken: token });
  const steps: RotationStep[] = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'];
  return {
    store,
    logs,
    emf,
    handler,
    step,
    /** Runs all four steps for a fresh rotation; returns its version id. */
    async rotate(): Promise<string> {
      const token = store.startRotation(SECRET_ID);
      for (const s of steps) await step(s, token);
      return token;
    },
    metric(name: string): number {
      return sumMetric(emf, name);
    },
    current: async () => (await store.getVersions(SECRET_ID)).current,
    previous: async () => (await store.getVersions(SECRET_ID)).previous,
  };
}
