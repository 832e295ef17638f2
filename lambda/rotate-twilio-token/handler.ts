// Lambda entry for a Twilio auth token's rotation: Secrets Manager invokes it once per rotation step.

import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { sdkClientOptions } from '../shared/adapters/aws/sdk-client-options.js';
import { createLogger } from '../shared/logger.js';
import { createEmfMetrics } from '../shared/metrics.js';
import { EnvVar, ServiceName } from '../shared/names.js';
import { makeRotationHandler, type RotationDeps } from '../shared/rotation/rotate-secret.js';
import { loadRotationConfig } from '../shared/rotation/rotation-config.js';
import { SecretsManagerRotationStore } from '../shared/rotation/secrets-manager-rotation-store.js';
import { TwilioNodeAccounts } from './twilio-node-accounts.js';
import { twilioTokenRotation } from './twilio-token-rotation.js';

const config = loadRotationConfig('rotate-twilio-token');

let deps: RotationDeps | undefined;

export const handler = makeRotationHandler(twilioTokenRotation(new TwilioNodeAccounts()), async () => {
  deps ??= {
    store: new SecretsManagerRotationStore(new SecretsManagerClient(sdkClientOptions())),
    metrics: createEmfMetrics(config[EnvVar.environment]),
    logger: createLogger(ServiceName.rotateTwilioToken),
  };
  return deps;
});
