// Lambda entry for a Twilio auth token's rotation: Secrets Manager invokes it once per rotation step; its
// AWS wiring is built on the first step and reused (lazy.ts).

import { withInvocation } from '../shared/invocation.js';
import { lazyRetrying } from '../shared/lazy.js';
import { ServiceName } from '../shared/names.js';
import { createAwsRotationDeps } from '../shared/rotation/aws-deps.js';
import { makeRotationHandler } from '../shared/rotation/rotate-secret.js';
import { loadRotationConfig } from '../shared/rotation/rotation-config.js';
import { TwilioNodeAccounts } from './twilio-node-accounts.js';
import { twilioTokenRotation } from './twilio-token-rotation.js';

const config = loadRotationConfig('rotate-twilio-token');

const handle = makeRotationHandler(
  twilioTokenRotation(new TwilioNodeAccounts()),
  lazyRetrying(() => createAwsRotationDeps(config, ServiceName.rotateTwilioToken)),
);

export const handler = withInvocation(handle);
