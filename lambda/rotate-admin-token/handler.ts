// Lambda entry for the admin token's rotation: Secrets Manager invokes it once per rotation step.

import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { sdkClientOptions } from '../shared/adapters/aws/sdk-client-options.js';
import { createLogger } from '../shared/logger.js';
import { createEmfMetrics } from '../shared/metrics.js';
import { EnvVar, ServiceName } from '../shared/names.js';
import { makeRotationHandler, type RotationDeps } from '../shared/rotation/rotate-secret.js';
import { loadRotationConfig } from '../shared/rotation/rotation-config.js';
import { SecretsManagerRotationStore } from '../shared/rotation/secrets-manager-rotation-store.js';
import { adminTokenRotation } from './admin-token-rotation.js';

const config = loadRotationConfig('rotate-admin-token');

let deps: RotationDeps | undefined;

export const handler = makeRotationHandler(adminTokenRotation(), async () => {
  deps ??= {
    store: new SecretsManagerRotationStore(new SecretsManagerClient(sdkClientOptions())),
    metrics: createEmfMetrics(config[EnvVar.environment]),
    logger: createLogger(ServiceName.rotateAdminToken),
  };
  return deps;
});
