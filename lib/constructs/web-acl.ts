// The regional WAF web ACL in front of the API stage, scoped per route so that Twilio is never blocked (ARCHITECTURE §7).

import { ArnFormat, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { ErrorBody, SECURITY_HEADERS } from '../../lambda/shared/http.js';

type Statement = wafv2.CfnWebACL.StatementProperty;

/** Body-inspecting rules of the managed groups: they COUNT everywhere and are re-applied outside the webhooks. */
export const COUNTED_BODY_RULES = {
  AWSManagedRulesCommonRuleSet: [
    'SizeRestrictions_BODY',
    'CrossSiteScripting_BODY',
    'GenericLFI_BODY',
    'GenericRFI_BODY',
    'EC2MetaDataSSRF_BODY',
  ],
  AWSManagedRulesSQLiRuleSet: ['SQLi_BODY', 'SQLiExtendedPatterns_BODY'],
} as const;

/** Label namespaces of the managed groups whose counted matches the re-block rule looks at. */
export const BODY_RULE_LABEL_NAMESPACES = [
  'awswaf:managed:aws:core-rule-set:',
  'awswaf:managed:aws:sql-database:',
];
export const HOSTING_PROVIDER_LABEL = 'awswaf:managed:aws:anonymous-ip-list:HostingProviderIPList';

export interface WebAclProps {
  /** Name of the web ACL and prefix of its metrics, e.g. `signalgate-dev`. */
  readonly name: string;
  /**
   * Path prefix the WAF sees before the API's routes: `/v1` for the execute-api stage URL, `''` or `/base`
   * behind a custom domain.
   */
  readonly pathPrefix: string;
  /** Exact webhook paths (without prefix), where the signature, not the WAF, is the authority. */
  readonly webhookPaths: readonly string[];
  /** Path prefix of the admin routes (without prefix), e.g. `/admin`. */
  readonly adminPath: string;
  /** Requests per IP per 5 minutes, every route. */
  readonly rateLimitPerIp: number;
  /** Requests per IP per 5 minutes on the admin routes. */
  readonly adminRateLimitPerIp: number;
  /**
   * When non-empty, the admin routes only accept these IPv4 CIDRs.
   * @default - any source
   */
  readonly adminAllowedCidrs?: readonly string[];
  /** Largest request body accepted (bytes, at most 65536); larger ones get 413 from the WAF. */
  readonly maxBodyBytes: number;
  readonly logRetention: logs.RetentionDays;
  readonly logRemovalPolicy: RemovalPolicy;
}

/** WAF's body inspection window for API Gateway, large enough for the body-size rule. */
function inspectionLimit(maxBodyBytes: number): string {
  const kb = Math.ceil(maxBodyBytes / 1024 / 16) * 16;
  return `KB_${Math.min(Math.max(kb, 16), 64)}`;
}

const visibility = (metricName: string): wafv2.CfnWebACL.VisibilityConfigProperty => ({
  cloudWatchMetricsEnabled: true,
  sampledRequestsEnabled: true,
  metricName,
});

const anyOf = (statements: Statement[]): Statement =>
  statements.length === 1 ? (statements[0] as Statement) : { orStatement: { statements } };
const allOf = (statements: Statement[]): Statement =>
  statements.length === 1 ? (statements[0] as Statement) : { andStatement: { statements } };
const not = (statement: Statement): Statement => ({ notStatement: { statement } });

export class WebAcl extends Construct {
  readonly webAcl: wafv2.CfnWebACL;
  readonly logGroup: logs.LogGroup;
  /** Matches requests to the webhook routes (exact paths, no transformation: anything else is not a webhook). */
  readonly webhookScope: Statement;
  /** Matches requests to the admin routes (URL-decoded, lower-cased: over-matching only makes them stricter). */
  readonly adminScope: Statement;

  constructor(scope: Construct, id: string, props: WebAclProps) {
    super(scope, id);
    if (props.maxBodyBytes < 1 || props.maxBodyBytes > 65536) {
      throw new Error(`WebAcl ${this.node.path}: maxBodyBytes must be 1-65536 (WAF inspects at most 64 KB)`);
    }
    const prefix = props.pathPrefix.replace(/\/$/, '');
    this.webhookScope = anyOf(
      props.webhookPaths.map((path) => ({
        byteMatchStatement: {
          fieldToMatch: { uriPath: {} },
          positionalConstraint: 'EXACTLY',
          searchString: `${prefix}${path}`,
          textTransformations: [{ priority: 0, type: 'NONE' }],
        },
      })),
    );
    this.adminScope = {
      byteMatchStatement: {
        fieldToMatch: { uriPath: {} },
        positionalConstraint: 'STARTS_WITH',
        searchString: `${prefix}${props.adminPath}`.toLowerCase(),
        textTransformations: [
          { priority: 0, type: 'URL_DECODE' },
          { priority: 1, type: 'LOWERCASE' },
        ],
      },
    };

    const rules: wafv2.CfnWebACL.RuleProperty[] = [];
    const add = (rule: Omit<wafv2.CfnWebACL.RuleProperty, 'priority' | 'visibilityConfig'>) =>
      rules.push({
        ...rule,
        priority: rules.length,
        visibilityConfig: visibility(`${props.name}-${rule.name}`),
      });

    let allowList: wafv2.CfnIPSet | undefined;
    if (props.adminAllowedCidrs && props.adminAllowedCidrs.length > 0) {
      allowList = new wafv2.CfnIPSet(this, 'AdminAllowList', {
        name: `${props.name}-admin-allow-list`,
        scope: 'REGIONAL',
        ipAddressVersion: 'IPV4',
        addresses: [...props.adminAllowedCidrs],
        description: 'Source CIDRs allowed to call the admin routes',
      });
      add({
        name: 'AdminSourceAllowList',
        action: { block: {} },
        statement: allOf([this.adminScope, not({ ipSetReferenceStatement: { arn: allowList.attrArn } })]),
      });
    }
    add({
      name: 'RateLimitPerIp',
      action: { block: {} },
      statement: {
        rateBasedStatement: { limit: props.rateLimitPerIp, aggregateKeyType: 'IP', evaluationWindowSec: 300 },
      },
    });
    add({
      name: 'AdminRateLimitPerIp',
      action: { block: {} },
      statement: {
        rateBasedStatement: {
          limit: props.adminRateLimitPerIp,
          aggregateKeyType: 'IP',
          evaluationWindowSec: 300,
          scopeDownStatement: this.adminScope,
        },
      },
    });
    add({
      name: 'BodyTooLarge',
      action: {
        block: {
          customResponse: {
            responseCode: 413,
            customResponseBodyKey: 'PayloadTooLarge',
            // WAF answers this itself, before API Gateway: without these the 413 would lack HSTS and
            // the rest. WAF sends custom response headers as named (only inserted request headers get
            // an x-amzn-waf- prefix); Content-Type comes from the body's contentType, as WAF requires.
            responseHeaders: Object.entries(SECURITY_HEADERS).map(([name, value]) => ({ name, value })),
          },
        },
      },
      statement: {
        sizeConstraintStatement: {
          // Bodies beyond the inspection window match too, so nothing larger slips through uninspected.
          fieldToMatch: { body: { oversizeHandling: 'MATCH' } },
          comparisonOperator: 'GT',
          size: props.maxBodyBytes,
          textTransformations: [{ priority: 0, type: 'NONE' }],
        },
      },
    });
    const managed = (
      name: string,
      options: { scopeDown?: Statement; countRules?: readonly string[] } = {},
    ): Omit<wafv2.CfnWebACL.RuleProperty, 'priority' | 'visibilityConfig'> => ({
      name,
      overrideAction: { none: {} },
      statement: {
        managedRuleGroupStatement: {
          vendorName: 'AWS',
          name,
          scopeDownStatement: options.scopeDown,
          ruleActionOverrides: options.countRules?.map((rule) => ({
            name: rule,
            actionToUse: { count: {} },
          })),
        },
      },
    });
    // Reputation and anonymizer lists never judge the webhook routes: Twilio sends from cloud addresses.
    add(managed('AWSManagedRulesAmazonIpReputationList', { scopeDown: not(this.webhookScope) }));
    add(
      managed('AWSManagedRulesAnonymousIpList', {
        scopeDown: not(this.webhookScope),
        // Hosting providers are blocked on the admin routes only (below): uptime checks run from clouds too.
        countRules: ['HostingProviderIPList'],
      }),
    );
    add(managed('AWSManagedRulesKnownBadInputsRuleSet', { scopeDown: not(this.webhookScope) }));
    // Header, URI and query rules block everywhere; body rules count, since SMS text may look like XSS or SQL.
    add(
      managed('AWSManagedRulesCommonRuleSet', {
        countRules: COUNTED_BODY_RULES.AWSManagedRulesCommonRuleSet,
      }),
    );
    add(managed('AWSManagedRulesSQLiRuleSet', { countRules: COUNTED_BODY_RULES.AWSManagedRulesSQLiRuleSet }));
    // AdminProtection blocks any /admin path, ours included: it guards every other path.
    add(managed('AWSManagedRulesAdminProtectionRuleSet', { scopeDown: not(this.adminScope) }));
    add({
      name: 'BodyRulesOutsideWebhooks',
      action: { block: {} },
      statement: allOf([
        anyOf(
          BODY_RULE_LABEL_NAMESPACES.map((key) => ({ labelMatchStatement: { scope: 'NAMESPACE', key } })),
        ),
        not(this.webhookScope),
      ]),
    });
    add({
      name: 'HostingProvidersOnAdmin',
      action: { block: {} },
      statement: allOf([
        { labelMatchStatement: { scope: 'LABEL', key: HOSTING_PROVIDER_LABEL } },
        this.adminScope,
        ...(allowList ? [not({ ipSetReferenceStatement: { arn: allowList.attrArn } })] : []),
      ]),
    });

    this.webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      name: props.name,
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      description:
        'Signalgate API - managed rules scoped per route, the Twilio signature is the authority on webhooks',
      visibilityConfig: visibility(props.name),
      customResponseBodies: {
        PayloadTooLarge: {
          contentType: 'APPLICATION_JSON',
          content: JSON.stringify({ error: ErrorBody[413] }),
        },
      },
      associationConfig: {
        requestBody: { API_GATEWAY: { defaultSizeInspectionLimit: inspectionLimit(props.maxBodyBytes) } },
      },
      rules,
    });

    // WAF only delivers to log groups whose name starts with aws-waf-logs-.
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: `aws-waf-logs-${props.name}`,
      retention: props.logRetention,
      removalPolicy: props.logRemovalPolicy,
    });
    const logGroupArn = Stack.of(this).formatArn({
      service: 'logs',
      resource: 'log-group',
      resourceName: this.logGroup.logGroupName,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    new wafv2.CfnLoggingConfiguration(this, 'Logging', {
      resourceArn: this.webAcl.attrArn,
      logDestinationConfigs: [logGroupArn],
      // Admin paths carry phone numbers; tokens and signatures are credentials (ARCHITECTURE §4).
      redactedFields: [
        { uriPath: {} },
        { queryString: {} },
        { singleHeader: { Name: 'x-admin-token' } },
        { singleHeader: { Name: 'x-twilio-signature' } },
      ],
    });
  }

  /** Associates the web ACL with an API Gateway stage (or any regional resource ARN). */
  associate(id: string, resourceArn: string): wafv2.CfnWebACLAssociation {
    return new wafv2.CfnWebACLAssociation(this, id, { resourceArn, webAclArn: this.webAcl.attrArn });
  }
}
