// RDS Postgres behind RDS Proxy: CMK-encrypted, TLS-only, isolated, with rotated master and application credentials.
import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { acknowledge, pinLogicalId } from './pin.js';

/** Characters kept out of generated passwords: they break connection strings and shell quoting. */
/** RDS Proxy for Postgres always listens on 5432. */
export const POSTGRES_PORT = 5432;

const EXCLUDED_PASSWORD_CHARACTERS = ' %+~`#$&*()|[]{}:;<>?!\'/@"\\';

export interface PostgresDatabaseProps {
  readonly vpc: ec2.IVpc;
  /** Prefix of physical names (instance identifier, rotation functions), e.g. `signalgate-dev`. */
  readonly namePrefix: string;
  readonly databaseName: string;
  /** Major version only, so RDS minor upgrades never fight the template. */
  readonly postgresMajorVersion: string;
  /** e.g. `t4g.micro` */
  readonly instanceClass: string;
  readonly allocatedStorageGiB: number;
  readonly maxAllocatedStorageGiB: number;
  readonly multiAz: boolean;
  readonly deletionProtection: boolean;
  readonly backupRetention: Duration;
  readonly performanceInsights: boolean;
  /** 0 disables enhanced monitoring. */
  readonly enhancedMonitoringIntervalSeconds: number;
  readonly removalPolicy: RemovalPolicy;
  readonly secretRemovalPolicy: RemovalPolicy;
  /** Encrypts storage, Performance Insights and snapshots. */
  readonly storageKey: kms.IKey;
  /** Encrypts both credential secrets. */
  readonly secretsKey: kms.IKey;
  /** Days between automatic rotations of both credential secrets. */
  readonly rotationDays: number;
  /** Least-privilege login role the Lambdas use through the proxy (created by the migrations). */
  readonly appUsername: string;
  readonly logRetention: logs.RetentionDays;
  readonly logRemovalPolicy: RemovalPolicy;
}

export class PostgresDatabase extends Construct {
  readonly instance: rds.DatabaseInstance;
  readonly proxy: rds.DatabaseProxy;
  /** `{"username","password","host","port","dbname","engine",…}` of the master user (migrations only). */
  readonly masterSecret: secretsmanager.ISecret;
  /** Same shape, for the application role; the proxy logs in with it, the migration sets it. */
  readonly appSecret: secretsmanager.ISecret;
  /** Attach to functions that reach the database through the proxy (IAM auth, TLS). */
  readonly proxyClientSecurityGroup: ec2.SecurityGroup;
  /** Attach to functions that must reach the instance directly (the migration). */
  readonly directClientSecurityGroup: ec2.SecurityGroup;
  readonly databaseName: string;

  constructor(scope: Construct, id: string, props: PostgresDatabaseProps) {
    super(scope, id);
    this.databaseName = props.databaseName;
    const { vpc } = props;
    const isolated: ec2.SubnetSelection = { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
    const sg = (name: string, description: string) =>
      new ec2.SecurityGroup(this, name, { vpc, description, allowAllOutbound: false });

    const dbSecurityGroup = sg(
      'InstanceSecurityGroup',
      'Postgres instance: from the proxy, migration and rotation',
    );
    const proxySecurityGroup = sg('ProxySecurityGroup', 'RDS Proxy: from proxy clients, to the instance');
    this.proxyClientSecurityGroup = sg(
      'ProxyClientSecurityGroup',
      'Functions that use the database via the proxy',
    );
    this.directClientSecurityGroup = sg(
      'DirectClientSecurityGroup',
      'Migration function: instance and endpoints',
    );
    const rotationSecurityGroup = sg('RotationSecurityGroup', 'Credential rotation: instance and endpoints');
    for (const group of [this.directClientSecurityGroup, rotationSecurityGroup]) {
      // Secrets Manager is reached through its interface endpoint inside the VPC.
      group.addEgressRule(ec2.Peer.ipv4(vpc.vpcCidrBlock), ec2.Port.tcp(443), 'AWS APIs via VPC endpoints');
    }

    const engine = rds.DatabaseInstanceEngine.postgres({
      version: rds.PostgresEngineVersion.of(props.postgresMajorVersion, props.postgresMajorVersion),
    });
    const parameterGroup = new rds.ParameterGroup(this, 'Parameters', {
      engine,
      description: 'Signalgate: TLS only, SCRAM passwords, connection logging',
      parameters: {
        'rds.force_ssl': '1',
        password_encryption: 'scram-sha-256',
        log_connections: '1',
        log_disconnections: '1',
      },
    });

    const master = new rds.DatabaseSecret(this, 'MasterSecret', {
      username: 'signalgate_admin',
      dbname: props.databaseName,
      encryptionKey: props.secretsKey,
      excludeCharacters: EXCLUDED_PASSWORD_CHARACTERS,
    });
    master.applyRemovalPolicy(props.secretRemovalPolicy);
    pinLogicalId(master, 'DatabaseMasterSecret');

    const instanceIdentifier = `${props.namePrefix}-postgres`;
    // Created here (not by RDS) so the exported logs get this retention without a LogRetention Lambda.
    const postgresLogs = new logs.LogGroup(this, 'PostgresLogs', {
      logGroupName: `/aws/rds/instance/${instanceIdentifier}/postgresql`,
      retention: props.logRetention,
      removalPolicy: props.logRemovalPolicy,
    });
    const upgradeLogs = new logs.LogGroup(this, 'UpgradeLogs', {
      logGroupName: `/aws/rds/instance/${instanceIdentifier}/upgrade`,
      retention: props.logRetention,
      removalPolicy: props.logRemovalPolicy,
    });

    this.instance = new rds.DatabaseInstance(this, 'Instance', {
      instanceIdentifier,
      engine,
      instanceType: new ec2.InstanceType(props.instanceClass),
      vpc,
      vpcSubnets: isolated,
      securityGroups: [dbSecurityGroup],
      publiclyAccessible: false,
      credentials: rds.Credentials.fromSecret(master),
      databaseName: props.databaseName,
      parameterGroup,
      storageEncrypted: true,
      storageEncryptionKey: props.storageKey,
      storageType: rds.StorageType.GP3,
      allocatedStorage: props.allocatedStorageGiB,
      maxAllocatedStorage: props.maxAllocatedStorageGiB,
      multiAz: props.multiAz,
      deletionProtection: props.deletionProtection,
      backupRetention: props.backupRetention,
      deleteAutomatedBackups: false,
      copyTagsToSnapshot: true,
      autoMinorVersionUpgrade: true,
      enablePerformanceInsights: props.performanceInsights,
      performanceInsightEncryptionKey: props.performanceInsights ? props.storageKey : undefined,
      monitoringInterval:
        props.enhancedMonitoringIntervalSeconds > 0
          ? Duration.seconds(props.enhancedMonitoringIntervalSeconds)
          : undefined,
      cloudwatchLogsExports: ['postgresql', 'upgrade'],
      removalPolicy: props.removalPolicy,
    });
    this.instance.node.addDependency(postgresLogs, upgradeLogs);
    pinLogicalId(this.instance, 'Database');
    if (props.enhancedMonitoringIntervalSeconds > 0) {
      const monitoringRole = this.instance.node.tryFindChild('MonitoringRole');
      if (monitoringRole) {
        acknowledge(
          monitoringRole,
          'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole]',
          'Enhanced monitoring: RDS requires this AWS managed service-role policy for its monitoring agent; it only writes to the RDSOSMetrics log group.',
        );
      }
    }
    acknowledge(
      this.instance,
      'AwsSolutions-RDS11',
      'Default Postgres port kept: the instance is unreachable except from three security groups in isolated subnets, so a non-standard port adds no protection; clients go through the proxy (5432 regardless).',
    );
    if (!props.multiAz) {
      acknowledge(
        this.instance,
        'AwsSolutions-RDS3',
        'Single-AZ by environment config (non-production cost); prod sets database.multiAz.',
      );
    }
    if (!props.deletionProtection) {
      acknowledge(
        this.instance,
        'AwsSolutions-RDS10',
        'Deletion protection off by environment config (disposable dev database); staging and prod enable it.',
      );
    }

    const masterAttached = this.instance.secret;
    if (!masterAttached) throw new Error('PostgresDatabase: the instance has no attached master secret');
    this.masterSecret = masterAttached;

    const app = new rds.DatabaseSecret(this, 'AppSecret', {
      username: props.appUsername,
      dbname: props.databaseName,
      encryptionKey: props.secretsKey,
      excludeCharacters: EXCLUDED_PASSWORD_CHARACTERS,
    });
    app.applyRemovalPolicy(props.secretRemovalPolicy);
    pinLogicalId(app, 'DatabaseAppSecret');
    this.appSecret = app.attach(this.instance);

    // Single-user hosted rotation for both credentials; the functions run in the isolated subnets and reach
    // Secrets Manager through its VPC endpoint (ARCHITECTURE §9).
    const rotate = (secret: secretsmanager.ISecret, name: string) =>
      secret.addRotationSchedule(`${name}Rotation`, {
        automaticallyAfter: Duration.days(props.rotationDays),
        hostedRotation: secretsmanager.HostedRotation.postgreSqlSingleUser({
          functionName: `${props.namePrefix}-${name.toLowerCase()}-rotation`,
          vpc,
          vpcSubnets: isolated,
          securityGroups: [rotationSecurityGroup],
          excludeCharacters: EXCLUDED_PASSWORD_CHARACTERS,
        }),
      });
    rotate(this.masterSecret, 'Master');
    rotate(this.appSecret, 'App');

    this.proxy = new rds.DatabaseProxy(this, 'Proxy', {
      proxyTarget: rds.ProxyTarget.fromInstance(this.instance),
      // Only the application role's credentials: the proxy can never log in as the master user.
      secrets: [this.appSecret],
      vpc,
      vpcSubnets: isolated,
      securityGroups: [proxySecurityGroup],
      iamAuth: true,
      requireTLS: true,
      debugLogging: false,
      idleClientTimeout: Duration.minutes(15),
      borrowTimeout: Duration.seconds(30),
    });
    pinLogicalId(this.proxy, 'DatabaseProxy');

    this.instance.connections.allowDefaultPortFrom(proxySecurityGroup, 'RDS Proxy');
    this.instance.connections.allowDefaultPortFrom(this.directClientSecurityGroup, 'Migration function');
    this.instance.connections.allowDefaultPortFrom(rotationSecurityGroup, 'Credential rotation');
    this.proxy.connections.allowFrom(
      this.proxyClientSecurityGroup,
      ec2.Port.tcp(POSTGRES_PORT),
      'Proxy clients (IAM auth)',
    );
  }
}
