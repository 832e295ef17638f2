// `npm run admin -- <command>`: operator commands against the local stack's database, so nobody types
// SQL by hand. `lockouts` lists sources with failed admin authentications, `unlock` clears them.

import { PostgresLockoutStore } from '../lambda/admin/adapters/postgres-lockout-store.js';
import type { Queryable } from '../lambda/shared/db/pool.js';
import { Table } from '../lambda/shared/names.js';

export const ADMIN_COMMAND_USAGE = `usage: npm run admin -- <command>
  lockouts              list sources with failed admin authentications and their lockout
  unlock [--ip ADDR]    lift the lockout of ADDR (every source when omitted) and forget its failures`;

/** Thrown for arguments the command does not understand; the message is the usage. */
export class AdminCommandUsageError extends Error {
  constructor(problem: string) {
    super(`${problem}\n${ADMIN_COMMAND_USAGE}`);
    this.name = 'AdminCommandUsageError';
  }
}

export type AdminCommand = { kind: 'lockouts' } | { kind: 'unlock'; ip?: string };

export function parseAdminCommand(argv: readonly string[]): AdminCommand {
  const [command, ...rest] = argv;
  if (command === 'lockouts' && rest.length === 0) return { kind: 'lockouts' };
  if (command === 'unlock') {
    if (rest.length === 0) return { kind: 'unlock' };
    if (rest.length === 2 && rest[0] === '--ip' && rest[1]) return { kind: 'unlock', ip: rest[1] };
    throw new AdminCommandUsageError(`unlock: unexpected ${rest.join(' ')}`);
  }
  throw new AdminCommandUsageError(command ? `unknown command ${command}` : 'no command');
}

/** Runs one command; returns the lines to print. */
export async function runAdminCommand(command: AdminCommand, db: Queryable, now: Date): Promise<string[]> {
  if (command.kind === 'unlock') {
    const cleared = await new PostgresLockoutStore(db).clear(command.ip);
    const which = command.ip ?? 'every source';
    return [`unlocked ${which}: ${cleared} source(s) cleared`];
  }
  const result = await db.query<{ source_ip: string; failures: number; locked_until: Date | null }>(
    `SELECT source_ip, failures, locked_until FROM ${Table.adminLockouts} ORDER BY source_ip`,
  );
  if (result.rows.length === 0) return ['no failed admin authentications on record'];
  return result.rows.map((row) => {
    const locked = row.locked_until && row.locked_until > now;
    return `${row.source_ip}  ${row.failures} failure(s)  ${locked ? `locked until ${row.locked_until?.toISOString()}` : 'not locked'}`;
  });
}
