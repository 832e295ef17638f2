// The counts the adversarial suite prints at the end of each file: cases tried, failures found,
// messages sent (and accepted) against messages stored. Suites add rows; printReportAfterAll prints them.

import { afterAll } from 'vitest';
import { scale } from './adversarial-scale.js';

export interface ReportRow {
  /** What was tried, e.g. `fuzz webhook (in-process)`. */
  readonly area: string;
  cases: number;
  /** Cases that broke an invariant (a test asserting 0 fails when this is not 0). */
  failures: number;
  /** Messages accepted by the webhook (200/204), where the area sends genuine ones. */
  sent?: number;
  /** Distinct messages found in Postgres (or queued, in-process) afterwards. */
  stored?: number;
  note?: string;
}

const rows: ReportRow[] = [];

/** A row for one area; the caller updates its counts as the run goes. */
export function reportRow(area: string): ReportRow {
  const row: ReportRow = { area, cases: 0, failures: 0 };
  rows.push(row);
  return row;
}

export function formatReport(title: string, list: readonly ReportRow[]): string {
  const header = ['area', 'cases', 'failures', 'sent', 'stored', 'note'];
  const body = list.map((r) => [
    r.area,
    String(r.cases),
    String(r.failures),
    r.sent === undefined ? '-' : String(r.sent),
    r.stored === undefined ? '-' : String(r.stored),
    r.note ?? '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((line) => (line[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === 0 || i === 5 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0)))
      .join('  ');
  return [
    `adversarial report: ${title} (scale ${scale.name}, Node ${process.version})`,
    line(header),
    ...body.map(line),
  ].join('\n');
}

/** Prints this file's rows once all its tests have run (failed ones included). */
export function printReportAfterAll(title: string): void {
  afterAll(() => {
    console.log(formatReport(title, rows));
  });
}
