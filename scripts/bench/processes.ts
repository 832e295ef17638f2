// Finds processes still running from a directory, so each bench can prove it left nothing behind.

import { readdir, readFile } from 'node:fs/promises';

/** Pids (other than this one) whose command line mentions `needle`, e.g. a bench's temp data dir. */
export async function processesMentioning(needle: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.replace(/\0/g, ' ').includes(needle)) pids.push(pid);
  }
  return pids;
}

/** Waits (bounded) until no process mentions `needle`; returns those still there. */
export async function waitUntilGone(needle: string, timeoutMs = 10_000): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  let left = await processesMentioning(needle);
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    left = await processesMentioning(needle);
  }
  return left;
}
