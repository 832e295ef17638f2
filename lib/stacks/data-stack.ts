// Data stack: the customer managed keys, Postgres (+ RDS Proxy per config; IAM auth either way), and the migration trigger.
import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import { DB_MASTER_USER, DbRole } from '../../lambda/shared/names.js';
import type { EnvConfig } from '../config/index.js';
import { DatabaseMigration } from '../constructs/database-migration.js';
import { encryptionKey } from '../constructs/encryption-key.js';
import { removalPolicyOf } from '../constructs/per-resource.js';
import { PostgresDatabase } from '../constructs/postgres-database.js';
import { PII_KEY_USERS, piiKeyUserRoleName } from '../stack-names.js';

export interface DataStackProps extends StackProps {
  readonly config: EnvConfig;
  readonly vpc: ec2.IVpc;
  /** Forces the migration trigger to run on this deploy (see DatabaseMigrationProps.runToken). */
  readonly migrationRunToken?: string;
  /** Migration entry override (tests). @default lambda/migrate/handler.ts */
  readonly migrationEntry?: string;
}

export class DataStack extends Stack {
  /** Envelope encryption of message PII (webhook: GenerateDataKey; admin: Decrypt). */
  readonly piiKey: kms.Key;
  /** Encrypts the RDS-managed master secret. */
  readonly secretsKey: kms.Key;
  /** Encrypts the database storage, snapshots and Performance Insights. */
  readonly databaseKey: kms.Key;
  readonly database: PostgresDatabase;
  readonly migration: DatabaseMigration;

  constructor(scope: Construct, id: string, props: DataStackProps) {
    super(scope, id, props);
    const { config } = props;
    const prefix = `signalgate-${config.envName}`;
    const keyRemoval = removalPolicyOf(config.removalPolicies.keys);
    this.piiKey = encryptionKey(this, 'PiiKey', {
      logicalId: 'PiiKey',
      alias: `${prefix}/pii`,
      description: `Signalgate ${config.envName}: envelope encryption of message PII`,
      removalPolicy: keyRemoval,
      // Only the webhook (seals) and admin (opens) roles may use it: created in the api stack under these fixed
      // names, so this policy needs no reference to that stack.
      usableOnlyBy: {
        roleNames: PII_KEY_USERS.map((user) => piiKeyUserRoleName(config.envName, config.region, user)),
        tagValue: config.envName,
      },
    });
    this.secretsKey = encryptionKey(this, 'DatabaseSecretsKey', {
      logicalId: 'DatabaseSecretsKey',
      alias: `${prefix}/database-secrets`,
      description: `Signalgate ${config.envName}: database credential secrets`,
      removalPolicy: keyRemoval,
    });
    this.databaseKey = encryptionKey(this, 'DatabaseKey', {
      logicalId: 'DatabaseKey',
      alias: `${prefix}/database`,
      description: `Signalgate ${config.envName}: RDS storage, snapshots, Performance Insights`,
      removalPolicy: keyRemoval,
    });

    const db = config.database;
    this.database = new PostgresDatabase(this, 'Database', {
      vpc: props.vpc,
      namePrefix: prefix,
      databaseName: db.databaseName,
      postgresMajorVersion: db.postgresMajorVersion,
      instanceClass: db.instanceClass,
      allocatedStorageGiB: db.allocatedStorageGiB,
      maxAllocatedStorageGiB: db.maxAllocatedStorageGiB,
      multiAz: db.multiAz,
      deletionProtection: db.deletionProtection,
      backupRetention: Duration.days(db.backupRetentionDays),
      performanceInsights: db.performanceInsights,
      enhancedMonitoringIntervalSeconds: db.enhancedMonitoringIntervalSeconds,
      removalPolicy: removalPolicyOf(config.removalPolicies.database),
      storageKey: this.databaseKey,
      secretsKey: this.secretsKey,
      masterUsername: DB_MASTER_USER,
      loginRoles: Object.values(DbRole),
      logRetention: config.logRetentionDays,
      logRemovalPolicy: removalPolicyOf(config.removalPolicies.logs),
      proxy: db.proxy,
    });

    this.migration = new DatabaseMigration(this, 'Migration', {
      database: this.database,
      vpc: props.vpc,
      envName: config.envName,
      logRetention: config.logRetentionDays,
      logRemovalPolicy: removalPolicyOf(config.removalPolicies.logs),
      runToken: props.migrationRunToken,
      entry: props.migrationEntry,
    });
  }
}
