// Reading captured CloudWatch EMF lines in tests.

/** The sum of one metric over every EMF document (JSON line or parsed object) captured so far. */
export function sumMetric(documents: readonly (string | Record<string, unknown>)[], name: string): number {
  return documents
    .map((doc) => (typeof doc === 'string' ? (JSON.parse(doc) as Record<string, unknown>) : doc))
    .reduce((sum, doc) => sum + (Number(doc[name]) || 0), 0);
}
