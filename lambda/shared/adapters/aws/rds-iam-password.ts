// IAM authentication tokens for RDS Proxy (valid 15 minutes; a new one per new connection).

import { Signer } from '@aws-sdk/rds-signer';

export function rdsIamPassword(host: string, port: number, user: string): () => Promise<string> {
  const signer = new Signer({ hostname: host, port, username: user });
  return () => signer.getAuthToken();
}
