// Judges a synthesized web ACL the way AWS WAF evaluates it, for the statements this app uses, so infra
// tests can ask "may any rule block this request?" instead of restating the construct's code.
// Semantics from the AWS WAF developer guide:
// - a rate-based rule counts and rate-limits only requests that match its scope-down statement;
// - a managed rule group evaluates only requests that match its scope-down statement; with the group's
//   override action `Count`, none of its rules blocks (their matches are counted);
// - a byte match on the URI path sees the path as the client sent it (the stage name is part of it on the
//   execute-api URL, the base path behind a custom domain), after the listed text transformations;
// - a size constraint on a header that is absent does not match;
// - WAF sees a body only up to the web ACL's inspection limit (AssociationConfig); a larger one is
//   oversize and its size constraint follows OversizeHandling (CONTINUE compares the part it saw).
// Label match statements cannot be decided here (labels come from managed rules): they are "maybe".

import type { CfnJson } from './synth-env.js';

export interface WafRequest {
  readonly method: string;
  /** The URI path WAF sees. */
  readonly path: string;
  /** Lower-case header names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly bodyBytes: number;
  /**
   * How much of the body WAF receives (the web ACL's body inspection size limit for the resource type).
   * A larger body is oversize: its size constraint follows the rule's OversizeHandling.
   * @default the whole body
   */
  readonly bodyInspectionBytes?: number;
  readonly sourceIp?: string;
}

type Verdict = boolean | 'maybe';

const and = (a: Verdict, b: Verdict): Verdict =>
  a === false || b === false ? false : a === true && b === true ? true : 'maybe';
const or = (a: Verdict, b: Verdict): Verdict =>
  a === true || b === true ? true : a === false && b === false ? false : 'maybe';
const not = (a: Verdict): Verdict => (a === 'maybe' ? 'maybe' : !a);

function transform(value: string, transformations: Array<{ Priority: number; Type: string }>): string {
  let out = value;
  for (const t of [...transformations].sort((a, b) => a.Priority - b.Priority)) {
    if (t.Type === 'NONE') continue;
    else if (t.Type === 'LOWERCASE') out = out.toLowerCase();
    else if (t.Type === 'URL_DECODE') out = decodeURIComponent(out);
    else throw new Error(`text transformation ${t.Type} is not modelled`);
  }
  return out;
}

function field(fieldToMatch: CfnJson, request: WafRequest): string | undefined {
  if (fieldToMatch.UriPath) return request.path;
  if (fieldToMatch.SingleHeader) return request.headers[String(fieldToMatch.SingleHeader.Name).toLowerCase()];
  throw new Error(`field ${JSON.stringify(fieldToMatch)} is not modelled`);
}

export function evaluate(statement: CfnJson, request: WafRequest): Verdict {
  if (statement.NotStatement) return not(evaluate(statement.NotStatement.Statement, request));
  if (statement.AndStatement)
    return (statement.AndStatement.Statements as CfnJson[]).reduce<Verdict>(
      (acc, s) => and(acc, evaluate(s, request)),
      true,
    );
  if (statement.OrStatement)
    return (statement.OrStatement.Statements as CfnJson[]).reduce<Verdict>(
      (acc, s) => or(acc, evaluate(s, request)),
      false,
    );
  if (statement.LabelMatchStatement) return 'maybe';
  if (statement.IPSetReferenceStatement) return 'maybe';
  if (statement.ByteMatchStatement) {
    const s = statement.ByteMatchStatement;
    const raw = field(s.FieldToMatch, request);
    if (raw === undefined) return false;
    const value = transform(raw, s.TextTransformations);
    const search = String(s.SearchString);
    switch (s.PositionalConstraint) {
      case 'EXACTLY':
        return value === search;
      case 'STARTS_WITH':
        return value.startsWith(search);
      case 'CONTAINS':
        return value.includes(search);
      default:
        throw new Error(`positional constraint ${s.PositionalConstraint} is not modelled`);
    }
  }
  if (statement.SizeConstraintStatement) {
    const s = statement.SizeConstraintStatement;
    let size: number | undefined;
    if (s.FieldToMatch.Body) {
      const window = request.bodyInspectionBytes ?? request.bodyBytes;
      if (request.bodyBytes > window) {
        const handling = s.FieldToMatch.Body.OversizeHandling ?? 'CONTINUE';
        if (handling === 'MATCH') return true;
        if (handling === 'NO_MATCH') return false;
      }
      size = Math.min(request.bodyBytes, window);
    } else {
      const raw = field(s.FieldToMatch, request);
      if (raw === undefined) return false;
      size = Buffer.byteLength(transform(raw, s.TextTransformations));
    }
    const limit = Number(s.Size);
    switch (s.ComparisonOperator) {
      case 'GT':
        return size > limit;
      case 'GE':
        return size >= limit;
      case 'LT':
        return size < limit;
      case 'LE':
        return size <= limit;
      case 'EQ':
        return size === limit;
      case 'NE':
        return size !== limit;
      default:
        throw new Error(`comparison ${s.ComparisonOperator} is not modelled`);
    }
  }
  throw new Error(`statement ${Object.keys(statement).join(',')} is not modelled`);
}

export interface RuleVerdict {
  readonly name: string;
  /** `rate` when the rule would count the request towards a limit that blocks. */
  readonly how: 'rate' | 'match' | 'managed-group';
}

/** The rules that may block `request` (a rate rule: once its limit is reached). */
export function rulesThatMayBlock(rules: CfnJson[], request: WafRequest): RuleVerdict[] {
  const found: RuleVerdict[] = [];
  for (const rule of rules) {
    const st = rule.Statement;
    if (st.RateBasedStatement) {
      if (!rule.Action?.Block) continue;
      const scope = st.RateBasedStatement.ScopeDownStatement;
      if (scope === undefined || evaluate(scope, request) !== false)
        found.push({ name: rule.Name, how: 'rate' });
    } else if (st.ManagedRuleGroupStatement) {
      if (rule.OverrideAction?.Count) continue;
      const scope = st.ManagedRuleGroupStatement.ScopeDownStatement;
      if (scope === undefined || evaluate(scope, request) !== false)
        found.push({ name: rule.Name, how: 'managed-group' });
    } else if (rule.Action?.Block) {
      if (evaluate(st, request) !== false) found.push({ name: rule.Name, how: 'match' });
    }
  }
  return found;
}

/** The status API Gateway answers a throttled request with (AWS: THROTTLED defaults to 429). */
export function throttledAnswer(apiTemplate: CfnJson): { status: string; retryAfter: string | undefined } {
  const responses = Object.values(apiTemplate.Resources as Record<string, CfnJson>).filter(
    (r) => r.Type === 'AWS::ApiGateway::GatewayResponse',
  );
  const throttled = responses.find((r) => r.Properties.ResponseType === 'THROTTLED');
  const fallback = responses.find((r) => r.Properties.ResponseType === 'DEFAULT_4XX');
  const chosen = throttled ?? fallback;
  return {
    status: String(
      throttled?.Properties.StatusCode ?? (throttled ? '429' : (fallback?.Properties.StatusCode ?? '429')),
    ),
    retryAfter: chosen?.Properties.ResponseParameters?.['gatewayresponse.header.Retry-After'],
  };
}

/** The body inspection size limit (bytes) a synthesized web ACL gives API Gateway: 16 KB unless raised. */
export function apiGatewayBodyInspectionBytes(webAcl: CfnJson): number {
  const limit: string =
    webAcl.Properties?.AssociationConfig?.RequestBody?.API_GATEWAY?.DefaultSizeInspectionLimit ?? 'KB_16';
  const kb = Number(/^KB_(16|32|48|64)$/.exec(limit)?.[1]);
  if (!kb) throw new Error(`unknown inspection limit ${limit}`);
  return kb * 1024;
}
