// The migration Lambda, run by a CDK Trigger on deploy: applies the bundled migrations and lets the login roles use IAM auth.
import { type CfnResource, Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as triggers from 'aws-cdk-lib/triggers';
import { Construct } from 'constructs';
import { EnvVar, ServiceName } from '../../lambda/shared/names.js';
import { lambdaEntry } from '../paths.js';
import { HardenedFunction } from './hardened-function.js';
import { LAMBDA_CA_BUNDLE, type PostgresDatabase } from './postgres-database.js';

export interface DatabaseMigrationProps {
  readonly database: PostgresDatabase;
  readonly vpc: ec2.IVpc;
  readonly envName: string;
  readonly logRetention: logs.RetentionDays;
  readonly logRemovalPolicy: RemovalPolicy;
  /**
   * Any value that changes forces the trigger to run on this deploy even if the bundle did not change.
   * @default - runs when the function's code or configuration changes (every new migration does)
   */
  readonly runToken?: string;
  /**
   * Entry file of the migration handler.
   * @default lambda/migrate/handler.ts
   */
  readonly entry?: string;
}

export class DatabaseMigration extends Construct {
  readonly handler: HardenedFunction;
  readonly trigger: triggers.Trigger;

  constructor(scope: Construct, id: string, props: DatabaseMigrationProps) {
    super(scope, id);
    const { database } = props;
    this.handler = new HardenedFunction(this, 'Function', {
      entry: props.entry ?? lambdaEntry('migrate'),
      description:
        'Signalgate: applies SQL migrations and grants the login roles IAM authentication on deploy',
      timeout: Duration.minutes(5),
      memorySize: 512,
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
      vpc: props.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      securityGroups: [database.directClientSecurityGroup],
      environment: {
        [EnvVar.environment]: props.envName,
        [EnvVar.serviceName]: ServiceName.migrate,
        [EnvVar.dbHost]: database.instance.dbInstanceEndpointAddress,
        [EnvVar.dbPort]: database.instance.dbInstanceEndpointPort,
        [EnvVar.dbName]: database.databaseName,
        [EnvVar.dbMasterSecretArn]: database.masterSecret.secretArn,
        // The migration talks TLS to the instance endpoint directly.
        NODE_EXTRA_CA_CERTS: LAMBDA_CA_BUNDLE,
      },
    });
    database.masterSecret.grantRead(this.handler.function);

    this.trigger = new triggers.Trigger(this, 'Trigger', {
      handler: this.handler.function,
      // The instance (and with it its RDS-managed master secret) exists before the migration runs; no
      // rotation of ours exists at all, so none can run before the roles do.
      executeAfter: [database.instance],
      executeOnHandlerChange: true,
      invocationType: triggers.InvocationType.REQUEST_RESPONSE,
      timeout: Duration.minutes(5),
    });
    if (props.runToken) {
      const resource = this.trigger.node.findChild('Default').node.defaultChild as CfnResource;
      resource.addPropertyOverride('RunToken', props.runToken);
    }
  }
}
