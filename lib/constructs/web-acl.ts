// The regional WAF web ACL in front of the API stage, scoped per route so that Twilio is never blocked (ARCHITECTURE §7).

import { ArnFormat, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { ErrorBody, SECURITY_HEADERS } from '../../lambda/shared/http.js';

type Statement = wafv2.CfnWebACL.StatementProperty;

/**
 * Managed rule groups are pinned to a static version (ManagedRuleGroupStatement `Version`): without one, WAF
 * follows the vendor's default version, and a rule AWS adds later would start judging our traffic unseen.
 * Versions from the AWS Managed Rules changelog (docs/DEPLOY.md says how to check and upgrade them). The
 * IP reputation groups (AmazonIpReputationList, AnonymousIpList) have no versions: AWS updates their lists.
 */
export const MANAGED_RULE_GROUP_VERSIONS = {
  AWSManagedRulesCommonRuleSet: 'Version_1.19',
  AWSManagedRulesSQLiRuleSet: 'Version_2.3',
  AWSManagedRulesKnownBadInputsRuleSet: 'Version_1.23',
  AWSManagedRulesAdminProtectionRuleSet: 'Version_1.0',
} as const;

/** Header whose presence exempts a webhook request from the per-IP rate limit (the handler verifies it). */
export const TWILIO_SIGNATURE_HEADER = 'x-twilio-signature';
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

/**
 * Sampling off everywhere: a sampled request keeps the URI, headers and source for 3 hours, readable
 * with wafv2:GetSampledRequests (in ReadOnlyAccess), and data protection cannot cover the URI path.
 * The metrics stay; the WAF log (redacted, below) is where blocked requests are investigated.
 */
const visibility = (metricName: string): wafv2.CfnWebACL.VisibilityConfigProperty => ({
  cloudWatchMetricsEnabled: true,
  sampledRequestsEnabled: false,
  metricName,
});

/**
 * Web ACL data protection (applies to logs, samples and Security Lake alike): credentials and the
 * body (phone numbers, message text) are replaced by REDACTED, rule-match and rate-based details
 * included, so a body rule that matched never copies the matched text into a log.
 */
const DATA_PROTECTION: wafv2.CfnWebACL.DataProtectionConfigProperty = {
  dataProtections: [
    {
      field: {
        fieldType: 'SINGLE_HEADER',
        fieldKeys: ['x-admin-token', 'x-twilio-signature', 'authorization', 'cookie'],
      },
    },
    { field: { fieldType: 'BODY' } },
    { field: { fieldType: 'QUERY_STRING' } },
  ].map((protection) => ({
    ...protection,
    action: 'SUBSTITUTION',
    excludeRuleMatchDetails: false,
    excludeRateBasedDetails: false,
  })),
};

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
  /** Matches requests that carry a non-empty X-Twilio-Signature header (not whether it verifies). */
  readonly signaturePresent: Statement;

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

    this.signaturePresent = {
      sizeConstraintStatement: {
        fieldToMatch: { singleHeader: { Name: TWILIO_SIGNATURE_HEADER } },
        comparisonOperator: 'GT',
        size: 0,
        textTransformations: [{ priority: 0, type: 'NONE' }],
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
    // Per-IP limits never count signed webhooks (ARCHITECTURE §1, §7): Twilio sends from shared addresses, and
    // a burst of status callbacks after a campaign is genuine. A rate-based rule only counts (and blocks)
    // requests that match its scope-down statement (AWS WAF developer guide, "Applying rate limiting").
    add({
      name: 'RateLimitPerIp',
      action: { block: {} },
      statement: {
        rateBasedStatement: {
          limit: props.rateLimitPerIp,
          aggregateKeyType: 'IP',
          evaluationWindowSec: 300,
          scopeDownStatement: not(this.webhookScope),
        },
      },
    });
    // On the webhook routes only requests without X-Twilio-Signature are counted: "size > 0" does not match a
    // missing header, so the NOT matches it, and an empty one. A forger who adds any signature escapes this
    // rule but not the stage throttle, and costs one HMAC before the 403 (SignatureFailures alarms).
    add({
      name: 'WebhookUnsignedRateLimitPerIp',
      action: { block: {} },
      statement: {
        rateBasedStatement: {
          limit: props.rateLimitPerIp,
          aggregateKeyType: 'IP',
          evaluationWindowSec: 300,
          scopeDownStatement: allOf([this.webhookScope, not(this.signaturePresent)]),
        },
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
      options: {
        scopeDown?: Statement;
        countRules?: readonly string[];
        countAll?: boolean;
        ruleName?: string;
      } = {},
    ): Omit<wafv2.CfnWebACL.RuleProperty, 'priority' | 'visibilityConfig'> => ({
      name: options.ruleName ?? name,
      // `count` on the group makes every rule in it count, the ones AWS adds later included.
      overrideAction: options.countAll ? { count: {} } : { none: {} },
      statement: {
        managedRuleGroupStatement: {
          vendorName: 'AWS',
          name,
          version: (MANAGED_RULE_GROUP_VERSIONS as Record<string, string>)[name],
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
    // The body-inspecting groups block everywhere but the webhook routes, and only count there (scoped by path,
    // never by rule names): SMS text may look like XSS or SQL, and a rule AWS adds later must not block it.
    for (const group of ['AWSManagedRulesCommonRuleSet', 'AWSManagedRulesSQLiRuleSet']) {
      add(managed(group, { scopeDown: not(this.webhookScope) }));
      add(managed(group, { scopeDown: this.webhookScope, countAll: true, ruleName: `${group}OnWebhooks` }));
    }
    // AdminProtection blocks any /admin path, ours included: it guards every other path.
    // Nor does it judge the webhooks: there the signature is the authority (ARCHITECTURE §7).
    add(
      managed('AWSManagedRulesAdminProtectionRuleSet', {
        scopeDown: allOf([not(this.adminScope), not(this.webhookScope)]),
      }),
    );
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
      dataProtectionConfig: DATA_PROTECTION,
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
