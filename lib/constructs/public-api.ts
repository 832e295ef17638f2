// The regional REST API Twilio and operators call: routes, stage hardening, generic gateway responses, custom domain.

import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as targets from 'aws-cdk-lib/aws-route53-targets';
import { Construct } from 'constructs';
import { ADMIN_ROUTES } from '../../lambda/admin/routes.js';
import { ErrorBody, RETRY_AFTER_SECONDS, SECURITY_HEADERS } from '../../lambda/shared/http.js';
import { Route } from '../../lambda/shared/names.js';
import { acknowledge } from './per-resource.js';

/**
 * The security headers of every response (lambda/shared/http.ts, ARCHITECTURE §2) in API Gateway's
 * static-value syntax: the value in single quotes, a quote inside it escaped with a backslash. Every
 * gateway response, present and future (THROTTLED included), takes its headers from here.
 */
export const GATEWAY_SECURITY_HEADERS: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(SECURITY_HEADERS).map(([name, value]) => [name, `'${value.replace(/'/g, "\\'")}'`]),
);

/**
 * Gateway responses: the same generic JSON bodies as the handlers' (lambda/shared/http.ts), so a caller
 * cannot tell the gateway from the Lambda, and the local stack answers exactly like AWS.
 */
const GATEWAY_RESPONSES: ReadonlyArray<{
  id: string;
  type: apigw.ResponseType;
  status?: string;
  error: string;
  headers?: Readonly<Record<string, string>>;
}> = [
  // Unknown routes: API Gateway calls them "missing authentication token"; callers see a plain 404.
  {
    id: 'NotFound',
    type: apigw.ResponseType.MISSING_AUTHENTICATION_TOKEN,
    status: '404',
    error: ErrorBody[404],
  },
  {
    id: 'ResourceNotFound',
    type: apigw.ResponseType.RESOURCE_NOT_FOUND,
    status: '404',
    error: ErrorBody[404],
  },
  { id: 'WafFiltered', type: apigw.ResponseType.WAF_FILTERED, status: '403', error: ErrorBody[403] },
  // THROTTLED defaults to 429, which Twilio never retries: a throttled webhook would be lost. 503 with
  // Retry-After is retried with `rp=…5xx` (ARCHITECTURE §1; docs/DEPLOY.md for the URL overrides).
  {
    id: 'Throttled',
    type: apigw.ResponseType.THROTTLED,
    status: '503',
    error: ErrorBody[503],
    headers: { 'Retry-After': `'${RETRY_AFTER_SECONDS}'` },
  },
  { id: 'TooLarge', type: apigw.ResponseType.REQUEST_TOO_LARGE, status: '413', error: ErrorBody[413] },
  { id: 'Default4xx', type: apigw.ResponseType.DEFAULT_4XX, error: ErrorBody[400] },
  { id: 'Default5xx', type: apigw.ResponseType.DEFAULT_5XX, error: ErrorBody[503] },
];

/** The access-log line: the route template, never the raw path (admin paths carry phone numbers). */
const ACCESS_LOG_FORMAT = JSON.stringify({
  requestId: '$context.requestId',
  extendedRequestId: '$context.extendedRequestId',
  requestTime: '$context.requestTime',
  sourceIp: '$context.identity.sourceIp',
  userAgent: '$context.identity.userAgent',
  httpMethod: '$context.httpMethod',
  resourcePath: '$context.resourcePath',
  status: '$context.status',
  protocol: '$context.protocol',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  integrationLatency: '$context.integration.latency',
  integrationStatus: '$context.integration.status',
  errorType: '$context.error.responseType',
  wafStatus: '$context.waf.status',
  xrayTraceId: '$context.xrayTraceId',
});

export interface CustomDomainOptions {
  readonly domainName: string;
  readonly certificateArn: string;
  /** '' maps the API at the root of the domain. */
  readonly basePath: string;
  /** @default - no DNS record (point the domain at the `RegionalDomainName` output yourself) */
  readonly hostedZone?: { readonly id: string; readonly name: string };
}

export interface PublicApiProps {
  readonly apiName: string;
  readonly stageName: string;
  /**
   * Custom domain; when set, the default execute-api endpoint is disabled.
   * @default - the execute-api stage URL is the public URL
   */
  readonly customDomain?: CustomDomainOptions;
  /**
   * Create (and retain) the account-wide API Gateway CloudWatch role. Exactly one stack per account should.
   * @default false
   */
  readonly manageAccountCloudWatchRole?: boolean;
  readonly throttling: { readonly rateLimit: number; readonly burstLimit: number };
  readonly adminThrottling: { readonly rateLimit: number; readonly burstLimit: number };
  readonly logRetention: logs.RetentionDays;
  readonly logRemovalPolicy: RemovalPolicy;
}

export class PublicApi extends Construct {
  readonly api: apigw.RestApi;
  readonly accessLogGroup: logs.LogGroup;
  readonly domain?: apigw.DomainName;
  /** The URL Twilio calls, without trailing slash; built without referencing the deployment (no cycle, §9). */
  readonly publicBaseUrl: string;
  /** What WAF sees before our route paths: `/<stage>` on execute-api, the base path behind a custom domain. */
  readonly wafPathPrefix: string;
  private readonly props: PublicApiProps;

  constructor(scope: Construct, id: string, props: PublicApiProps) {
    super(scope, id);
    this.props = props;
    this.accessLogGroup = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.logRetention,
      removalPolicy: props.logRemovalPolicy,
    });
    const domain = props.customDomain;
    this.api = new apigw.RestApi(this, 'Api', {
      restApiName: props.apiName,
      description: 'Signalgate: Twilio webhooks and admin API',
      endpointTypes: [apigw.EndpointType.REGIONAL],
      disableExecuteApiEndpoint: domain !== undefined,
      cloudWatchRole: props.manageAccountCloudWatchRole ?? false,
      // Retained: other stacks of the account rely on it after this one is gone.
      cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN,
      retainDeployments: false,
      deployOptions: {
        stageName: props.stageName,
        accessLogDestination: new apigw.LogGroupLogDestination(this.accessLogGroup),
        accessLogFormat: apigw.AccessLogFormat.custom(ACCESS_LOG_FORMAT),
        tracingEnabled: true,
        metricsEnabled: true,
        // Execution logs carry errors only, never request or response data.
        loggingLevel: apigw.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        throttlingRateLimit: props.throttling.rateLimit,
        throttlingBurstLimit: props.throttling.burstLimit,
      },
    });
    // The automatic `Endpoint` output is the execute-api URL, disabled behind a custom domain: the stack outputs
    // PublicBaseUrl instead.
    this.api.node.tryRemoveChild('Endpoint');
    const accountRole = this.api.node.tryFindChild('CloudWatchRole');
    if (accountRole) {
      acknowledge(
        accountRole,
        'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        'The account-wide API Gateway logging role needs exactly this AWS managed service-role policy; it is created once per account (config api.manageAccountCloudWatchRole).',
      );
    }

    acknowledge(
      this.api,
      'AwsSolutions-APIG2',
      'Every route is a Lambda proxy: Twilio posts form-encoded bodies that JSON-schema request models cannot describe, and the handlers validate every request (zod schemas, signature, size, media type) and answer 400/403/413/415 themselves; a gateway validator would also hide unsigned requests from the SignatureFailures metric.',
    );

    for (const response of GATEWAY_RESPONSES) {
      this.api.addGatewayResponse(response.id, {
        type: response.type,
        statusCode: response.status,
        responseHeaders: {
          ...GATEWAY_SECURITY_HEADERS,
          'Content-Type': "'application/json'",
          ...response.headers,
        },
        templates: { 'application/json': JSON.stringify({ error: response.error }) },
      });
    }

    if (domain) {
      this.domain = new apigw.DomainName(this, 'Domain', {
        domainName: domain.domainName,
        certificate: acm.Certificate.fromCertificateArn(this, 'Certificate', domain.certificateArn),
        endpointType: apigw.EndpointType.REGIONAL,
        securityPolicy: apigw.SecurityPolicy.TLS_1_2,
      });
      this.domain.addBasePathMapping(this.api, {
        basePath: domain.basePath === '' ? undefined : domain.basePath,
        stage: this.api.deploymentStage,
      });
      if (domain.hostedZone) {
        new route53.ARecord(this, 'AliasRecord', {
          zone: route53.HostedZone.fromHostedZoneAttributes(this, 'Zone', {
            hostedZoneId: domain.hostedZone.id,
            zoneName: domain.hostedZone.name,
          }),
          recordName: domain.domainName,
          target: route53.RecordTarget.fromAlias(new targets.ApiGatewayDomain(this.domain)),
        });
      }
      const base = domain.basePath === '' ? '' : `/${domain.basePath}`;
      this.publicBaseUrl = `https://${domain.domainName}${base}`;
      this.wafPathPrefix = base;
    } else {
      const stack = Stack.of(this);
      // restApiId, not api.url: the RestApi does not depend on the Lambda, its deployment does (§9).
      this.publicBaseUrl = `https://${this.api.restApiId}.execute-api.${stack.region}.${stack.urlSuffix}/${props.stageName}`;
      this.wafPathPrefix = `/${props.stageName}`;
    }
  }

  /**
   * GET /health, POST and ANY on both webhook routes (the handler answers 405 itself). A POST without
   * X-Twilio-Signature is not refused here: the handler refuses it (403, at no hashing cost) and counts
   * it in SignatureFailures, so the signature alarm sees unsigned probes too; the WAF rate limit
   * bounds what such a flood can cost.
   */
  addWebhookRoutes(handler: lambda.IFunction): void {
    const integration = new apigw.LambdaIntegration(handler, { proxy: true, allowTestInvoke: false });
    this.resourceFor(Route.health).addMethod('GET', integration, { operationName: 'Health' });
    for (const [path, name] of [
      [Route.messages, 'IncomingMessage'],
      [Route.status, 'StatusCallback'],
    ] as const) {
      const resource = this.resourceFor(path);
      resource.addMethod('POST', integration, { operationName: name });
      resource.addMethod('ANY', integration, { operationName: `${name}OtherMethods` });
    }
    this.acknowledgeUnauthenticatedMethods(
      'webhook routes authenticate with the Twilio signature (HMAC of URL and parameters) in the Lambda; /health is public by design.',
    );
  }

  /**
   * POST and ANY on the three voice routes (ARCHITECTURE §2), to the webhook function, which verifies
   * the signature as on the messaging routes; only where the environment enables voice.
   */
  addVoiceRoutes(handler: lambda.IFunction): void {
    const integration = new apigw.LambdaIntegration(handler, { proxy: true, allowTestInvoke: false });
    for (const [path, name] of [
      [Route.voice, 'IncomingCall'],
      [Route.voiceStatus, 'CallStatusCallback'],
      [Route.voiceRecording, 'RecordingStatusCallback'],
    ] as const) {
      const resource = this.resourceFor(path);
      resource.addMethod('POST', integration, { operationName: name });
      resource.addMethod('ANY', integration, { operationName: `${name}OtherMethods` });
    }
  }

  /**
   * Wires every admin route (ARCHITECTURE §2) to `handler` with the tighter admin throttling. For the admin issue:
   * the handler checks X-Admin-Token itself so that every call, allowed or not, is audited.
   */
  addAdminRoutes(handler: lambda.IFunction): void {
    const integration = new apigw.LambdaIntegration(handler, { proxy: true, allowTestInvoke: false });
    const stage = this.api.deploymentStage.node.defaultChild as apigw.CfnStage;
    const settings: apigw.CfnStage.MethodSettingProperty[] = [];
    // ANY on each admin resource: the handler answers 405 for a method its route does not serve (as the webhook does).
    for (const path of new Set(ADMIN_ROUTES.map((route) => route.template))) {
      this.resourceFor(path).addMethod('ANY', integration, {
        operationName: `Admin${path.replace(/[^a-zA-Z]/g, '')}`,
      });
      settings.push({
        // Stage method settings address a resource as `/` + its path with every slash encoded as `~1`
        // (`/admin/health` → `/~1admin~1health`, as CDK's methodOptions does); `*` covers the ANY method.
        resourcePath: `/${path.replace(/\//g, '~1')}`,
        httpMethod: '*',
        throttlingRateLimit: this.props.adminThrottling.rateLimit,
        throttlingBurstLimit: this.props.adminThrottling.burstLimit,
        loggingLevel: 'ERROR',
        dataTraceEnabled: false,
        metricsEnabled: true,
      });
    }
    stage.addPropertyOverride(
      'MethodSettings',
      [
        {
          resourcePath: '/*',
          httpMethod: '*',
          throttlingRateLimit: this.props.throttling.rateLimit,
          throttlingBurstLimit: this.props.throttling.burstLimit,
          loggingLevel: 'ERROR',
          dataTraceEnabled: false,
          metricsEnabled: true,
        },
        ...settings,
      ].map((s) => ({
        ResourcePath: s.resourcePath,
        HttpMethod: s.httpMethod,
        ThrottlingRateLimit: s.throttlingRateLimit,
        ThrottlingBurstLimit: s.throttlingBurstLimit,
        LoggingLevel: s.loggingLevel,
        DataTraceEnabled: s.dataTraceEnabled,
        MetricsEnabled: s.metricsEnabled,
      })),
    );
    this.acknowledgeUnauthenticatedMethods(
      'admin routes authenticate X-Admin-Token in the Lambda (constant-time, audited, lockout), which API Gateway authorizers cannot audit.',
    );
  }

  private resourceFor(path: string): apigw.IResource {
    return this.api.root.resourceForPath(path);
  }

  private acknowledgeUnauthenticatedMethods(reason: string): void {
    for (const method of this.api.methods) {
      if (method.node.metadata.some((m) => m.type === 'aws:cdk:acknowledged-rules')) continue;
      acknowledge(method, 'AwsSolutions-APIG4', `No API Gateway authorizer: ${reason}`);
      acknowledge(method, 'AwsSolutions-COG4', `No Cognito user pool: ${reason}`);
    }
  }
}
