// Latency percentiles and the run's tallies.

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))] ?? 0;
}

export interface Tally {
  sent: number;
  accepted: number;
  rejected: number;
}

export const emptyTally = (): Tally => ({ sent: 0, accepted: 0, rejected: 0 });
