// `npm run reset`: wipes the local data directory (cluster, secrets, queue, logs), refusing while a
// stack is running from it.

import { rm, stat } from 'node:fs/promises';
import { loadLocalConfig, localPaths } from './config.js';
import { lockHolder } from './stack-lock.js';

async function main(): Promise<number> {
  const config = loadLocalConfig(process.env, []);
  const paths = localPaths(config.dataDir);
  const holder = await lockHolder(paths.lock);
  if (holder !== undefined) {
    process.stderr.write(
      `signalgate: a stack (pid ${holder}) is running from ${paths.dataDir}; stop it first\n`,
    );
    return 1;
  }
  if (!(await stat(paths.dataDir).catch(() => undefined))) {
    process.stdout.write(`Nothing to reset: ${paths.dataDir} does not exist.\n`);
    return 0;
  }
  await rm(paths.dataDir, { recursive: true, force: true });
  process.stdout.write(`Removed ${paths.dataDir} (database, local secrets and keys, queue, logs).\n`);
  return 0;
}

main().then((code) => {
  process.exitCode = code;
});
