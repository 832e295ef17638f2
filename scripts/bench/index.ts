// `npm run bench`: prints every benchmark table; figures and the machine go to docs/BENCHMARKS.md.

import os from 'node:os';
import { runIngressBench } from './ingress-bench.js';

async function main(): Promise<void> {
  console.log(`# Signalgate benchmarks — ${new Date().toISOString()}`);
  console.log(
    `machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
  );
  await runIngressBench();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
