// MetricCounters for the local stack: a LogSink that tallies every EMF document the local handlers
// write (then passes the line on), so /admin/metrics reports what this process has counted.

import type { LogSink } from '../../shared/logger.js';
import { MetricName } from '../../shared/names.js';
import type { CounterTotals, MetricCounters } from '../ports.js';

const KNOWN = new Set<string>(Object.values(MetricName));

export class EmfTally implements MetricCounters {
  readonly #values: Partial<Record<MetricName, number>> = {};

  /** Wraps `next` so each EMF line is tallied on its way; give it to createEmfMetrics. */
  sink(next: LogSink = () => {}): LogSink {
    return (line) => {
      this.add(line);
      next(line);
    };
  }

  add(line: string): void {
    let document: unknown;
    try {
      document = JSON.parse(line);
    } catch {
      return;
    }
    if (typeof document !== 'object' || document === null || !('_aws' in document)) return;
    for (const [key, value] of Object.entries(document)) {
      if (KNOWN.has(key) && typeof value === 'number') {
        const name = key as MetricName;
        this.#values[name] = (this.#values[name] ?? 0) + value;
      }
    }
  }

  async totals(): Promise<CounterTotals> {
    return { source: 'local', windowSeconds: null, values: { ...this.#values } };
  }
}
