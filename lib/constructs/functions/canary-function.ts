// The canary function: out of the VPC, a signed synthetic message through the public URL, confirmed stored.
import { Duration } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { EnvVar, ServiceName } from '../../../lambda/shared/names.js';
import { lambdaEntry } from '../../paths.js';
import { grantInvokeUnqualified } from '../function-grants.js';
import { HardenedFunction } from '../hardened-function.js';
import type { AppFunctionProps } from './app-function-props.js';

export interface CanaryFunctionProps extends AppFunctionProps {
  readonly publicBaseUrl: string;
  /** The Twilio token it signs with (the first account's). */
  readonly twilioSecret: secretsmanager.ISecret;
  readonly adminTokenSecret: secretsmanager.ISecret;
  /** Invoked to confirm the message was stored. */
  readonly adminFunction: lambda.IFunction;
}

export class CanaryFunction extends HardenedFunction {
  constructor(scope: Construct, id: string, props: CanaryFunctionProps) {
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
        [EnvVar.canaryAdminSecretArn]: props.adminTokenSecret.secretArn,
        [EnvVar.adminFunctionName]: props.adminFunction.functionName,
        [EnvVar.canaryTimeoutSeconds]: '60',
      },
    });
    props.twilioSecret.grantRead(this.function);
    props.adminTokenSecret.grantRead(this.function);
    grantInvokeUnqualified(this.function, props.adminFunction);
  }
}
