// Rotation strategy for the admin credentials (ARCHITECTURE §5): every holder gets a new token of 32
// random bytes, base64url, keeping its id and role. The tokens are only ever compared by the admin
// API, so there is no service to set; testSecret checks the format of every token.

import { randomBytes } from 'node:crypto';
import type { RotationStrategy } from '../shared/rotation/rotate-secret.js';
import { AdminCredentialsSecret, parseSecret } from '../shared/secret-values.js';

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
      const { credentials } = parseSecret('current admin credentials', AdminCredentialsSecret, current);
      return JSON.stringify({
        credentials: Object.fromEntries(
          Object.entries(credentials).map(([id, credential]) => [id, { ...credential, token: generate() }]),
        ),
      });
    },
    testPending: async (pending) => {
      const { credentials } = parseSecret('pending admin credentials', AdminCredentialsSecret, pending);
      for (const credential of Object.values(credentials)) {
        if (!ADMIN_TOKEN_FORMAT.test(credential.token)) throw new AdminTokenFormatError();
      }
    },
  };
}
