// RDS Postgres, behind RDS Proxy or not (per environment): CMK-encrypted, TLS-only, isolated. Functions log in with
// IAM authentication (through the proxy end to end, or to the instance directly), each as its own Postgres role; the
// only password is the RDS-managed master one.
import { ArnFormat, Duration, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { EnvVar } from '../../lambda/shared/names.js';
import { acknowledge, pinLogicalId } from './per-resource.js';

/** RDS Proxy for Postgres always listens on 5432, and the instance keeps the default port. */
export const POSTGRES_PORT = 5432;

/**
 * Lambda's bundle of public CAs plus the RDS CAs (Lambda developer guide: Node.js 20+ loads it only when
 * NODE_EXTRA_CA_CERTS names it). A client of the instance itself needs it: the instance presents a certificate
 * of the RDS CA, which Node's default store does not hold; RDS Proxy presents an ACM one, which it does.
 */
export const LAMBDA_CA_BUNDLE = '/var/runtime/ca-cert.pem';

export interface PostgresDatabaseProps {
  readonly vpc: ec2.IVpc;
  /** Prefix of physical names (instance identifier, log groups), e.g. `signalgate-dev`. */
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
  /** Encrypts storage, Performance Insights and snapshots. */
  readonly storageKey: kms.IKey;
  /** Encrypts the RDS-managed master secret. */
  readonly secretsKey: kms.IKey;
  /** The schema owner (the master user); the migration logs in as it with the RDS-managed password. */
  readonly masterUsername: string;
  /**
   * The Postgres roles the functions log in as through the proxy (created by the migrations, given
   * `rds_iam` by the migration function). The proxy may connect to the instance as these and no other.
   */
  readonly loginRoles: readonly string[];
  readonly logRetention: logs.RetentionDays;
  readonly logRemovalPolicy: RemovalPolicy;
  /**
   * Puts RDS Proxy between the functions and the instance (connection pooling; IAM auth to the instance
   * throttles new connections at ~200/s, ARCHITECTURE §9). Without it the functions log in to the instance
   * directly with IAM auth. @default true
   */
  readonly proxy?: boolean;
}

export class PostgresDatabase extends Construct {
  readonly instance: rds.DatabaseInstance;
  /** Absent when the functions log in to the instance directly (props.proxy false). */
  readonly proxy?: rds.DatabaseProxy;
  /** Host the functions connect to: the proxy's endpoint, or the instance's own. */
  readonly clientEndpoint: string;
  /**
   * `{"username","password"}` of the master user, created and rotated by RDS itself (no rotation function,
   * no schedule of ours: it cannot race the migration). Read by the migration only.
   */
  readonly masterSecret: secretsmanager.ISecret;
  /** Attach to functions that log in to the database (IAM auth, TLS), through the proxy or directly. */
  readonly clientSecurityGroup: ec2.SecurityGroup;
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

    const useProxy = props.proxy ?? true;
    // The proxy shape keeps its groups' construct IDs and descriptions (a description change replaces a group).
    const dbSecurityGroup = sg(
      'InstanceSecurityGroup',
      useProxy
        ? 'Postgres instance: from the proxy and the migration'
        : 'Postgres instance: from the database clients and the migration',
    );
    this.clientSecurityGroup = useProxy
      ? sg('ProxyClientSecurityGroup', 'Functions that use the database via the proxy')
      : sg('ClientSecurityGroup', 'Functions that log in to the instance with IAM auth');
    // Every database client also calls AWS APIs (Secrets Manager, KMS, SQS, CloudWatch) through the VPC's
    // interface endpoints: without 443 out, each SDK call hangs until the function times out.
    this.clientSecurityGroup.addEgressRule(
      ec2.Peer.ipv4(vpc.vpcCidrBlock),
      ec2.Port.tcp(443),
      'AWS APIs via VPC endpoints',
    );
    this.directClientSecurityGroup = sg(
      'DirectClientSecurityGroup',
      'Migration function: instance and endpoints',
    );
    // Secrets Manager is reached through its interface endpoint inside the VPC.
    this.directClientSecurityGroup.addEgressRule(
      ec2.Peer.ipv4(vpc.vpcCidrBlock),
      ec2.Port.tcp(443),
      'AWS APIs via VPC endpoints',
    );

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
      // RDS creates, stores and rotates the master password itself (ARCHITECTURE §9: that excludes our
      // own rotation). Nothing else has a password: the functions and the proxy use IAM authentication.
      credentials: rds.Credentials.fromUsername(props.masterUsername, { encryptionKey: props.secretsKey }),
      manageMasterUserPassword: true,
      iamAuthentication: true,
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
    // Pinned: CDK derives these IDs from the construct path; a move would replace the instance's groups.
    // (The parameter group's resource exists only once an instance has bound it.)
    pinLogicalId(parameterGroup, 'DatabaseParameterGroup');
    const subnetGroup = this.instance.node.tryFindChild('SubnetGroup');
    if (!subnetGroup) throw new Error('PostgresDatabase: the instance has no subnet group to pin');
    pinLogicalId(subnetGroup, 'DatabaseSubnetGroup');
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
    if (!masterAttached) throw new Error('PostgresDatabase: the instance has no RDS-managed master secret');
    this.masterSecret = masterAttached;
    acknowledge(
      this.instance,
      'AwsSolutions-SMG4',
      'The master secret is RDS-managed (ManageMasterUserPassword): RDS rotates it on its own schedule; a Secrets Manager rotation schedule is not allowed on it.',
    );

    this.instance.connections.allowDefaultPortFrom(this.directClientSecurityGroup, 'Migration function');
    if (!useProxy) {
      this.clientEndpoint = this.instance.dbInstanceEndpointAddress;
      this.instance.connections.allowDefaultPortFrom(this.clientSecurityGroup, 'Database clients (IAM auth)');
      return;
    }
    const proxySecurityGroup = sg('ProxySecurityGroup', 'RDS Proxy: from proxy clients, to the instance');
    const proxy = new rds.DatabaseProxy(this, 'Proxy', {
      proxyTarget: rds.ProxyTarget.fromInstance(this.instance),
      // End-to-end IAM: clients present IAM tokens and the proxy logs in to the instance with IAM too, so no
      // database password exists to rotate, to leak or to fall out of step with a migration.
      defaultAuthScheme: rds.DefaultAuthScheme.IAM_AUTH,
      vpc,
      vpcSubnets: isolated,
      securityGroups: [proxySecurityGroup],
      requireTLS: true,
      debugLogging: false,
      idleClientTimeout: Duration.minutes(15),
      borrowTimeout: Duration.seconds(30),
    });
    pinLogicalId(proxy, 'DatabaseProxy');
    // The proxy's own role connects to the instance as each login role (never as the master user).
    const proxyRole = proxy.node.findChild('IAMRole') as iam.Role;
    proxyRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['rds-db:connect'],
        resources: props.loginRoles.map((role) => this.instanceUserArn(role)),
      }),
    );
    this.instance.connections.allowDefaultPortFrom(proxySecurityGroup, 'RDS Proxy');
    proxy.connections.allowFrom(
      this.clientSecurityGroup,
      ec2.Port.tcp(POSTGRES_PORT),
      'Proxy clients (IAM auth)',
    );
    this.proxy = proxy;
    this.clientEndpoint = proxy.endpoint;
  }

  /**
   * Lets `grantee` log in as the Postgres role `user` with IAM auth: `rds-db:connect` on the proxy's resource
   * id when there is a proxy, else on the instance's DbiResourceId (RDS IAM Authentication's db-user ARN:
   * arn:aws:rds-db:region:account:dbuser:DbiResourceId/user, Service Authorization Reference).
   */
  grantConnect(grantee: iam.IGrantable, user: string): iam.Grant {
    if (this.proxy) return this.proxy.grantConnect(grantee, user);
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['rds-db:connect'],
      resourceArns: [this.instanceUserArn(user)],
    });
  }

  /**
   * The environment of a function that logs in as `user`: where to connect and, for the instance itself, the CA
   * bundle that verifies its certificate.
   */
  clientEnvironment(user: string): Record<string, string> {
    return {
      [EnvVar.dbHost]: this.clientEndpoint,
      [EnvVar.dbPort]: String(POSTGRES_PORT),
      [EnvVar.dbName]: this.databaseName,
      [EnvVar.dbUser]: user,
      ...(this.proxy ? {} : { NODE_EXTRA_CA_CERTS: LAMBDA_CA_BUNDLE }),
    };
  }

  private instanceUserArn(user: string): string {
    return Stack.of(this).formatArn({
      service: 'rds-db',
      resource: 'dbuser',
      resourceName: `${this.instance.instanceResourceId}/${user}`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
  }
}
