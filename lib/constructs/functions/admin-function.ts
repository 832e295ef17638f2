// The admin API function: in the VPC, logs in as the admin role; reads secrets' metadata, queue depths and metrics.
import { Duration, Stack, Tags } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import { DbRole, EnvVar } from '../../../lambda/shared/names.js';
import { lambdaEntry } from '../../paths.js';
import { piiKeyUserRoleName } from '../../stack-names.js';
import type { AppSecrets } from '../app-secrets.js';
import { PII_ACCESS_TAG } from '../encryption-key.js';
import { grantDescribeSecrets, grantOpen, grantQueueDepth, grantReadMetrics } from '../function-grants.js';
import { HardenedFunction } from '../hardened-function.js';
import type { IngestQueue } from '../ingest-queue.js';
import { acknowledge } from '../per-resource.js';
import type { PostgresDatabase } from '../postgres-database.js';
import type { AppFunctionProps } from './app-function-props.js';
import { adminCoreEnvironment } from './database-client-environment.js';

export interface AdminFunctionProps extends AppFunctionProps {
  readonly vpc: ec2.IVpc;
  readonly database: PostgresDatabase;
  readonly secrets: AppSecrets;
  readonly piiKey: kms.IKey;
  readonly ingestQueue: IngestQueue;
}

export class AdminFunction extends HardenedFunction {
  constructor(scope: Construct, id: string, props: AdminFunctionProps) {
    const { config, database, secrets, ingestQueue } = props;
    // The holders' secrets are monitored too, but named once, in ADMIN_HOLDERS (monitoredSecretsOf): Lambda's
    // 4 KB environment limit (test/infra/admin-environment-size.test.ts).
    const monitoredSecrets: Record<string, string> = {
      blindIndexKey: secrets.blindIndexKey.secretArn,
      ...Object.fromEntries(
        [...secrets.twilioAuthTokens].map(([sid, secret]) => [`twilio:${sid}`, secret.secretArn]),
      ),
      database: database.masterSecret.secretArn,
    };
    super(scope, id, {
      entry: props.entry ?? lambdaEntry('admin'),
      roleName: piiKeyUserRoleName(config.envName, config.region, 'admin'),
      description: 'Signalgate: admin API (health, metrics, subject export and erasure, retention, audit)',
      memorySize: 512,
      // API Gateway's integration timeout (29 s): the function never outlives the request it answers.
      timeout: Duration.seconds(29),
      ...props.logs,
      vpc: props.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      securityGroups: [database.clientSecurityGroup],
      // No reserved concurrency (it can fail a first deploy: Lambda keeps 100 unreserved per account); the
      // admin routes' API Gateway throttling bounds its concurrency and database connections.
      environment: {
        ...adminCoreEnvironment(config, database, DbRole.admin),
        // Holder → role (config) and secret: the role is never read from the holder's secret.
        [EnvVar.adminHolders]: Stack.of(scope).toJsonString(
          Object.fromEntries(
            [...secrets.adminCredentials].map(([holderId, c]) => [
              holderId,
              { role: c.holder.role, secretArn: c.secret.secretArn },
            ]),
          ),
        ),
        [EnvVar.blindIndexSecretArn]: secrets.blindIndexKey.secretArn,
        [EnvVar.kmsKeyId]: props.piiKey.keyArn,
        [EnvVar.queueUrl]: ingestQueue.queue.queueUrl,
        [EnvVar.dlqUrl]: ingestQueue.deadLetterQueue.queueUrl,
        [EnvVar.monitoredSecretArns]: Stack.of(scope).toJsonString(monitoredSecrets),
        // Export and erase refuse the business's own numbers (409, ARCHITECTURE §2).
        [EnvVar.ownNumbers]: config.ownNumbers.join(','),
        [EnvVar.secretCacheSeconds]: String(config.secretCacheSeconds),
        [EnvVar.adminTokenGraceSeconds]: String(config.rotation.previousTokenGraceMinutes * 60),
      },
    });
    secrets.grantCredentialRead(this.role);
    secrets.blindIndexKey.grantRead(this.function);
    grantDescribeSecrets(this.function, [
      ...Object.values(monitoredSecrets),
      ...[...secrets.adminCredentials.values()].map((c) => c.secret.secretArn),
    ]);
    Tags.of(this.function.role as iam.IRole).add(PII_ACCESS_TAG, config.envName);
    grantOpen(this.function, props.piiKey, config.envName);
    grantQueueDepth(this.function, [ingestQueue.queue, ingestQueue.deadLetterQueue]);
    // Reached through the VPC's CloudWatch monitoring endpoint.
    grantReadMetrics(this.function);
    acknowledge(
      this.role.node.findChild('DefaultPolicy'),
      'AwsSolutions-IAM5[Resource::*]',
      'Admin Lambda: cloudwatch:GetMetricData (read-only metric sums for /admin/metrics and /admin/health) has no resource-level permissions, like the X-Ray actions; every other statement of this policy is scoped (checked by test/infra).',
    );
    database.grantConnect(this.function, DbRole.admin);
  }
}
