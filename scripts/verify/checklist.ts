// Runs named checks in order and prints a ✓/✗ line for each; a check that needs a failed one is not run (✗).

/** A check's failure, with the reason to print (never a secret, never a stack trace). */
export class CheckFailedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckFailedError';
  }
}

export interface Check {
  readonly name: string;
  /** Names of checks that must pass first. */
  readonly needs?: readonly string[];
  /** Resolves with a short detail on success; throws (CheckFailedError or any fault) on failure. */
  run(): Promise<string>;
}

export interface CheckResult {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
  readonly ms: number;
}

/** The one line a fault prints: its message, first line only (no stack, no multi-line dumps). */
function reasonOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return (message.split('\n')[0] ?? '').slice(0, 300) || (error as Error)?.name || 'failed';
}

export async function runChecklist(
  checks: readonly Check[],
  print: (line: string) => void,
  now: () => number = () => Date.now(),
): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const check of checks) {
    const failedNeed = check.needs?.find((need) => !results.find((r) => r.name === need)?.ok);
    const start = now();
    let result: CheckResult;
    if (failedNeed !== undefined) {
      result = { name: check.name, ok: false, detail: `not run: needs "${failedNeed}"`, ms: 0 };
    } else {
      try {
        result = { name: check.name, ok: true, detail: await check.run(), ms: now() - start };
      } catch (error) {
        result = { name: check.name, ok: false, detail: reasonOf(error), ms: now() - start };
      }
    }
    results.push(result);
    const time = result.ms >= 100 ? ` (${(result.ms / 1000).toFixed(1)} s)` : '';
    print(`${result.ok ? '✓' : '✗'} ${result.name}${result.detail ? ` — ${result.detail}` : ''}${time}`);
  }
  return results;
}
