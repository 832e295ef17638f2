import { describe, expect, it } from 'vitest';
import { dev } from '../../lib/config/dev.js';
import {
  ConfigValidationError,
  ENV_NAMES,
  loadConfig,
  parseEnvConfig,
  UnknownEnvironmentError,
} from '../../lib/config/index.js';

describe('environment config', () => {
  it.each(ENV_NAMES)('loads and validates %s', (env) => {
    const config = loadConfig(env);
    expect(config.envName).toBe(env);
    expect(config.availabilityZones.every((az) => az.startsWith(config.region))).toBe(true);
  });

  it('rejects a missing environment with the command to use', () => {
    expect(() => loadConfig(undefined)).toThrow(UnknownEnvironmentError);
    expect(() => loadConfig(undefined)).toThrow(/-c env=<dev\|staging\|prod>/);
  });

  it('rejects an unknown environment and lists the known ones', () => {
    expect(() => loadConfig('qa')).toThrow('Unknown environment "qa": expected one of dev, staging, prod');
  });

  it('names every invalid field in one error', () => {
    const broken = {
      ...dev,
      account: '12345',
      availabilityZones: ['us-east-1a', 'eu-west-1b'],
      database: { ...dev.database, backupRetentionDays: 0, instanceClass: 'micro' },
      twilio: { ...dev.twilio, accountSids: ['not-a-sid'] },
      waf: { ...dev.waf, adminAllowedCidrs: ['10.0.0.0/33'] },
      alarms: { ...dev.alarms, emails: ['nobody'] },
    };
    let error: unknown;
    try {
      parseEnvConfig('dev', broken);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigValidationError);
    const message = (error as Error).message;
    for (const field of [
      'account',
      'database.backupRetentionDays',
      'database.instanceClass',
      'twilio.accountSids.0',
      'waf.adminAllowedCidrs.0',
      'alarms.emails.0',
    ]) {
      expect(message).toContain(`  - ${field}: `);
    }
    expect(message.split('\n')[0]).toMatch(/^Invalid configuration for environment "dev" \(\d+ problems\):$/);
  });

  it('checks cross-field rules: zones of the region, storage bounds, concurrency', () => {
    const broken = {
      ...dev,
      availabilityZones: ['us-east-1a', 'eu-west-1b'],
      database: { ...dev.database, allocatedStorageGiB: 100, maxAllocatedStorageGiB: 50 },
      ingest: { ...dev.ingest, reservedConcurrency: 2, maxConcurrency: 3 },
    };
    expect(() => parseEnvConfig('dev', broken)).toThrow(
      /availabilityZones\.0: "us-east-1a" is not a zone of region eu-west-1/,
    );
    expect(() => parseEnvConfig('dev', broken)).toThrow(
      /database\.maxAllocatedStorageGiB: must be >= allocatedStorageGiB/,
    );
    expect(() => parseEnvConfig('dev', broken)).toThrow(
      /ingest\.maxConcurrency: must be <= ingest\.reservedConcurrency/,
    );
  });

  it('refuses a reservation that leaves fewer than 100 of the account quota unreserved (Lambda refuses it)', () => {
    const fresh = { ...dev, lambdaConcurrencyQuota: 50, ingest: { ...dev.ingest, reservedConcurrency: 5 } };
    expect(() => parseEnvConfig('dev', fresh)).toThrow(
      /ingest\.reservedConcurrency: must leave 100 of lambdaConcurrencyQuota \(50\) unreserved/,
    );
    const enough = { ...dev, lambdaConcurrencyQuota: 105, ingest: { ...dev.ingest, reservedConcurrency: 5 } };
    expect(parseEnvConfig('dev', enough).ingest.reservedConcurrency).toBe(5);
  });

  it('takes the webhook query string of the Twilio console URL explicitly, and refuses one without a single spelling', () => {
    const withQuery = (webhookQuery: string) => ({ ...dev, twilio: { ...dev.twilio, webhookQuery } });
    expect(parseEnvConfig('dev', withQuery('tenant=acme')).twilio.webhookQuery).toBe('tenant=acme');
    expect(parseEnvConfig('dev', dev).twilio.webhookQuery).toBeUndefined();
    expect(() => parseEnvConfig('dev', withQuery('tenant=a b'))).toThrow(
      'twilio.webhookQuery: must be the query string of the Twilio webhook URL, e.g. tenant=acme (printable ASCII, no spaces or #)',
    );
  });

  it('keeps production safe: Multi-AZ, deletion protection, retained data', () => {
    const prod = loadConfig('prod');
    expect(prod.database.multiAz).toBe(true);
    expect(prod.database.deletionProtection).toBe(true);
    expect(prod.removalPolicies).toMatchObject({ keys: 'retain', secrets: 'retain', queues: 'retain' });
    expect(prod.removalPolicies.database).not.toBe('destroy');
  });

  it('bounds the previous-token grace between the switch-over plus a slow rotation and an hour', () => {
    // dev caches secrets 300 s; the Twilio rotation waits 20 s before promoting, a minute of margin: 380 s of
    // switch-over. Its function's timeout is 60 s, Lambda's start-up up to 10 s outside it, and Secrets Manager
    // runs three steps before finishSecret, which starts up too: 3 × 70 + 10 = 220 s more, 600 s in all, so
    // 10 minutes at least (9 would leave a slow rotation refused as stale). The admin rotation (30 s, no
    // promotion delay) needs 300 + 60 + 3 × 40 + 10 = 490 s: Twilio's sets the floor.
    const withGrace = (minutes: number, secretCacheSeconds = 300) => ({
      ...dev,
      secretCacheSeconds,
      rotation: { ...dev.rotation, previousTokenGraceMinutes: minutes },
    });
    const graceProblem = (message: string) =>
      `rotation.previousTokenGraceMinutes: must be >= ${message} (promotion delay + secretCacheSeconds + 1 minute margin + three rotation steps at their timeout, with start-ups)`;
    expect(() => parseEnvConfig('dev', withGrace(9))).toThrow(graceProblem('10'));
    expect(parseEnvConfig('dev', withGrace(10)).rotation.previousTokenGraceMinutes).toBe(10);
    // A 30 s cache: 20 + 30 + 60 + 220 = 330 s, so 6 minutes.
    expect(() => parseEnvConfig('dev', withGrace(5, 30))).toThrow(graceProblem('6'));
    expect(parseEnvConfig('dev', withGrace(6, 30)).rotation.previousTokenGraceMinutes).toBe(6);
    // A 3300 s cache needs 3600 s, the hour; 3301 s leaves no grace up to the hour that fits.
    expect(parseEnvConfig('dev', withGrace(60, 3300)).secretCacheSeconds).toBe(3300);
    expect(() => parseEnvConfig('dev', withGrace(60, 3301))).toThrow(
      'secretCacheSeconds: too long: no rotation.previousTokenGraceMinutes up to 60 would cover it with a rotation (needs 61)',
    );
    expect(() => parseEnvConfig('dev', withGrace(61))).toThrow(ConfigValidationError);
    expect(parseEnvConfig('dev', dev).rotation.previousTokenGraceMinutes).toBe(10);
  });

  it('refuses admin holders that repeat an id, are malformed, or leave fewer than two privacy holders, one line each', () => {
    type Holder = { id: string; role: 'reader' | 'privacy' | 'operator'; principalArn?: string };
    const withHolders = (holders: Holder[]) => ({ ...dev, admin: { holders } });
    const problems = (holders: Holder[]) => {
      try {
        parseEnvConfig('dev', withHolders(holders));
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigValidationError);
        return (error as ConfigValidationError).problems;
      }
      return [];
    };
    expect(
      problems([
        { id: 'ana', role: 'privacy' },
        { id: 'ana', role: 'privacy' },
      ]),
    ).toEqual(['admin.holders.1.id: repeats holder "ana"']);
    expect(
      problems([
        { id: 'ana', role: 'privacy' },
        { id: 'ops', role: 'operator' },
      ]),
    ).toEqual([
      'admin.holders: needs at least two privacy holders (four-eyes: one requests, another approves); has 1',
    ]);
    expect(
      problems([
        { id: 'Ana Smith', role: 'privacy' },
        { id: 'canary', role: 'privacy' },
        { id: 'ben', role: 'privacy', principalArn: 'ben' },
        { id: 'ops-backup', role: 'operator' },
        { id: 'ops-backu', role: 'operator' },
      ]),
    ).toEqual([
      'admin.holders.0.id: must be 1-32 of a-z, 0-9, ".", "_", "-", starting with a letter or digit',
      `admin.holders.1.id: "canary" is the canary's own holder`,
      'admin.holders.2.principalArn: must be an IAM role or user ARN',
      'admin.holders.3.id: must not end in "-" and six letters or digits',
    ]);
    const ok = parseEnvConfig(
      'dev',
      withHolders([
        { id: 'ana', role: 'privacy', principalArn: 'arn:aws:iam::111122223333:role/ana' },
        { id: 'ben', role: 'privacy' },
      ]),
    );
    expect(ok.admin.holders.map((h) => h.id)).toEqual(['ana', 'ben']);
  });
});
