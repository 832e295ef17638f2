// Stops the stack when the npm process that launched it goes away (killed outright, so no signal
// was forwarded), which would leave this process and its PostgreSQL running unparented.
// Linux only (reads /proc); elsewhere it does nothing.

import { readFileSync } from 'node:fs';
import { processAlive } from './process-alive.js';

function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid …": comm may contain spaces and parentheses, so parse after the last ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    return Number.isInteger(ppid) && ppid > 1 ? ppid : undefined;
  } catch {
    return undefined;
  }
}

/** Calls `onGone` once, when any of the first `depth` ancestors has exited. Returns a stop function. */
export function watchAncestors(depth: number, onGone: () => void, intervalMs = 1_000): () => void {
  const ancestors: number[] = [];
  for (
    let pid: number | undefined = process.ppid;
    pid !== undefined && ancestors.length < depth;
    pid = parentOf(pid)
  ) {
    ancestors.push(pid);
  }
  if (ancestors.length === 0) return () => {};
  const timer = setInterval(() => {
    if (ancestors.some((pid) => !processAlive(pid))) {
      clearInterval(timer);
      onGone();
    }
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
