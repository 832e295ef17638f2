import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { REDELIVERY_RESERVE_MILLIS } from '../../lambda/ingest/redelivery.js';
import { DbTimeout } from '../../lambda/shared/db/timeouts.js';
import { EnvVar, Route, ServiceName } from '../../lambda/shared/names.js';
import { loadConfig } from '../../lib/config/index.js';
import { WebAcl, type WebAclProps } from '../../lib/constructs/web-acl.js';
import { EXPECTED_GATEWAY_RESPONSE_PARAMETERS } from '../helpers/security-headers.js';
import { USER_CONFIG_VALUES } from '../helpers/user-config-values.js';
import { type CfnJson, ENVS, synthEnv } from './helpers/synth-env.js';

const ref = (logicalId: string) => ({ Ref: logicalId });
const arnOf = (logicalId: string) => ({ 'Fn::GetAtt': [logicalId, 'Arn'] });

/** Logical ID of the only resource of `type` whose properties match. */
function onlyId(
  template: ReturnType<typeof synthEnv>['templates']['api'],
  type: string,
  props?: object,
): string {
  const found = Object.keys(template.findResources(type, props ? { Properties: props } : undefined));
  expect(found, `${type} matching ${JSON.stringify(props)}`).toHaveLength(1);
  return found[0] as string;
}

describe.each(ENVS)('%s stacks', (env) => {
  const synth = synthEnv(env);
  const { config, templates } = synth;
  const { network, data, api, monitoring } = templates;
  // Written out, not read from the config: dev logs in to the instance directly and has no web ACL (issue 11, cost).
  const proxied = { dev: false, staging: true, prod: true }[env];
  const withWaf = { dev: false, staging: true, prod: true }[env];

  describe('network', () => {
    it('has isolated subnets only and no NAT gateway or internet gateway', () => {
      network.resourceCountIs('AWS::EC2::NatGateway', 0);
      network.resourceCountIs('AWS::EC2::InternetGateway', 0);
      network.resourceCountIs('AWS::EC2::Subnet', config.availabilityZones.length);
      network.allResourcesProperties('AWS::EC2::Subnet', { MapPublicIpOnLaunch: false });
      for (const az of config.availabilityZones) {
        network.hasResourceProperties('AWS::EC2::Subnet', { AvailabilityZone: az });
      }
    });

    it('has exactly the interface endpoints the VPC functions call, in the configured zones', () => {
      // No CloudWatch Logs endpoint (issue 11): Lambda delivers function logs itself; the deploy rehearsal
      // proves every service the VPC functions' roles may call is reachable without it.
      const endpoints = Object.values(network.findResources('AWS::EC2::VPCEndpoint'));
      expect(endpoints.map((e) => e.Properties.ServiceName).sort()).toEqual(
        ['kms', 'monitoring', 'secretsmanager', 'sqs'].map((s) => `com.amazonaws.${config.region}.${s}`),
      );
      const zones = {
        dev: 1,
        staging: config.availabilityZones.length,
        prod: config.availabilityZones.length,
      }[env];
      for (const endpoint of endpoints) {
        expect(endpoint.Properties).toMatchObject({ VpcEndpointType: 'Interface', PrivateDnsEnabled: true });
        expect(endpoint.Properties.SubnetIds).toHaveLength(zones);
      }
    });

    it('logs all traffic with flow logs', () => {
      network.hasResourceProperties('AWS::EC2::FlowLog', {
        TrafficType: 'ALL',
        LogDestinationType: 'cloud-watch-logs',
      });
    });
  });

  describe('data', () => {
    it('keeps the database private, in isolated subnets, encrypted with its CMK', () => {
      data.hasResourceProperties('AWS::RDS::DBInstance', {
        PubliclyAccessible: false,
        StorageEncrypted: true,
        KmsKeyId: arnOf('DatabaseKey'),
        Engine: 'postgres',
        EngineVersion: config.database.postgresMajorVersion,
        DBInstanceClass: `db.${config.database.instanceClass}`,
        AllocatedStorage: String(config.database.allocatedStorageGiB),
        MaxAllocatedStorage: config.database.maxAllocatedStorageGiB,
      });
      const subnetGroup = Object.values(data.findResources('AWS::RDS::DBSubnetGroup'))[0];
      const subnetIds = JSON.stringify(subnetGroup?.Properties.SubnetIds);
      expect(subnetIds).toContain('isolatedSubnet');
    });

    it(`backs up for ${env}'s retention, with Multi-AZ and deletion protection per config`, () => {
      data.hasResourceProperties('AWS::RDS::DBInstance', {
        BackupRetentionPeriod: config.database.backupRetentionDays,
        MultiAZ: config.database.multiAz,
        DeletionProtection: config.database.deletionProtection,
        CopyTagsToSnapshot: true,
      });
      const expectedPolicy = { retain: 'Retain', snapshot: 'Snapshot', destroy: 'Delete' }[
        config.removalPolicies.database
      ];
      data.hasResource('AWS::RDS::DBInstance', { DeletionPolicy: expectedPolicy });
      if (env === 'prod') {
        data.hasResourceProperties('AWS::RDS::DBInstance', { MultiAZ: true, DeletionProtection: true });
      }
    });

    it('forces TLS and SCRAM in the parameter group', () => {
      data.hasResourceProperties('AWS::RDS::DBParameterGroup', {
        Parameters: Match.objectLike({ 'rds.force_ssl': '1', password_encryption: 'scram-sha-256' }),
      });
      data.hasResourceProperties('AWS::RDS::DBInstance', { DBParameterGroupName: Match.anyValue() });
    });

    if (proxied) {
      it('puts RDS Proxy in front with TLS required and end-to-end IAM auth (no database password)', () => {
        const proxies = data.findResources('AWS::RDS::DBProxy');
        expect(Object.keys(proxies)).toEqual(['DatabaseProxy']);
        const proxy = proxies.DatabaseProxy?.Properties;
        expect(proxy).toMatchObject({
          RequireTLS: true,
          EngineFamily: 'POSTGRESQL',
          DefaultAuthScheme: 'IAM_AUTH',
        });
        // No secret behind the proxy: it logs in to the instance with IAM as the caller's role.
        expect(proxy.Auth).toBeUndefined();
        // The instance accepts IAM tokens (without it the proxy cannot log in at all).
        data.hasResourceProperties('AWS::RDS::DBInstance', { EnableIAMDatabaseAuthentication: true });
      });

      it('lets the proxy connect to the instance as the three function roles only, never as the master user', () => {
        const proxyRole: string =
          data.findResources('AWS::RDS::DBProxy').DatabaseProxy?.Properties.RoleArn?.['Fn::GetAtt']?.[0];
        expect(proxyRole).toMatch(/^DatabaseProxyIAMRole/);
        const policies = Object.values(data.findResources('AWS::IAM::Policy')).filter((p) =>
          JSON.stringify(p.Properties.Roles).includes(proxyRole),
        );
        const statements = policies.flatMap((p) => p.Properties.PolicyDocument.Statement);
        expect(statements).toHaveLength(1);
        expect(statements[0].Action).toBe('rds-db:connect');
        const resources = JSON.stringify(statements[0].Resource);
        for (const role of ['signalgate_ingest', 'signalgate_admin_api', 'signalgate_retention']) {
          expect(resources).toContain(`/${role}`);
        }
        expect(resources).toContain('DbiResourceId');
        expect(resources).not.toContain('signalgate_owner');
        expect(resources).not.toContain('signalgate_app');
      });
    } else {
      it('has no RDS Proxy: the functions log in to the instance, which accepts IAM tokens', () => {
        data.resourceCountIs('AWS::RDS::DBProxy', 0);
        data.hasResourceProperties('AWS::RDS::DBInstance', { EnableIAMDatabaseAuthentication: true });
      });

      it('lets each function log in to the instance as its own role only (rds-db:connect on its DbiResourceId)', () => {
        const connects = Object.values(api.findResources('AWS::IAM::Policy')).flatMap((p) =>
          p.Properties.PolicyDocument.Statement.filter((st: CfnJson) => st.Action === 'rds-db:connect'),
        );
        const users = connects.map((st: CfnJson) => {
          const text = JSON.stringify(st.Resource);
          expect(text).toContain('DbiResourceId');
          return /\/(signalgate_[a-z_]+)"/.exec(text)?.[1];
        });
        expect(users.sort()).toEqual(['signalgate_admin_api', 'signalgate_ingest', 'signalgate_retention']);
      });
    }

    it('lets RDS manage the master password: no database secret or rotation schedule of ours', () => {
      data.hasResourceProperties('AWS::RDS::DBInstance', {
        MasterUsername: 'signalgate_owner',
        ManageMasterUserPassword: true,
        MasterUserSecret: { KmsKeyId: arnOf('DatabaseSecretsKey') },
      });
      data.resourceCountIs('AWS::SecretsManager::Secret', 0);
      data.resourceCountIs('AWS::SecretsManager::RotationSchedule', 0);
      data.resourceCountIs('AWS::SecretsManager::SecretTargetAttachment', 0);
    });

    it('runs the migration as a trigger after the database, in the VPC, with the RDS CA bundle', () => {
      data.resourceCountIs('Custom::Trigger', 1);
      const trigger = Object.values(data.findResources('Custom::Trigger'))[0];
      expect(trigger?.DependsOn).toEqual(expect.arrayContaining(['Database']));
      data.hasResourceProperties('AWS::Lambda::Function', {
        Environment: {
          Variables: Match.objectLike({
            [EnvVar.dbMasterSecretArn]: { 'Fn::GetAtt': ['Database', 'MasterUserSecret.SecretArn'] },
            [EnvVar.dbHost]: { 'Fn::GetAtt': ['Database', 'Endpoint.Address'] },
            [EnvVar.serviceName]: ServiceName.migrate,
            NODE_EXTRA_CA_CERTS: '/var/runtime/ca-cert.pem',
          }),
        },
        VpcConfig: Match.objectLike({ SubnetIds: Match.anyValue() }),
      });
    });
  });

  describe('keys', () => {
    it('rotates every customer managed key', () => {
      for (const template of [data, api, monitoring]) {
        const keys = template.findResources('AWS::KMS::Key');
        expect(Object.keys(keys).length).toBeGreaterThan(0);
        for (const key of Object.values(keys)) expect(key.Properties.EnableKeyRotation).toBe(true);
      }
    });
  });

  describe('api', () => {
    it('keeps the webhook out of the VPC and the ingest function in it', () => {
      const webhook = onlyId(api, 'AWS::Lambda::Function', {
        Environment: { Variables: Match.objectLike({ [EnvVar.serviceName]: ServiceName.webhook }) },
      });
      const ingest = onlyId(api, 'AWS::Lambda::Function', {
        Environment: { Variables: Match.objectLike({ [EnvVar.serviceName]: ServiceName.ingest }) },
      });
      const functions = api.findResources('AWS::Lambda::Function');
      expect(functions[webhook]?.Properties.VpcConfig).toBeUndefined();
      expect(functions[ingest]?.Properties.VpcConfig?.SubnetIds).toBeDefined();
    });

    it('gives ingest more time than one database attempt (connect + query timeouts) plus its defers', () => {
      const ingest = onlyId(api, 'AWS::Lambda::Function', {
        Environment: { Variables: Match.objectLike({ [EnvVar.serviceName]: ServiceName.ingest }) },
      });
      const timeoutMillis =
        (api.findResources('AWS::Lambda::Function')[ingest]?.Properties.Timeout ?? 0) * 1000;
      // A database that hangs must end in a deferred record, never in a function timeout (ARCHITECTURE §1).
      expect(timeoutMillis).toBeGreaterThan(
        DbTimeout.connectMillis + DbTimeout.queryMillis + REDELIVERY_RESERVE_MILLIS,
      );
      // and the timeouts themselves stay well under RDS Proxy's 30 s borrow timeout.
      expect(DbTimeout.connectMillis + DbTimeout.queryMillis).toBeLessThan(30_000);
    });

    it('runs every function on arm64 Node 24 with its own log group and retention', () => {
      for (const template of [api, data]) {
        const functions = Object.values(template.findResources('AWS::Lambda::Function')).filter(
          (f) => f.Properties.Environment?.Variables?.[EnvVar.environment] === env,
        );
        expect(functions.length).toBeGreaterThan(0);
        for (const fn of functions) {
          expect(fn.Properties.Runtime).toBe('nodejs24.x');
          expect(fn.Properties.Architectures).toEqual(['arm64']);
          expect(fn.Properties.TracingConfig).toEqual({ Mode: 'Active' });
          expect(fn.Properties.LoggingConfig.LogGroup).toBeDefined();
        }
        template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: config.logRetentionDays });
      }
    });

    it('gives the webhook the contract environment, with the public URL built without a cycle', () => {
      const expectedBase = config.api.customDomain
        ? `https://${config.api.customDomain.domainName}`
        : Match.objectLike({ 'Fn::Join': Match.anyValue() });
      api.hasResourceProperties('AWS::Lambda::Function', {
        Environment: {
          Variables: Match.objectLike({
            [EnvVar.environment]: env,
            [EnvVar.publicBaseUrl]: expectedBase,
            [EnvVar.queueUrl]: ref('IngestQueue'),
            [EnvVar.kmsKeyId]: Match.anyValue(),
            [EnvVar.twilioTokenSecrets]: Match.anyValue(),
            [EnvVar.blindIndexSecretArn]: ref('BlindIndexSecret'),
            [EnvVar.secretCacheSeconds]: String(config.secretCacheSeconds),
            [EnvVar.serviceName]: ServiceName.webhook,
          }),
        },
      });
    });

    it('gives ingest the database endpoint (proxy or instance), its own role and IAM connect on that user only', () => {
      api.hasResourceProperties('AWS::Lambda::Function', {
        ReservedConcurrentExecutions: config.ingest.reservedConcurrency ?? Match.absent(),
        Environment: {
          Variables: Match.objectLike({
            [EnvVar.dbUser]: 'signalgate_ingest',
            [EnvVar.dbPort]: '5432',
            [EnvVar.dbName]: config.database.databaseName,
            // A weak cross-stack reference (no export lock between the stacks).
            [EnvVar.dbHost]: {
              'Fn::GetStackOutput': Match.objectLike({
                StackName: `signalgate-${env}-data`,
                OutputName: Match.stringLikeRegexp(
                  proxied ? 'DatabaseProxyEndpoint' : 'DatabaseEndpointAddress',
                ),
              }),
            },
            // The instance presents an RDS CA certificate: Node verifies it only with Lambda's CA bundle.
            NODE_EXTRA_CA_CERTS: proxied ? Match.absent() : '/var/runtime/ca-cert.pem',
          }),
        },
      });
      api.hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Action: 'rds-db:connect',
              Resource: { 'Fn::Join': ['', Match.arrayWith(['/signalgate_ingest'])] },
            }),
          ]),
        },
      });
    });

    it('consumes the queue with partial batch responses', () => {
      api.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        EventSourceArn: arnOf('IngestQueue'),
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        BatchSize: config.ingest.batchSize,
        ScalingConfig: { MaximumConcurrency: config.ingest.maxConcurrency },
      });
    });

    it('budgets receives for a 4-hour database outage and keeps dead letters longer than the queue does', () => {
      // 29 receives at 30 s doubling to 15 min span ~6 h (test/unit/ingest/database-outage.test.ts runs it).
      const queues = Object.values(api.findResources('AWS::SQS::Queue')).map((q) => q.Properties);
      const ingest = queues.find((q) => q.QueueName === `signalgate-${env}-ingest`);
      const dlq = queues.find((q) => q.QueueName === `signalgate-${env}-ingest-dlq`);
      expect(ingest.RedrivePolicy.maxReceiveCount).toBe(29);
      expect(ingest.MessageRetentionPeriod).toBe(4 * 24 * 3600);
      // A standard queue keeps a message's first enqueue time in the DLQ: its retention must be the longer.
      expect(dlq.MessageRetentionPeriod).toBe(14 * 24 * 3600);
      // Ingest backs off (ChangeMessageVisibility, from the event source's grant) and dead-letters poison.
      const ingestFn = onlyId(api, 'AWS::Lambda::Function', {
        Environment: { Variables: Match.objectLike({ [EnvVar.serviceName]: ServiceName.ingest }) },
      });
      const variables =
        api.findResources('AWS::Lambda::Function')[ingestFn]?.Properties.Environment.Variables;
      expect(variables[EnvVar.queueUrl]).toEqual(ref('IngestQueue'));
      expect(variables[EnvVar.dlqUrl]).toEqual(ref('IngestDeadLetterQueue'));
      const statements = Object.values(api.findResources('AWS::IAM::Policy')).flatMap(
        (p) => p.Properties.PolicyDocument.Statement,
      );
      expect(statements).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ Action: 'sqs:SendMessage', Resource: arnOf('IngestDeadLetterQueue') }),
          expect.objectContaining({
            Action: expect.arrayContaining(['sqs:ChangeMessageVisibility']),
            Resource: arnOf('IngestQueue'),
          }),
        ]),
      );
    });

    it('encrypts queue and DLQ with the queue CMK, TLS only, with a redrive to the DLQ', () => {
      api.hasResourceProperties('AWS::SQS::Queue', {
        KmsMasterKeyId: arnOf('QueueKey'),
        RedrivePolicy: { deadLetterTargetArn: arnOf('IngestDeadLetterQueue'), maxReceiveCount: 29 },
      });
      api.hasResourceProperties('AWS::SQS::Queue', {
        QueueName: `signalgate-${env}-ingest-dlq`,
        KmsMasterKeyId: arnOf('QueueKey'),
      });
      for (const queue of ['IngestQueue', 'IngestDeadLetterQueue']) {
        api.hasResourceProperties('AWS::SQS::QueuePolicy', {
          Queues: [ref(queue)],
          PolicyDocument: {
            Statement: Match.arrayWith([
              Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
            ]),
          },
        });
      }
    });

    it('creates one Twilio token secret per account, one admin credential per holder and the blind-index key, all with the app CMK', () => {
      for (const sid of config.twilio.accountSids) {
        api.hasResourceProperties('AWS::SecretsManager::Secret', {
          Name: `signalgate/${env}/twilio-auth-token/${sid}`,
          KmsKeyId: arnOf('AppSecretsKey'),
        });
      }
      const holders =
        env === 'dev'
          ? ['privacy-1', 'privacy-2', 'ops']
          : ['privacy-1', 'privacy-2', 'ops', 'support', 'canary'];
      for (const holder of holders) {
        api.hasResourceProperties('AWS::SecretsManager::Secret', {
          Name: `signalgate/${env}/admin-credential/${holder}`,
          KmsKeyId: arnOf('AppSecretsKey'),
          // The token only: the holder's role is configuration, never in the secret.
          GenerateSecretString: Match.objectEquals({
            SecretStringTemplate: '{}',
            GenerateStringKey: 'token',
            PasswordLength: 64,
            ExcludePunctuation: true,
            IncludeSpace: false,
          }),
        });
      }
      // The shared admin-token secret is retired (whoever read it held every role).
      expect(JSON.stringify(api.findResources('AWS::SecretsManager::Secret'))).not.toContain('/admin-token"');
      api.hasResourceProperties('AWS::SecretsManager::Secret', {
        Name: `signalgate/${env}/blind-index-key`,
        GenerateSecretString: Match.objectLike({ GenerateStringKey: 'key', PasswordLength: 64 }),
      });
      // Every admin credential rotates through its Lambda; the blind-index key never does; the Twilio tokens only
      // once twilio.rotationEnabled says the real tokens are stored (a new schedule rotates at once).
      expect(config.twilio.rotationEnabled).toBe(false);
      const schedules = Object.values(api.findResources('AWS::SecretsManager::RotationSchedule'));
      expect(schedules.map((s) => s.Properties.SecretId.Ref).sort()).toEqual(
        [
          'AdminCredentialprivacyH1',
          'AdminCredentialprivacyH2',
          'AdminCredentialops',
          // Dev has no reader holder (docs/COST.md) and no canary.
          ...(env === 'dev' ? [] : ['AdminCredentialsupport', 'AdminCredentialcanary']),
        ].sort(),
      );
    });

    it('logs, traces and throttles the stage, and associates the web ACL with it', () => {
      api.hasResourceProperties('AWS::ApiGateway::Stage', {
        StageName: config.api.stageName,
        TracingEnabled: true,
        AccessLogSetting: Match.objectLike({
          DestinationArn: Match.anyValue(),
          Format: Match.stringLikeRegexp('resourcePath'),
        }),
        MethodSettings: Match.arrayWith([
          Match.objectLike({
            ResourcePath: '/*',
            HttpMethod: '*',
            LoggingLevel: 'ERROR',
            DataTraceEnabled: false,
            ThrottlingRateLimit: config.api.throttling.rateLimit,
            ThrottlingBurstLimit: config.api.throttling.burstLimit,
          }),
        ]),
      });
      const stage = onlyId(api, 'AWS::ApiGateway::Stage');
      if (withWaf) {
        api.hasResourceProperties('AWS::WAFv2::WebACLAssociation', {
          ResourceArn: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([ref(stage)])] }),
          WebACLArn: arnOf(onlyId(api, 'AWS::WAFv2::WebACL')),
        });
      } else {
        // dev: no web ACL at all (docs/SECURITY.md, "Environments without WAF"), and no output naming one.
        api.resourceCountIs('AWS::WAFv2::WebACL', 0);
        api.resourceCountIs('AWS::WAFv2::WebACLAssociation', 0);
        expect(Object.keys(api.toJSON().Outputs ?? {})).not.toContain('WebAclArn');
      }
      // The access log records the route template, never the raw path with a phone number in it.
      const format = Object.values(api.findResources('AWS::ApiGateway::Stage'))[0]?.Properties
        .AccessLogSetting.Format;
      expect(format).not.toContain('$context.path');
    });

    it('answers unknown routes 404 and every gateway error with security headers and a generic body', () => {
      api.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
        ResponseType: 'MISSING_AUTHENTICATION_TOKEN',
        StatusCode: '404',
        ResponseTemplates: { 'application/json': '{"error":"not found"}' },
      });
      const responses = Object.values(api.findResources('AWS::ApiGateway::GatewayResponse'));
      expect(responses.map((r) => r.Properties.ResponseType)).toEqual(
        expect.arrayContaining(['DEFAULT_4XX', 'DEFAULT_5XX', 'WAF_FILTERED', 'THROTTLED']),
      );
      for (const response of responses) {
        // Every header ARCHITECTURE §2 names, HSTS included, on every gateway response.
        expect(response.Properties.ResponseParameters).toMatchObject(EXPECTED_GATEWAY_RESPONSE_PARAMETERS);
        expect(JSON.stringify(response.Properties.ResponseTemplates)).not.toContain('$context');
      }
    });

    it('routes the webhooks to the handler for every method, unsigned POSTs included (it counts them)', () => {
      const posts = Object.values(
        api.findResources('AWS::ApiGateway::Method', { Properties: { HttpMethod: 'POST' } }),
      );
      // Messages and status, and the three voice routes where voice is enabled.
      const webhookRoutes = config.voice.enabled ? 5 : 2;
      expect(posts).toHaveLength(webhookRoutes);
      for (const post of posts) {
        expect(post.Properties.RequestParameters).toBeUndefined();
        expect(post.Properties.RequestValidatorId).toBeUndefined();
      }
      const methods = Object.values(api.findResources('AWS::ApiGateway::Method')).map(
        (m) => m.Properties.HttpMethod,
      );
      // Two webhook ANY methods plus one ANY per admin resource: health, metrics, audit,
      // subjects/export, subjects/erase, approvals/{id}, retention/run (see admin-wiring.test.ts).
      expect(methods.sort()).toEqual([
        ...Array<string>(webhookRoutes + 7).fill('ANY'),
        'GET',
        ...Array<string>(webhookRoutes).fill('POST'),
      ]);
    });

    it(
      config.api.customDomain ? 'serves the custom domain and disables execute-api' : 'uses the stage URL',
      () => {
        const restApi = Object.values(api.findResources('AWS::ApiGateway::RestApi'))[0];
        if (config.api.customDomain) {
          expect(restApi?.Properties.DisableExecuteApiEndpoint).toBe(true);
          api.hasResourceProperties('AWS::ApiGateway::DomainName', {
            DomainName: config.api.customDomain.domainName,
            SecurityPolicy: 'TLS_1_2',
            EndpointConfiguration: { Types: ['REGIONAL'] },
          });
        } else {
          expect(restApi?.Properties.DisableExecuteApiEndpoint).toBe(false);
          api.resourceCountIs('AWS::ApiGateway::DomainName', 0);
        }
      },
    );

    it('outputs the webhook URLs with Twilio retry overrides, the admin URL and the queue names', () => {
      const outputs = synth.json.api.Outputs;
      expect(JSON.stringify(outputs.MessagesWebhookUrl.Value)).toContain(
        `/webhooks/twilio/messages#${config.twilio.connectionOverrides}`,
      );
      expect(JSON.stringify(outputs.StatusCallbackUrl.Value)).toContain('/webhooks/twilio/status#rc=');
      expect(JSON.stringify(outputs.AdminBaseUrl.Value)).toContain('/admin');
      expect(outputs.IngestQueueName).toBeDefined();
      expect(outputs.IngestDeadLetterQueueName).toBeDefined();
      monitoring.hasOutput('OnCallTopicArn', { Value: ref('OnCallTopic') });
    });

    it('outputs the names of the functions that cache secrets, for npm run rotate -- --revoke-previous', () => {
      // The function a service name runs in: the Ref that CloudFormation resolves to its generated name.
      const functionOf = (service: string) =>
        Object.entries(api.findResources('AWS::Lambda::Function')).find(
          ([, r]) => r.Properties.Environment?.Variables?.[EnvVar.serviceName] === service,
        )?.[0];
      const outputs = synth.json.api.Outputs;
      expect(outputs.WebhookFunctionName?.Value).toEqual(ref(functionOf('signalgate-webhook') as string));
      expect(outputs.AdminFunctionName?.Value).toEqual(ref(functionOf('signalgate-admin') as string));
      const canary = functionOf('signalgate-canary');
      expect(outputs.CanaryFunctionName?.Value).toEqual(canary ? ref(canary) : undefined);
    });
  });

  describe('monitoring', () => {
    it('creates a KMS-encrypted, TLS-only on-call topic with the configured subscribers', () => {
      monitoring.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: arnOf('OnCallTopicKey') });
      monitoring.hasResourceProperties('AWS::SNS::TopicPolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
      monitoring.resourceCountIs('AWS::SNS::Subscription', config.alarms.emails.length);
    });
  });

  describe('first deploy', () => {
    it('reserves concurrency only where config asks, leaving 100 of the default quota unreserved', () => {
      // Lambda refuses a reservation that leaves fewer than 100 unreserved executions in the account; a new
      // account's quota can be as low as 10, so dev and staging reserve nothing.
      const reserved = Object.values({
        ...api.findResources('AWS::Lambda::Function'),
        ...data.findResources('AWS::Lambda::Function'),
      })
        .map((f) => f.Properties.ReservedConcurrentExecutions ?? 0)
        .reduce((a: number, b: number) => a + b, 0);
      expect(reserved).toBe(env === 'prod' ? 20 : 0);
      expect(reserved).toBeLessThanOrEqual(1000 - 100);
    });

    it('makes no strong cross-stack reference (Fn::ImportValue locks the exporting stack)', () => {
      for (const template of [network, data, api, monitoring]) {
        expect(JSON.stringify(template.toJSON())).not.toContain('Fn::ImportValue');
      }
    });
  });

  describe('stateful resources', () => {
    it('keep their pinned logical IDs', () => {
      const pinned = {
        data: {
          'AWS::RDS::DBInstance': ['Database'],
          'AWS::RDS::DBProxy': proxied ? ['DatabaseProxy'] : [],
          'AWS::KMS::Key': ['PiiKey', 'DatabaseSecretsKey', 'DatabaseKey'],
          // Issue 11: CDK derives these two from the construct path; a move would replace the instance's groups.
          'AWS::RDS::DBSubnetGroup': ['DatabaseSubnetGroup'],
          'AWS::RDS::DBParameterGroup': ['DatabaseParameterGroup'],
        },
        api: {
          'AWS::KMS::Key': ['QueueKey', 'AppSecretsKey'],
          'AWS::SQS::Queue': ['IngestQueue', 'IngestDeadLetterQueue'],
          'AWS::SecretsManager::Secret': [
            // One per holder (AdminTokenSecret, shared by every holder, is retired: docs/DEPLOY.md).
            'AdminCredentialprivacyH1',
            'AdminCredentialprivacyH2',
            'AdminCredentialops',
            ...(env === 'dev' ? [] : ['AdminCredentialsupport', 'AdminCredentialcanary']),
            'BlindIndexSecret',
            ...config.twilio.accountSids.map((sid) => `TwilioAuthToken${sid}`),
          ],
        },
        monitoring: { 'AWS::KMS::Key': ['OnCallTopicKey'], 'AWS::SNS::Topic': ['OnCallTopic'] },
      } as const;
      for (const [part, types] of Object.entries(pinned)) {
        for (const [type, ids] of Object.entries(types)) {
          expect(Object.keys(templates[part as keyof typeof templates].findResources(type)).sort()).toEqual(
            [...ids].sort(),
          );
        }
      }
    });
  });
});

// WAF rules per environment (same synth as above: one synth per environment per file keeps the suite fast).
type Rule = {
  Name: string;
  Priority: number;
  Action?: CfnJson;
  OverrideAction?: CfnJson;
  Statement: CfnJson;
};

function rulesOf(template: Template): Rule[] {
  const acl = Object.values(template.findResources('AWS::WAFv2::WebACL'))[0];
  return acl?.Properties.Rules as Rule[];
}
const rule = (rules: Rule[], name: string) => {
  const found = rules.find((r) => r.Name === name);
  expect(found, name).toBeDefined();
  return found as Rule;
};
/** The webhook paths in the WAF's scope: the voice routes too where the environment enables voice. */
const webhookPaths = (voice: boolean) => [
  '/webhooks/twilio/messages',
  '/webhooks/twilio/status',
  ...(voice
    ? ['/webhooks/twilio/voice', '/webhooks/twilio/voice/status', '/webhooks/twilio/voice/recording']
    : []),
];
const notWebhook = (prefix: string, voice: boolean) => ({
  NotStatement: {
    Statement: {
      OrStatement: {
        Statements: webhookPaths(voice).map((path) => ({
          ByteMatchStatement: {
            FieldToMatch: { UriPath: {} },
            PositionalConstraint: 'EXACTLY',
            SearchString: `${prefix}${path}`,
            TextTransformations: [{ Priority: 0, Type: 'NONE' }],
          },
        })),
      },
    },
  },
});
const adminScope = (prefix: string) => ({
  ByteMatchStatement: {
    FieldToMatch: { UriPath: {} },
    PositionalConstraint: 'STARTS_WITH',
    SearchString: `${prefix}/admin`,
    TextTransformations: [
      { Priority: 0, Type: 'URL_DECODE' },
      { Priority: 1, Type: 'LOWERCASE' },
    ],
  },
});

// dev has no web ACL (lib/config/dev.ts, docs/SECURITY.md): its absence is asserted in '%s stacks' above.
describe.each(['staging', 'prod'] as const)('%s web ACL', (env) => {
  const { config, templates } = synthEnv(env);
  const rules = rulesOf(templates.api);
  const prefix = config.api.customDomain ? '' : `/${config.api.stageName}`;

  it('rate-limits every IP off the webhooks and unsigned webhook requests, and admin routes tighter', () => {
    expect(rule(rules, 'RateLimitPerIp').Statement.RateBasedStatement).toEqual({
      Limit: config.waf.rateLimitPerIp,
      AggregateKeyType: 'IP',
      EvaluationWindowSec: 300,
      ScopeDownStatement: notWebhook(prefix, config.voice.enabled),
    });
    expect(rule(rules, 'WebhookUnsignedRateLimitPerIp').Statement.RateBasedStatement).toEqual({
      Limit: config.waf.rateLimitPerIp,
      AggregateKeyType: 'IP',
      EvaluationWindowSec: 300,
      ScopeDownStatement: {
        AndStatement: {
          Statements: [
            notWebhook(prefix, config.voice.enabled).NotStatement.Statement,
            {
              NotStatement: {
                Statement: {
                  SizeConstraintStatement: {
                    FieldToMatch: { SingleHeader: { Name: 'x-twilio-signature' } },
                    ComparisonOperator: 'GT',
                    Size: 0,
                    TextTransformations: [{ Priority: 0, Type: 'NONE' }],
                  },
                },
              },
            },
          ],
        },
      },
    });
    expect(rule(rules, 'AdminRateLimitPerIp').Statement.RateBasedStatement).toEqual({
      Limit: config.waf.adminRateLimitPerIp,
      AggregateKeyType: 'IP',
      EvaluationWindowSec: 300,
      ScopeDownStatement: adminScope(prefix),
    });
  });

  it('never lets reputation, anonymizer or known-bad-input lists judge the webhook routes', () => {
    for (const name of [
      'AWSManagedRulesAmazonIpReputationList',
      'AWSManagedRulesAnonymousIpList',
      'AWSManagedRulesKnownBadInputsRuleSet',
    ]) {
      expect(rule(rules, name).Statement.ManagedRuleGroupStatement.ScopeDownStatement).toEqual(
        notWebhook(prefix, config.voice.enabled),
      );
    }
    expect(
      rule(rules, 'AWSManagedRulesAnonymousIpList').Statement.ManagedRuleGroupStatement.RuleActionOverrides,
    ).toEqual([{ Name: 'HostingProviderIPList', ActionToUse: { Count: {} } }]);
  });

  it('blocks with the body-inspecting groups off the webhooks and only counts them on the webhooks, by path', () => {
    for (const group of ['AWSManagedRulesCommonRuleSet', 'AWSManagedRulesSQLiRuleSet']) {
      const blocking = rule(rules, group);
      expect(blocking.OverrideAction).toEqual({ None: {} });
      expect(blocking.Statement.ManagedRuleGroupStatement.ScopeDownStatement).toEqual(
        notWebhook(prefix, config.voice.enabled),
      );
      expect(blocking.Statement.ManagedRuleGroupStatement.RuleActionOverrides).toBeUndefined();
      const counting = rule(rules, `${group}OnWebhooks`);
      expect(counting.OverrideAction).toEqual({ Count: {} });
      expect(counting.Statement.ManagedRuleGroupStatement.ScopeDownStatement).toEqual(
        notWebhook(prefix, config.voice.enabled).NotStatement.Statement,
      );
    }
    expect(rules.find((r) => r.Name === 'BodyRulesOutsideWebhooks')).toBeUndefined();
  });

  it('scopes AdminProtection away from our own /admin routes, and blocks hosting providers only there', () => {
    expect(
      rule(rules, 'AWSManagedRulesAdminProtectionRuleSet').Statement.ManagedRuleGroupStatement
        .ScopeDownStatement,
    ).toEqual({
      AndStatement: {
        Statements: [
          { NotStatement: { Statement: adminScope(prefix) } },
          notWebhook(prefix, config.voice.enabled),
        ],
      },
    });
    const hosting = rule(rules, 'HostingProvidersOnAdmin');
    expect(hosting.Action).toEqual({ Block: {} });
    expect(hosting.Statement.AndStatement.Statements.slice(0, 2)).toEqual([
      {
        LabelMatchStatement: {
          Scope: 'LABEL',
          Key: 'awswaf:managed:aws:anonymous-ip-list:HostingProviderIPList',
        },
      },
      adminScope(prefix),
    ]);
  });

  it('rejects bodies over 64 KiB with 413 and inspects that far', () => {
    const size = rule(rules, 'BodyTooLarge');
    expect(size.Statement.SizeConstraintStatement).toMatchObject({
      FieldToMatch: { Body: { OversizeHandling: 'MATCH' } },
      ComparisonOperator: 'GT',
      Size: 65536,
    });
    expect(size.Action.Block.CustomResponse.ResponseCode).toBe(413);
    // WAF answers this 413 itself, so it must carry the security headers (sent as named, not prefixed).
    expect(size.Action.Block.CustomResponse.ResponseHeaders).toEqual(
      expect.arrayContaining([
        { Name: 'X-Content-Type-Options', Value: 'nosniff' },
        { Name: 'X-Frame-Options', Value: 'DENY' },
        { Name: 'Content-Security-Policy', Value: "default-src 'none'; frame-ancestors 'none'" },
        { Name: 'Referrer-Policy', Value: 'no-referrer' },
        { Name: 'Cache-Control', Value: 'no-store' },
        { Name: 'Strict-Transport-Security', Value: 'max-age=63072000; includeSubDomains' },
      ]),
    );
    // WAF refuses a custom content-type header (the body's ContentType sets it) and duplicate names.
    const names = size.Action.Block.CustomResponse.ResponseHeaders.map((h: { Name: string }) =>
      h.Name.toLowerCase(),
    );
    expect(names).not.toContain('content-type');
    expect(new Set(names).size).toBe(names.length);
    templates.api.hasResourceProperties('AWS::WAFv2::WebACL', {
      AssociationConfig: { RequestBody: { API_GATEWAY: { DefaultSizeInspectionLimit: 'KB_64' } } },
    });
  });

  it(`${config.waf.adminAllowedCidrs.length > 0 ? 'restricts' : 'does not restrict'} admin sources by CIDR`, () => {
    const allow = rules.find((r) => r.Name === 'AdminSourceAllowList');
    if (config.waf.adminAllowedCidrs.length > 0) {
      templates.api.hasResourceProperties('AWS::WAFv2::IPSet', { Addresses: config.waf.adminAllowedCidrs });
      expect(allow?.Priority).toBe(0);
      expect(allow?.Statement.AndStatement.Statements[0]).toEqual(adminScope(prefix));
    } else {
      expect(allow).toBeUndefined();
      templates.api.resourceCountIs('AWS::WAFv2::IPSet', 0);
    }
  });

  it('logs to an aws-waf-logs- group with tokens, signatures and paths redacted', () => {
    templates.api.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: `aws-waf-logs-signalgate-${env}`,
    });
    templates.api.hasResourceProperties('AWS::WAFv2::LoggingConfiguration', {
      RedactedFields: [
        { UriPath: {} },
        { QueryString: {} },
        { SingleHeader: { Name: 'x-admin-token' } },
        { SingleHeader: { Name: 'x-twilio-signature' } },
      ],
    });
  });

  it('keeps no sampled request (WAF samples hold the URI and headers for 3 hours, readable with ReadOnlyAccess)', () => {
    const acl = Object.values(templates.api.findResources('AWS::WAFv2::WebACL'))[0]?.Properties;
    expect(acl.VisibilityConfig.SampledRequestsEnabled).toBe(false);
    for (const r of acl.Rules) expect(r.VisibilityConfig.SampledRequestsEnabled, r.Name).toBe(false);
  });

  it('protects the admin token, the signature and the body in everything WAF stores, rule-match details included', () => {
    const acl = Object.values(templates.api.findResources('AWS::WAFv2::WebACL'))[0]?.Properties;
    const protections: Array<{
      Field: { FieldType: string; FieldKeys?: string[] };
      Action: string;
      ExcludeRuleMatchDetails?: boolean;
      ExcludeRateBasedDetails?: boolean;
    }> = acl.DataProtectionConfig.DataProtections;
    const headers = protections.find((p) => p.Field.FieldType === 'SINGLE_HEADER');
    expect(headers?.Field.FieldKeys).toEqual(expect.arrayContaining(['x-admin-token', 'x-twilio-signature']));
    expect(protections.map((p) => p.Field.FieldType)).toEqual(
      expect.arrayContaining(['BODY', 'QUERY_STRING']),
    );
    for (const p of protections) {
      expect(p.Action).toBe('SUBSTITUTION');
      // true would copy the matched value (a token, a number in the body) into rule-match details.
      expect(p.ExcludeRuleMatchDetails).toBe(false);
      expect(p.ExcludeRateBasedDetails).toBe(false);
    }
  });
});

describe('WebAcl construct', () => {
  const props: WebAclProps = {
    name: 'test',
    pathPrefix: '/hooks',
    webhookPaths: [Route.messages],
    adminPath: '/admin',
    rateLimitPerIp: 1000,
    adminRateLimitPerIp: 50,
    maxBodyBytes: 32768,
    logRetention: 7,
    logRemovalPolicy: RemovalPolicy.DESTROY,
  };

  it('uses the base path of a custom domain as prefix and a single exact webhook match', () => {
    const stack = new Stack();
    new WebAcl(stack, 'Acl', props);
    const rules = rulesOf(Template.fromStack(stack));
    expect(
      rule(rules, 'AWSManagedRulesAmazonIpReputationList').Statement.ManagedRuleGroupStatement
        .ScopeDownStatement,
    ).toEqual({
      NotStatement: {
        Statement: {
          ByteMatchStatement: expect.objectContaining({ SearchString: '/hooks/webhooks/twilio/messages' }),
        },
      },
    });
  });

  it('refuses a body limit WAF cannot inspect', () => {
    expect(() => new WebAcl(new Stack(), 'Acl', { ...props, maxBodyBytes: 70000 })).toThrow(/maxBodyBytes/);
  });
});

describe('Twilio token rotation once enabled', () => {
  it('schedules one rotation per account secret through the Twilio rotation function', () => {
    const base = loadConfig('dev');
    const { templates } = synthEnv('dev', { ...base, twilio: { ...base.twilio, rotationEnabled: true } });
    const schedules = Object.values(templates.api.findResources('AWS::SecretsManager::RotationSchedule'));
    const secrets = schedules.map((s) => s.Properties.SecretId.Ref).sort();
    expect(secrets).toEqual(
      [
        'AdminCredentialprivacyH1',
        'AdminCredentialprivacyH2',
        'AdminCredentialops',
        ...base.twilio.accountSids.map((sid) => `TwilioAuthToken${sid}`),
      ].sort(),
    );
    for (const schedule of schedules) {
      expect(schedule.Properties.RotationRules.ScheduleExpression).toMatch(/^rate\(\d+ days\)$/);
    }
  });
});

describe('a webhook URL with a configured query string', () => {
  it('hands the query to the webhook and the canary, and outputs the webhook URLs with it', () => {
    const base = loadConfig('prod', { values: USER_CONFIG_VALUES.prod });
    const { json } = synthEnv('prod', { ...base, twilio: { ...base.twilio, webhookQuery: 'tenant=acme' } });
    const withQuery = Object.entries(json.api.Resources as Record<string, CfnJson>)
      .filter(([, r]) => r.Type === 'AWS::Lambda::Function')
      .filter(([, r]) => r.Properties.Environment?.Variables?.WEBHOOK_QUERY === 'tenant=acme')
      .map(([, r]) => r.Properties.Environment.Variables[EnvVar.serviceName])
      .sort();
    expect(withQuery).toEqual(['signalgate-canary', 'signalgate-webhook']);
    expect(JSON.stringify(json.api.Outputs.MessagesWebhookUrl.Value)).toContain(
      '/webhooks/twilio/messages?tenant=acme#',
    );
    expect(JSON.stringify(json.api.Outputs.StatusCallbackUrl.Value)).toContain(
      '/webhooks/twilio/status?tenant=acme#',
    );
  });

  it('sets no WEBHOOK_QUERY when none is configured', () => {
    const functions = Object.values(synthEnv('prod').json.api.Resources as Record<string, CfnJson>).filter(
      (r) => r.Type === 'AWS::Lambda::Function',
    );
    expect(functions.length).toBeGreaterThan(0);
    for (const fn of functions) expect(fn.Properties.Environment?.Variables?.WEBHOOK_QUERY).toBeUndefined();
  });
});
