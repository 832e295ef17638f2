// The admin holders an environment starts with (ARCHITECTURE §2, §5): placeholders, one secret each
// (<prefix>/admin-credential/<id>), for the people an operator lists in config/<env>.json (docs/DEPLOY.md).
import type { EnvConfigInput } from './schema.js';

type Holders = EnvConfigInput['admin']['holders'];

/** Two `privacy` holders (four-eyes: one requests, another approves), an operator and a reader. */
export const DEFAULT_ADMIN_HOLDERS: Holders = [
  { id: 'privacy-1', role: 'privacy' },
  { id: 'privacy-2', role: 'privacy' },
  { id: 'ops', role: 'operator' },
  { id: 'support', role: 'reader' },
];

/**
 * Dev's: no `reader`. Each secret is $0.40 a month and dev's budget is $60 (docs/COST.md); the privacy and
 * operator holders read everything a reader can.
 */
export const DEV_ADMIN_HOLDERS: Holders = DEFAULT_ADMIN_HOLDERS.filter((h) => h.role !== 'reader');
