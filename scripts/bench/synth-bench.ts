// `cdk synth` of every environment, timed as `npm run synth` runs it (scripts/synth-all.ts: the three
// environments in parallel, cdk-nag included, no AWS access).

import { spawn } from 'node:child_process';
import { fmt, printTable, type Row } from './measure.js';

/** The goal of issue 7 for all three environments together. */
const GOAL_SECONDS = 60;

function runSynthAll(): Promise<{ code: number | null; output: string; seconds: number }> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/synth-all.ts'], {
      cwd: process.cwd(),
      env: { ...process.env, AWS_EC2_METADATA_DISABLED: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    child.on('close', (code) => resolve({ code, output, seconds: (performance.now() - started) / 1000 }));
  });
}

export async function runSynthBench(): Promise<Row[]> {
  const { code, output, seconds } = await runSynthAll();
  // synth-all prints "ok   dev      12.3 s  -> cdk.out/dev" per environment.
  const perEnv = [...output.matchAll(/^(ok|FAIL)\s+(\w+)\s+([\d.]+) s/gm)].map((m) => ({
    env: m[2] as string,
    ok: m[1] === 'ok',
    seconds: Number(m[3]),
  }));
  const rows: Row[] = perEnv.map((e) => ({
    name: `cdk synth ${e.env} s (in parallel with the others)`,
    value: fmt(e.seconds, 1),
    met: e.ok,
  }));
  rows.push({
    name: 'cdk synth all three environments s (wall, npm run synth)',
    value: fmt(seconds, 1),
    goal: `≤ ${GOAL_SECONDS}`,
    met: code === 0 && seconds <= GOAL_SECONDS,
  });
  // A failing synth still ran to its cdk-nag validation, so the time stands; the reason is shown with it.
  const findings = new Set([...output.matchAll(/Acknowledge with '([^']+)'/g)].map((m) => m[1]));
  if (code !== 0) {
    rows.push({
      name: 'synth failed: unacknowledged cdk-nag findings',
      value: [...findings].join(', ') || 'see output above',
      met: false,
    });
  }
  printTable('cdk synth (dev, staging, prod; cdk-nag included)', rows);
  return rows;
}
