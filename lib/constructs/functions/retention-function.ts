// The retention function: in the VPC, logs in as the retention role and deletes rows past the retention period.
import * as path from 'node:path';
import { Duration } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type { Construct } from 'constructs';
import { DbRole } from '../../../lambda/shared/names.js';
import { REPO_ROOT } from '../../paths.js';
import { HardenedFunction } from '../hardened-function.js';
import type { PostgresDatabase } from '../postgres-database.js';
import type { AppFunctionProps } from './app-function-props.js';
import { adminCoreEnvironment } from './database-client-environment.js';

export interface RetentionFunctionProps extends AppFunctionProps {
  readonly vpc: ec2.IVpc;
  readonly database: PostgresDatabase;
}

export class RetentionFunction extends HardenedFunction {
  constructor(scope: Construct, id: string, props: RetentionFunctionProps) {
    const { config, database } = props;
    super(scope, id, {
      entry: props.entry ?? path.join(REPO_ROOT, 'lambda', 'admin', 'retention-handler.ts'),
      description: 'Signalgate: daily deletion of messages older than the retention period',
      timeout: Duration.minutes(5),
      ...props.logs,
      vpc: props.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      securityGroups: [database.clientSecurityGroup],
      environment: adminCoreEnvironment(config, database, DbRole.retention),
    });
    database.grantConnect(this.function, DbRole.retention);
  }
}
