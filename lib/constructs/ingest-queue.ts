// The storage-first buffer between the webhook and the database: a KMS-encrypted queue with a dead-letter queue.
import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { AWS_BACKOFF, maxReceiveCountFor } from '../../lambda/ingest/redelivery.js';
import { pinLogicalId } from './per-resource.js';

export interface IngestQueueProps {
  readonly namePrefix: string;
  readonly encryptionKey: kms.IKey;
  /** Timeout of the consuming function; the visibility timeout is six times it (AWS guidance for SQS sources). */
  readonly consumerTimeout: Duration;
  readonly removalPolicy: RemovalPolicy;
  /**
   * Receives before a message goes to the dead-letter queue. Ingest backs off while the database is
   * unavailable (lambda/ingest/redelivery.ts), so this is a budget of time, not of attempts.
   * @default maxReceiveCountFor(AWS_BACKOFF): enough receives for a 4-hour outage with margin (29)
   */
  readonly maxReceiveCount?: number;
}

export class IngestQueue extends Construct {
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: IngestQueueProps) {
    super(scope, id);
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      queueName: `${props.namePrefix}-ingest-dlq`,
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: props.encryptionKey,
      dataKeyReuse: Duration.hours(1),
      enforceSSL: true,
      // The longest SQS allows: time for on-call to inspect and redrive. A standard queue keeps a message's
      // original enqueue time when it is dead-lettered, so this must exceed the source queue's retention.
      retentionPeriod: Duration.days(14),
      removalPolicy: props.removalPolicy,
    });
    pinLogicalId(this.deadLetterQueue, 'IngestDeadLetterQueue');

    this.queue = new sqs.Queue(this, 'Queue', {
      queueName: `${props.namePrefix}-ingest`,
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: props.encryptionKey,
      dataKeyReuse: Duration.hours(1),
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(props.consumerTimeout.toSeconds() * 6),
      // Far beyond the receive budget (~6 h of backoff): a message is dead-lettered long before it could
      // expire here, and then still has 10 of the dead-letter queue's 14 days left for a redrive.
      retentionPeriod: Duration.days(4),
      deadLetterQueue: {
        queue: this.deadLetterQueue,
        maxReceiveCount: props.maxReceiveCount ?? maxReceiveCountFor(AWS_BACKOFF),
      },
      removalPolicy: props.removalPolicy,
    });
    pinLogicalId(this.queue, 'IngestQueue');
  }
}
