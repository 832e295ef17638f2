// Whether a KMS key policy's explicit Denies refuse one request, judged the way IAM evaluates them: an explicit Deny
// wins over every Allow (key policy or IAM), whoever the principal.
import type { CfnJson } from './synth-env.js';

/** The parts of a request context a key-policy Deny can test here. */
export interface KeyRequest {
  readonly action: string;
  /** aws:PrincipalArn: for a role session, the role's ARN (not the session's); absent for anonymous requests. */
  readonly principalArn?: string;
  /** aws:PrincipalTag/*: the role's own tags, overridden by any session tags of the same key. */
  readonly principalTags?: Readonly<Record<string, string>>;
  /** Other condition keys (kms:GrantIsForAWSResource, aws:PrincipalIsAWSService…), as strings. */
  readonly context?: Readonly<Record<string, string>>;
}

/** The account and partition that `{"Ref":"AWS::AccountId"}` and `{"Ref":"AWS::Partition"}` stand for. */
export interface Pseudo {
  readonly account: string;
  readonly partition: string;
}

const asArray = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** A policy value with its pseudo parameters and Fn::Join resolved to a string. */
function resolveValue(value: CfnJson, pseudo: Pseudo): string {
  if (typeof value === 'string') return value;
  if (value?.Ref === 'AWS::AccountId') return pseudo.account;
  if (value?.Ref === 'AWS::Partition') return pseudo.partition;
  const join = value?.['Fn::Join'];
  if (join) return (join[1] as CfnJson[]).map((part) => resolveValue(part, pseudo)).join(join[0]);
  throw new Error(`keyPolicyDenies: cannot resolve ${JSON.stringify(value)}`);
}

const actionMatches = (pattern: string, action: string): boolean =>
  new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 'i').test(action);

/** The request's value of a condition key, undefined when the request context lacks it. */
function contextValue(request: KeyRequest, key: string): string | undefined {
  if (key.toLowerCase() === 'aws:principalarn') return request.principalArn;
  const tag = /^aws:PrincipalTag\/(.+)$/i.exec(key);
  if (tag) return request.principalTags?.[tag[1] as string];
  return request.context?.[key];
}

/**
 * One condition operator block: every key must match (AND); several values of one key match if any does (OR), and
 * a negated operator is true when the key matches none of them (NOR), or is absent from the request. Operators
 * this file does not know fail the test instead of being guessed.
 */
function operatorHolds(
  operator: string,
  block: Record<string, CfnJson>,
  request: KeyRequest,
  pseudo: Pseudo,
) {
  return Object.entries(block).every(([key, expected]) => {
    const values = asArray(expected).map((v) => resolveValue(v, pseudo));
    const actual = contextValue(request, key);
    switch (operator) {
      case 'StringEquals':
      case 'ArnEquals':
        return actual !== undefined && values.includes(actual);
      case 'StringNotEquals':
      case 'ArnNotEquals':
        return actual === undefined || !values.includes(actual);
      case 'BoolIfExists':
        return actual === undefined || values.includes(actual);
      default:
        throw new Error(`keyPolicyDenies: condition operator ${operator} is not modelled`);
    }
  });
}

/** Whether an explicit Deny of the key policy applies to the request (then no Allow anywhere can let it through). */
export function keyPolicyDenies(statements: CfnJson[], request: KeyRequest, pseudo: Pseudo): boolean {
  return statements.some((st) => {
    if (st.Effect !== 'Deny') return false;
    if (st.Principal !== '*' && !asArray(st.Principal?.AWS).includes('*')) {
      throw new Error('keyPolicyDenies: only Denies on every principal are modelled');
    }
    if (!asArray<string>(st.Action).some((a) => actionMatches(a, request.action))) return false;
    return Object.entries<Record<string, CfnJson>>(st.Condition ?? {}).every(([operator, block]) =>
      operatorHolds(operator, block, request, pseudo),
    );
  });
}
