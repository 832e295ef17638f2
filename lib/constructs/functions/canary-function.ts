// The canary function: out of the VPC, a signed synthetic message through the public URL, confirmed stored.
import { Duration } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { CANARY_HOLDER_ID, EnvVar, ServiceName } from '../../../lambda/shared/names.js';
import { lambdaEntry } from '../../paths.js';
import type { AppSecrets } from '../app-secrets.js';
import { grantInvokeUnqualified } from '../function-grants.js';
import { HardenedFunction } from '../hardened-function.js';
import type { AppFunctionProps } from './app-function-props.js';

export interface CanaryFunctionProps extends AppFunctionProps {
  readonly publicBaseUrl: string;
  /** The Twilio token it signs with (the first account's). */
  readonly twilioSecret: secretsmanager.ISecret;
  /** Holds the canary's own `reader` admin credential (CANARY_HOLDER_ID). */
  readonly secrets: AppSecrets;
  /** Invoked to confirm the message was stored. */
  readonly adminFunction: lambda.IFunction;
}

export class CanaryFunction extends HardenedFunction {
  constructor(scope: Construct, id: string, props: CanaryFunctionProps) {
    const adminCredential = props.secrets.adminCredentials.get(CANARY_HOLDER_ID);
    if (!adminCredential) throw new Error(`CanaryFunction: no admin holder '${CANARY_HOLDER_ID}' in config`);
    super(scope, id, {
      entry: props.entry ?? lambdaEntry('canary'),
      description: 'Signalgate: canary, a signed synthetic message through the public URL, confirmed stored',
      timeout: Duration.seconds(90),
      useRuntimeAwsSdk: true,
      ...props.logs,
      environment: {
        [EnvVar.environment]: props.config.envName,
        [EnvVar.serviceName]: ServiceName.canary,
        [EnvVar.publicBaseUrl]: props.publicBaseUrl,
        ...(props.config.twilio.webhookQuery
          ? { [EnvVar.webhookQuery]: props.config.twilio.webhookQuery }
          : {}),
        [EnvVar.canaryTwilioSecretArn]: props.twilioSecret.secretArn,
        [EnvVar.canaryAdminSecretArn]: adminCredential.secret.secretArn,
        [EnvVar.adminFunctionName]: props.adminFunction.functionName,
        [EnvVar.canaryTimeoutSeconds]: '60',
      },
    });
    props.twilioSecret.grantRead(this.function);
    // Its own `reader` holder only: the canary can read no other holder's credential.
    props.secrets.grantCredentialRead(this.role, [CANARY_HOLDER_ID]);
    grantInvokeUnqualified(this.function, props.adminFunction);
  }
}
