// Rotation strategy for an admin holder's secret (ARCHITECTURE §5): one secret per holder, `{"token":…}`,
// gets a new token of 32 random bytes, base64url. The holder's role is configuration, never in the secret
// (a secret carrying any other field is refused). The tokens are only ever compared by the admin API, so
// there is no service to set; testSecret checks the token's format.

import { randomBytes } from 'node:crypto';
import type { RotationStrategy } from '../shared/rotation/rotate-secret.js';
import { HolderTokenSecret, parseSecret } from '../shared/secret-values.js';

export const ADMIN_TOKEN_BYTES = 32;
/** base64url without padding of 32 bytes is exactly 43 characters. */
const ADMIN_TOKEN_FORMAT = /^[A-Za-z0-9_-]{43}$/;

/** Thrown by testSecret when a pending token is not a well-formed admin token. */
export class AdminTokenFormatError extends Error {
  constructor() {
    super('pending admin token is not 32 random bytes in base64url');
    this.name = 'AdminTokenFormatError';
  }
}

export function generateAdminToken(): string {
  return randomBytes(ADMIN_TOKEN_BYTES).toString('base64url');
}

export function adminTokenRotation(generate: () => string = generateAdminToken): RotationStrategy {
  return {
    kind: 'admin token',
    createPending: async (current) => {
      parseSecret('current admin credential', HolderTokenSecret, current);
      return JSON.stringify({ token: generate() });
    },
    testPending: async (pending) => {
      const { token } = parseSecret('pending admin credential', HolderTokenSecret, pending);
      if (!ADMIN_TOKEN_FORMAT.test(token)) throw new AdminTokenFormatError();
    },
  };
}
