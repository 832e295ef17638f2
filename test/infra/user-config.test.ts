import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigValidationError, ENV_NAMES, loadConfig, UserConfigError } from '../../lib/config/index.js';
// Sets the synth tests' timeout (SYNTH_TEST_TIMEOUT_MS) for this file: two of its tests synthesize through bin/.
import './helpers/synth-env.js';

const tmpFile = (name: string, text: string) => {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'signalgate-config-')), name);
  writeFileSync(file, text);
  return file;
};
const failure = (load: () => unknown): Error => {
  try {
    load();
  } catch (error) {
    return error as Error;
  }
  throw new Error('loaded without an error');
};

/** Runs the CDK app as `cdk synth` does (context in CDK_CONTEXT_JSON), without bundling. */
function runApp(context: Record<string, unknown>) {
  const outdir = mkdtempSync(path.join(tmpdir(), 'signalgate-synth-'));
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'bin/signalgate.ts'], {
    encoding: 'utf8',
    env: {
      ...process.env,
      AWS_EC2_METADATA_DISABLED: 'true',
      CDK_OUTDIR: outdir,
      CDK_CONTEXT_JSON: JSON.stringify({ 'aws:cdk:bundling-stacks': [], ...context }),
    },
  });
  return { ...result, outdir };
}

describe('user config', () => {
  it.each(ENV_NAMES)(
    '%s defaults hold no user value: no account, domain, e-mail, SID, number or CIDR',
    (env) => {
      const config = loadConfig(env);
      expect(config.account).toBeUndefined();
      expect(config.api.customDomain).toBeUndefined();
      expect(config.alarms.emails).toEqual([]);
      expect(config.alarms.httpsEndpoint).toBeUndefined();
      expect(config.twilio.accountSids).toEqual([]);
      expect(config.ownNumbers).toEqual([]);
      expect(config.waf.adminAllowedCidrs).toEqual([]);
    },
  );

  it('takes account and region from -c and moves the default zones to that region', () => {
    const context: Record<string, string> = { account: '480957213364', region: 'us-east-2' };
    const config = loadConfig('dev', { context: (key) => context[key] });
    expect(config.account).toBe('480957213364');
    expect(config.region).toBe('us-east-2');
    expect(config.availabilityZones).toEqual(['us-east-2a', 'us-east-2b']);
  });

  it('reads comma-separated lists from -c; an empty value is an empty list', () => {
    const context: Record<string, string> = {
      alarmEmails: 'a@corp.io, b@corp.io',
      ownNumbers: '+14155550100,+442071838750',
      adminCidrs: '',
      twilioAccountSids: 'AC00bbd43b1bb444751cd45ce0288620a1',
    };
    const config = loadConfig('dev', { context: (key) => context[key] });
    expect(config.alarms.emails).toEqual(['a@corp.io', 'b@corp.io']);
    expect(config.ownNumbers).toEqual(['+14155550100', '+442071838750']);
    expect(config.waf.adminAllowedCidrs).toEqual([]);
    expect(config.twilio.accountSids).toEqual(['AC00bbd43b1bb444751cd45ce0288620a1']);
  });

  it('merges a config file over the defaults and -c over the file', () => {
    const file = tmpFile(
      'staging.json',
      JSON.stringify({
        account: '480957213365',
        database: { instanceClass: 't4g.medium' },
        alarms: { emails: ['ops@corp.io'] },
      }),
    );
    const context: Record<string, string> = { account: '480957213399' };
    const config = loadConfig('staging', {
      file: { path: file, label: 'config/staging.json', required: true },
      context: (key) => context[key],
    });
    expect(config.account).toBe('480957213399');
    expect(config.database.instanceClass).toBe('t4g.medium');
    // The rest of the object keeps its defaults.
    expect(config.database.allocatedStorageGiB).toBe(20);
    expect(config.alarms.emails).toEqual(['ops@corp.io']);
  });

  it('takes admin holders from the config file whole: the listed people replace the default holders', () => {
    const file = tmpFile(
      'prod.json',
      JSON.stringify({
        admin: {
          holders: [
            { id: 'ana', role: 'privacy', principalArn: 'arn:aws:iam::480957213365:role/ana' },
            { id: 'ben', role: 'privacy' },
            { id: 'oncall', role: 'operator' },
          ],
        },
      }),
    );
    const config = loadConfig('prod', { file: { path: file, label: 'config/prod.json', required: true } });
    // A list replaces, never merges by position: no default holder (privacy-1, support…) survives.
    expect(config.admin.holders).toEqual([
      { id: 'ana', role: 'privacy', principalArn: 'arn:aws:iam::480957213365:role/ana' },
      { id: 'ben', role: 'privacy' },
      { id: 'oncall', role: 'operator' },
    ]);
  });

  it('names each bad value on one line with where it came from', () => {
    const file = tmpFile(
      'dev.json',
      JSON.stringify({ acount: '1', waf: { adminAllowedCidrs: ['10.0.0.0/33'] } }),
    );
    const context: Record<string, string> = { account: '12345', alarmEmails: 'nobody' };
    const error = failure(() =>
      loadConfig('dev', {
        file: { path: file, label: 'config/dev.json', required: true },
        context: (key) => context[key],
      }),
    );
    expect(error).toBeInstanceOf(ConfigValidationError);
    expect(error.message.split('\n')).toEqual([
      'Invalid configuration for environment "dev" (4 problems):',
      '  - account: must be a 12-digit AWS account id (from -c account)',
      '  - waf.adminAllowedCidrs.0: octets must be 0-255 and the prefix length 0-32 (from config/dev.json)',
      '  - alarms.emails.0: Invalid email address (from -c alarmEmails)',
      '  - acount: unknown setting (a typo?) (from config/dev.json)',
    ]);
  });

  it('names a missing value and the -c key that sets it', () => {
    const context: Record<string, string> = { domainName: 'hooks.corp.io' };
    const error = failure(() => loadConfig('dev', { context: (key) => context[key] }));
    expect(error).toBeInstanceOf(ConfigValidationError);
    expect(error.message).toContain(
      '  - api.customDomain.certificateArn: missing: set it in config/dev.json or with -c certificateArn=…',
    );
  });

  it('refuses a file that is not JSON, or is missing when named', () => {
    const bad = tmpFile('dev.json', '{"account": ');
    expect(() =>
      loadConfig('dev', { file: { path: bad, label: 'config/dev.json', required: false } }),
    ).toThrow(UserConfigError);
    expect(() =>
      loadConfig('dev', { file: { path: bad, label: 'config/dev.json', required: false } }),
    ).toThrow(/^config\/dev\.json: not valid JSON/);
    const absent = path.join(tmpdir(), 'signalgate-no-such-dir', 'x.json');
    expect(() => loadConfig('dev', { file: { path: absent, label: 'x.json', required: true } })).toThrow(
      'x.json: no such file',
    );
    // config/<env>.json is optional: without it the defaults apply.
    expect(loadConfig('dev', { file: { path: absent, label: 'x.json', required: false } }).envName).toBe(
      'dev',
    );
  });

  it('refuses a file written for another environment', () => {
    const file = tmpFile('dev.json', JSON.stringify({ envName: 'prod' }));
    expect(() =>
      loadConfig('dev', { file: { path: file, label: 'config/dev.json', required: true } }),
    ).toThrow('envName: "prod" (from config/dev.json) is not dev');
  });

  it('keeps config/example.json a valid dev config, and one prod refuses for every sample value', () => {
    const example = {
      path: path.resolve('config/example.json'),
      label: 'config/example.json',
      required: true,
    };
    const dev = loadConfig('dev', { file: example });
    expect(dev.ownNumbers).toEqual(['+14155550100']);
    const error = failure(() => loadConfig('prod', { file: example }));
    expect(error).toBeInstanceOf(ConfigValidationError);
    expect(
      error.message
        .split('\n')
        .slice(1)
        .map((line) => line.replace(/:.*$/, ''))
        .sort(),
    ).toEqual(
      [
        '  - account',
        '  - alarms.emails.0',
        '  - api.customDomain.certificateArn',
        '  - api.customDomain.domainName',
        '  - api.customDomain.hostedZone.name',
        '  - twilio.accountSids.0',
        '  - waf.adminAllowedCidrs.0',
      ].sort(),
    );
  });

  it('keeps user config files out of git, except the example', () => {
    const ignored = (file: string) => spawnSync('git', ['check-ignore', '-q', file]).status === 0;
    expect(ignored('config/dev.json')).toBe(true);
    expect(ignored('config/prod.json')).toBe(true);
    expect(ignored('config/example.json')).toBe(false);
  });

  describe('the CDK app', () => {
    it('synthesizes dev with only account and region given, pinned to them', () => {
      const run = runApp({ env: 'dev', account: '480957213364', region: 'us-east-2' });
      expect(run.stderr).not.toMatch(/signalgate:|ERROR \[/);
      expect(run.status).toBe(0);
      const manifest = JSON.parse(readFileSync(path.join(run.outdir, 'manifest.json'), 'utf8')) as {
        artifacts: Record<string, { type: string; environment?: string }>;
      };
      const stacks = Object.entries(manifest.artifacts).filter(
        ([, a]) => a.type === 'aws:cloudformation:stack',
      );
      expect(stacks.map(([name]) => name).sort()).toEqual([
        'signalgate-dev-api',
        'signalgate-dev-data',
        'signalgate-dev-monitoring',
        'signalgate-dev-network',
      ]);
      for (const [, artifact] of stacks) expect(artifact.environment).toBe('aws://480957213364/us-east-2');
    });

    it('synthesizes prod from the committed defaults alone (no account: account-agnostic), guard rules included', () => {
      const run = runApp({ env: 'prod' });
      expect(run.stderr).not.toMatch(/signalgate:|ERROR \[/);
      expect(run.status).toBe(0);
      const manifest = JSON.parse(readFileSync(path.join(run.outdir, 'manifest.json'), 'utf8')) as {
        artifacts: Record<string, { type: string; environment?: string }>;
      };
      const envs = Object.values(manifest.artifacts)
        .filter((a) => a.type === 'aws:cloudformation:stack')
        .map((a) => a.environment);
      expect(envs).toEqual(Array(4).fill('aws://unknown-account/eu-west-1'));
    });

    it('exits 1 with one line per bad value and no stack trace', () => {
      const run = runApp({
        env: 'prod',
        account: '123456789012',
        adminCidrs: '203.0.113.0/24',
        alarmEmails: 'nobody',
      });
      expect(run.status).toBe(1);
      expect(run.stderr.trim().split('\n')).toEqual([
        'signalgate: Invalid configuration for environment "prod" (3 problems):',
        '  - alarms.emails.0: Invalid email address (from -c alarmEmails)',
        '  - account: "123456789012" is a placeholder account id: use the real 12-digit account (from -c account)',
        '  - waf.adminAllowedCidrs.0: "203.0.113.0/24" is in the documentation range 203.0.113.0/24 (RFC 5737/3849): no real client comes from it (from -c adminCidrs)',
      ]);
    }, 60_000);

    it('exits 1 naming a context value that is not a string', () => {
      const run = runApp({ env: 'dev', alarmEmails: { to: 'x' } });
      expect(run.status).toBe(1);
      expect(run.stderr.trim()).toBe('signalgate: -c alarmEmails: must be a string (comma-separated list)');
    }, 60_000);
  });
});
