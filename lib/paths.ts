// Repository paths the CDK app needs (Lambda entries, lock file), independent of the cwd.
import * as path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '..');

/** The Lambda entry file of `fn` (each exports `handler`). */
export function lambdaEntry(fn: string): string {
  return path.join(REPO_ROOT, 'lambda', fn, 'handler.ts');
}

export const LOCK_FILE = path.join(REPO_ROOT, 'package-lock.json');
