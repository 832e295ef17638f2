// One stack per data directory: a pid file, so a second start and `npm run reset` refuse to touch
// a data directory (and its PostgreSQL cluster) that a running stack owns.

import { readFile, rm, writeFile } from 'node:fs/promises';
import { processAlive } from './process-alive.js';

export class StackRunningError extends Error {
  constructor(
    readonly pid: number,
    lockFile: string,
  ) {
    super(`a Signalgate stack (pid ${pid}) is already running with ${lockFile}; stop it first`);
    this.name = 'StackRunningError';
  }
}

/** The pid of the live stack holding the lock, or undefined (a stale file counts as none). */
export async function lockHolder(lockFile: string): Promise<number | undefined> {
  const raw = await readFile(lockFile, 'utf8').catch(() => undefined);
  const pid = raw === undefined ? Number.NaN : Number.parseInt(raw, 10);
  return Number.isInteger(pid) && pid > 0 && pid !== process.pid && processAlive(pid) ? pid : undefined;
}

export interface StackLock {
  release(): Promise<void>;
}

export async function acquireStackLock(lockFile: string): Promise<StackLock> {
  const holder = await lockHolder(lockFile);
  if (holder !== undefined) throw new StackRunningError(holder, lockFile);
  await writeFile(lockFile, `${process.pid}\n`, { mode: 0o600 });
  return {
    release: async () => {
      if ((await readFile(lockFile, 'utf8').catch(() => '')).trim() === String(process.pid)) {
        await rm(lockFile, { force: true });
      }
    },
  };
}
