// What no response may carry (ARCHITECTURE §2): a stack trace, an SQL error, a secret, a phone number.
// Returns the broken rules rather than throwing, so the fuzzers can count failures before asserting.

/** Frames and error names as Node prints them, and source paths of this repository. */
const STACK_TRACE = /\bat [^\n]*:\d+:\d+|\bat (async )?[\w.<>]+ \(|\w*Error:|node:internal|\.(ts|js):\d+/;
/** PostgreSQL's and node-postgres's error wording. */
const SQL_ERROR =
  /syntax error at|relation "|column "|duplicate key|violates|SQLSTATE|ECONNREFUSED|\bpg_\w+|terminating connection|\b(SELECT|INSERT|UPDATE|DELETE) .*\b(FROM|INTO|SET)\b/i;
/** An E.164 number or anything with as many digits after a plus. */
const PHONE = /\+\d{8,15}/;

export interface ResponseView {
  readonly status: number;
  readonly headers: string;
  readonly body: string;
}

export interface LeakRules {
  /** Values that must never appear: auth tokens, keys, passwords. */
  readonly secrets: readonly string[];
  /** A phone number may appear (an authorised subject export). @default false */
  readonly phonesAllowed?: boolean;
}

export function leaksIn(response: ResponseView, rules: LeakRules): string[] {
  const problems: string[] = [];
  const text = `${response.headers}\n${response.body}`;
  if (response.status >= 500 && response.status !== 503) problems.push(`status ${response.status}`);
  if (STACK_TRACE.test(response.body)) problems.push('stack trace');
  if (SQL_ERROR.test(response.body)) problems.push('SQL error text');
  for (const secret of rules.secrets) {
    if (secret.length >= 8 && text.includes(secret)) problems.push('a secret');
  }
  if (!rules.phonesAllowed && PHONE.test(response.body)) problems.push('a phone number');
  return problems;
}
