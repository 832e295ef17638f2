// The migration Trigger's AWS wiring: it connects straight to the instance as the master user, whose
// password RDS manages in Secrets Manager (read at each run: RDS may have rotated it since the last deploy).

import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import pg from 'pg';
import * as z from 'zod';
import { sdkClientOptions } from '../shared/adapters/aws/sdk-client-options.js';
import { SecretsManagerSource } from '../shared/adapters/aws/secrets-manager-source.js';
import { createLogger } from '../shared/logger.js';
import { EnvVar, ServiceName } from '../shared/names.js';
import { parseSecret } from '../shared/secret-values.js';
import type { MigrateDeps } from './make-migrate-handler.js';
import type { MigrateConfig } from './migrate-config.js';

const DbCredentials = z.object({ username: z.string().min(1), password: z.string().min(1) });

export function createAwsMigrateDeps(config: MigrateConfig): MigrateDeps {
  const secrets = new SecretsManagerSource(new SecretsManagerClient(sdkClientOptions()));
  return {
    connect: async () => {
      const master = parseSecret(
        'database master',
        DbCredentials,
        (await secrets.getVersions(config[EnvVar.dbMasterSecretArn])).current,
      );
      const client = new pg.Client({
        host: config[EnvVar.dbHost],
        port: config[EnvVar.dbPort],
        database: config[EnvVar.dbName],
        user: master.username,
        password: master.password,
        // The RDS CA bundle comes from NODE_EXTRA_CA_CERTS=/var/runtime/ca-cert.pem on this function.
        ssl: { rejectUnauthorized: true },
        connectionTimeoutMillis: 10_000,
      });
      await client.connect();
      return client;
    },
    logger: createLogger(ServiceName.migrate),
  };
}
