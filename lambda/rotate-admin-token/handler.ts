// Lambda entry for the admin token's rotation: Secrets Manager invokes it once per rotation step; its AWS
// wiring is built on the first step and reused (lazy.ts).

import { withInvocation } from '../shared/invocation.js';
import { lazyRetrying } from '../shared/lazy.js';
import { ServiceName } from '../shared/names.js';
import { createAwsRotationDeps } from '../shared/rotation/aws-deps.js';
import { makeRotationHandler } from '../shared/rotation/rotate-secret.js';
import { loadRotationConfig } from '../shared/rotation/rotation-config.js';
import { adminTokenRotation } from './admin-token-rotation.js';

const config = loadRotationConfig('rotate-admin-token');

const handle = makeRotationHandler(
  adminTokenRotation(),
  lazyRetrying(() => createAwsRotationDeps(config, ServiceName.rotateAdminToken)),
);

export const handler = withInvocation(handle);
