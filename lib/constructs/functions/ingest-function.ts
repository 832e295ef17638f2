// The ingest function: in the VPC, consumes the queue and stores envelopes in Postgres as its own role.
import type { Duration } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import type { Construct } from 'constructs';
import { DbRole, EnvVar, ServiceName } from '../../../lambda/shared/names.js';
import { lambdaEntry } from '../../paths.js';
import { grantSendDeadLetter } from '../function-grants.js';
import { HardenedFunction } from '../hardened-function.js';
import type { IngestQueue } from '../ingest-queue.js';
import type { PostgresDatabase } from '../postgres-database.js';
import type { AppFunctionProps } from './app-function-props.js';

export interface IngestFunctionProps extends AppFunctionProps {
  readonly vpc: ec2.IVpc;
  readonly database: PostgresDatabase;
  readonly ingestQueue: IngestQueue;
  readonly queueKey: kms.IKey;
  /** The queue's visibility timeout is derived from it (IngestQueue.consumerTimeout). */
  readonly timeout: Duration;
}

export class IngestFunction extends HardenedFunction {
  constructor(scope: Construct, id: string, props: IngestFunctionProps) {
    const { config, database, ingestQueue } = props;
    super(scope, id, {
      entry: props.entry ?? lambdaEntry('ingest'),
      description: 'Signalgate: stores queued messages in Postgres through RDS Proxy',
      memorySize: 256,
      timeout: props.timeout,
      ...props.logs,
      vpc: props.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      securityGroups: [database.clientSecurityGroup],
      // Optional (prod): keeps capacity for ingest when the webhook surges. Connections to the database are
      // bounded by the event source's maxConcurrency.
      reservedConcurrentExecutions: config.ingest.reservedConcurrency,
      environment: {
        [EnvVar.environment]: config.envName,
        [EnvVar.serviceName]: ServiceName.ingest,
        ...database.clientEnvironment(DbRole.ingest),
        [EnvVar.queueUrl]: ingestQueue.queue.queueUrl,
        [EnvVar.dlqUrl]: ingestQueue.deadLetterQueue.queueUrl,
      },
    });
    // IAM auth as its own role only (rds-db:connect on that proxy, or that instance, and user).
    database.grantConnect(this.function, DbRole.ingest);
    // ChangeMessageVisibility on the source queue (the backoff) comes with the event source's own grant.
    grantSendDeadLetter(this.function, ingestQueue.deadLetterQueue, props.queueKey);
    this.function.addEventSource(
      new sources.SqsEventSource(ingestQueue.queue, {
        batchSize: config.ingest.batchSize,
        reportBatchItemFailures: true,
        maxConcurrency: config.ingest.maxConcurrency,
      }),
    );
  }
}
