// The rotation Lambdas' AWS wiring (both rotate-* functions): Secrets Manager as the rotation store.

import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { sdkClientOptions } from '../adapters/aws/sdk-client-options.js';
import { createLogger } from '../logger.js';
import { createEmfMetrics } from '../metrics.js';
import { EnvVar } from '../names.js';
import type { RotationDeps } from './rotate-secret.js';
import type { RotationConfig } from './rotation-config.js';
import { SecretsManagerRotationStore } from './secrets-manager-rotation-store.js';

/** @param service the function's ServiceName, on every log line */
export function createAwsRotationDeps(config: RotationConfig, service: string): RotationDeps {
  const maxPendingAgeSeconds = config[EnvVar.rotationMaxPendingAgeSeconds];
  return {
    store: new SecretsManagerRotationStore(new SecretsManagerClient(sdkClientOptions())),
    metrics: createEmfMetrics(config[EnvVar.environment]),
    logger: createLogger(service),
    ...(maxPendingAgeSeconds !== undefined ? { maxPendingAgeMs: maxPendingAgeSeconds * 1000 } : {}),
  };
}
