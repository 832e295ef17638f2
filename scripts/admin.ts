// `npm run admin -- <command>`: see local/admin-command.ts. Uses DATABASE_URL when set, else the
// running local stack's database (`.local/database-url`, or SIGNALGATE_DATA_DIR's).

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { AdminCommandUsageError, parseAdminCommand, runAdminCommand } from '../local/admin-command.js';
import { localPaths } from '../local/config.js';

async function databaseUrl(): Promise<string> {
  if (process.env.DATABASE_URL) return process.env.DATABASE_URL;
  const file = localPaths(path.resolve(process.env.SIGNALGATE_DATA_DIR || '.local')).databaseUrl;
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch {
    throw new Error(
      `no database: ${file} is missing (start the stack with \`npm start\`, or set DATABASE_URL)`,
    );
  }
}

async function main(): Promise<number> {
  let command: ReturnType<typeof parseAdminCommand>;
  try {
    command = parseAdminCommand(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return error instanceof AdminCommandUsageError ? 2 : 1;
  }
  const client = new pg.Client(await databaseUrl());
  await client.connect();
  try {
    for (const line of await runAdminCommand(command, client, new Date())) process.stdout.write(`${line}\n`);
    return 0;
  } finally {
    await client.end();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`signalgate admin: ${(error as Error).message}\n`);
    process.exitCode = 1;
  },
);
