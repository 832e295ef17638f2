// Synthesises several environments at once and reports progress as it goes: which ones started, each as it ends.

export interface SynthResult {
  readonly env: string;
  readonly ok: boolean;
  /** Seconds, formatted. */
  readonly time: string;
  /** The CLI's output; shown only when it failed. */
  readonly output: string;
}

export interface SynthAllDeps {
  readonly synth: (env: string) => Promise<SynthResult>;
  readonly log: (line: string) => void;
  readonly error: (line: string) => void;
  readonly seconds: () => string;
}

/** Runs every synth in parallel; returns the environments that failed. */
export async function synthAll(envs: readonly string[], deps: SynthAllDeps): Promise<string[]> {
  // The environments are independent; in parallel the wall time is about that of the slowest.
  deps.log(
    `synthesizing ${envs.join(', ')} in parallel (cdk-nag included; about a minute on a busy machine)…`,
  );
  const results = await Promise.all(
    envs.map(async (env) => {
      deps.log(`  ${env}: started`);
      const result = await deps.synth(env);
      if (!result.ok) deps.error(result.output);
      deps.log(`${result.ok ? 'ok  ' : 'FAIL'} ${env.padEnd(8)} ${result.time} s  -> cdk.out/${env}`);
      return result;
    }),
  );
  deps.log(`total    ${deps.seconds()} s`);
  return results.filter((r) => !r.ok).map((r) => r.env);
}
