import { describe, expect, it } from 'vitest';
import { loadAdminConfig, monitoredSecretsOf } from '../../../lambda/admin/admin-config.js';

const BASE = {
  SIGNALGATE_ENV: 'dev',
  RETENTION_DAYS: '30',
  DB_HOST: 'proxy.example.internal',
  DB_PORT: '5432',
  DB_NAME: 'signalgate',
  DB_USER: 'signalgate_admin_api',
  ADMIN_HOLDERS: JSON.stringify({
    ops: { role: 'operator', secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:admin' },
  }),
  BLIND_INDEX_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:blind',
  KMS_KEY_ID: 'arn:aws:kms:eu-west-1:123456789012:key/1',
  QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/q',
};

describe('admin configuration', () => {
  it('reads the own numbers as a comma-separated E.164 list, none when unset', () => {
    expect(loadAdminConfig(BASE).OWN_NUMBERS).toEqual([]);
    expect(loadAdminConfig({ ...BASE, OWN_NUMBERS: '+14155550100, +447700900123' }).OWN_NUMBERS).toEqual([
      '+14155550100',
      '+447700900123',
    ]);
  });

  it('refuses a number that is not E.164, naming the variable', () => {
    expect(() => loadAdminConfig({ ...BASE, OWN_NUMBERS: '+14155550100,4155550100' })).toThrow(
      /^admin configuration is invalid: OWN_NUMBERS\.1: each own number must be E\.164/,
    );
  });

  it("monitors every holder's secret (from ADMIN_HOLDERS) and the secrets MONITORED_SECRET_ARNS names", () => {
    const config = loadAdminConfig({
      ...BASE,
      MONITORED_SECRET_ARNS: JSON.stringify({
        blindIndexKey: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:blind',
      }),
    });
    expect(monitoredSecretsOf(config)).toEqual({
      'admin:ops': 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:admin',
      blindIndexKey: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:blind',
    });
  });

  it('reads each holder with its role and secret from ADMIN_HOLDERS', () => {
    expect(loadAdminConfig(BASE).ADMIN_HOLDERS).toEqual({
      ops: { role: 'operator', secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:admin' },
    });
  });

  it('refuses ADMIN_HOLDERS without holders, with an unknown role or with extra fields, naming the variable', () => {
    for (const holders of [
      {},
      { ops: { role: 'root', secretArn: 'arn:x' } },
      { ops: { role: 'reader', secretArn: 'arn:x', token: 'x'.repeat(40) } },
      { 'Not An Id': { role: 'reader', secretArn: 'arn:x' } },
    ])
      expect(() => loadAdminConfig({ ...BASE, ADMIN_HOLDERS: JSON.stringify(holders) })).toThrow(
        /^admin configuration is invalid: ADMIN_HOLDERS/,
      );
    expect(() => loadAdminConfig({ ...BASE, ADMIN_HOLDERS: 'not json' })).toThrow(
      'admin configuration is invalid: ADMIN_HOLDERS: must be a JSON object of holder id to {role, secretArn}',
    );
  });
});
