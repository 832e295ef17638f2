// Small measuring helpers for the benches: warm-up, repeated timing, percentiles, table printing.

export function timePerOp(fn: () => unknown, { iterations = 50_000, warmup = 5_000 } = {}): number {
  for (let i = 0; i < warmup; i++) fn();
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) fn();
  return Number(process.hrtime.bigint() - start) / iterations / 1000; // µs
}

/** Median of several timed rounds, to damp the noise of a shared 2-core machine. */
export function medianTimePerOp(fn: () => unknown, rounds = 5, iterations = 50_000): number {
  const results = Array.from({ length: rounds }, () =>
    timePerOp(fn, { iterations, warmup: iterations / 10 }),
  );
  return percentile(results, 50);
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

export interface Row {
  readonly name: string;
  readonly value: string;
  readonly baseline?: string;
  readonly goal?: string;
  readonly met?: boolean;
}

export function printTable(title: string, rows: Row[]): void {
  const header = ['measure', 'signalgate', 'baseline', 'goal', 'met'];
  const cells = rows.map((r) => [
    r.name,
    r.value,
    r.baseline ?? '',
    r.goal ?? '',
    r.met === undefined ? '' : r.met ? 'yes' : 'NO',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] as string).length)));
  const line = (c: string[]) => `| ${c.map((x, i) => x.padEnd(widths[i] as number)).join(' | ')} |`;
  console.log(`\n### ${title}\n`);
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const c of cells) console.log(line(c));
}

export const fmt = (n: number, digits = 2) => n.toFixed(digits);
