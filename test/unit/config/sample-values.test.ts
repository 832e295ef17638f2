import { describe, expect, it } from 'vitest';
import { ConfigValidationError, loadConfig } from '../../../lib/config/index.js';
import {
  documentationCidrOverlap,
  isPlaceholderAccount,
  isPlaceholderTwilioSid,
  isSampleDomain,
} from '../../../lib/config/sample-values.js';
import { USER_CONFIG_VALUES } from '../../helpers/user-config-values.js';

/** The message of the ConfigValidationError that loading prod with these user values throws. */
function prodProblems(values: Record<string, unknown>): string {
  try {
    loadConfig('prod', { values: { ...USER_CONFIG_VALUES.prod, ...values } });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigValidationError);
    return (error as Error).message;
  }
  throw new Error('prod accepted the values');
}

describe('prod refuses sample values', () => {
  it('accepts real-looking values', () => {
    const prod = loadConfig('prod', { values: USER_CONFIG_VALUES.prod });
    expect(prod.account).toBe('480957213366');
    expect(prod.api.customDomain?.domainName).toBe('hooks.signalgate-ops.net');
  });

  it.each([
    'hooks.example.com',
    'example.org',
    'api.example.net',
    'hooks.acme.example',
    'hooks.acme.test',
    'hooks.acme.invalid',
  ])('refuses the sample domain %s', (domainName) => {
    const message = prodProblems({
      api: {
        customDomain: {
          domainName,
          certificateArn:
            'arn:aws:acm:eu-west-1:480957213366:certificate/8fcd1cbe-f512-40d4-9b77-8a6063bb1a93',
        },
      },
    });
    expect(message).toContain(`  - api.customDomain.domainName: "${domainName}" is a sample domain`);
  });

  it('refuses alarm e-mails at sample domains, one line each', () => {
    const message = prodProblems({ alarms: { emails: ['ops@corp.io', 'oncall@example.com', 'a@b.test'] } });
    expect(message).toContain('  - alarms.emails.1: "oncall@example.com" is a sample domain');
    expect(message).toContain('  - alarms.emails.2: "a@b.test" is a sample domain');
    expect(message).not.toContain('alarms.emails.0');
    expect(message.split('\n')[0]).toBe('Invalid configuration for environment "prod" (2 problems):');
  });

  it.each([
    ['192.0.2.0/24', '192.0.2.0/24'],
    ['198.51.100.0/24', '198.51.100.0/24'],
    ['203.0.113.0/24', '203.0.113.0/24'],
    ['203.0.113.7/32', '203.0.113.0/24'],
    ['198.51.0.0/16', '198.51.100.0/24'],
  ])('refuses the documentation CIDR %s', (cidr, range) => {
    const message = prodProblems({ waf: { adminAllowedCidrs: ['86.45.120.0/24', cidr] } });
    expect(message).toContain(
      `  - waf.adminAllowedCidrs.1: "${cidr}" is in the documentation range ${range}`,
    );
  });

  it('recognises the IPv6 documentation block and leaves neighbours alone', () => {
    expect(documentationCidrOverlap('2001:db8::/32')).toBe('2001:db8::/32');
    expect(documentationCidrOverlap('2001:db8:1234::/48')).toBe('2001:db8::/32');
    expect(documentationCidrOverlap('2001:db9::/32')).toBeUndefined();
    expect(documentationCidrOverlap('198.51.101.0/24')).toBeUndefined();
    expect(documentationCidrOverlap('203.0.112.0/24')).toBeUndefined();
  });

  it.each(['111111111111', '123456789012', '000000000000', '987654321098'])(
    'refuses the placeholder account %s',
    (account) => {
      expect(prodProblems({ account })).toContain(`  - account: "${account}" is a placeholder account id`);
    },
  );

  it('refuses a certificate of a placeholder account', () => {
    const message = prodProblems({
      api: {
        customDomain: {
          domainName: 'hooks.signalgate-ops.net',
          certificateArn:
            'arn:aws:acm:eu-west-1:333333333333:certificate/8fcd1cbe-f512-40d4-9b77-8a6063bb1a93',
        },
      },
    });
    expect(message).toContain(
      '  - api.customDomain.certificateArn: the certificate\'s account "333333333333"',
    );
  });

  it.each([
    'AC00000000000000000000000000000001',
    'ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
    'AC0123456789abcdef0123456789abcdef',
    'AC1234567890abcdef1234567890abcdef',
  ])('refuses the placeholder Twilio Account SID %s', (sid) => {
    expect(prodProblems({ twilio: { accountSids: [sid] } })).toContain(
      `  - twilio.accountSids.0: "${sid}" is a placeholder Account SID`,
    );
  });

  it('accepts the same sample values in dev, where nothing is real', () => {
    const dev = loadConfig('dev', {
      values: {
        account: '111111111111',
        twilio: { accountSids: ['AC00000000000000000000000000000001'] },
        alarms: { emails: ['oncall@example.com'] },
        waf: { adminAllowedCidrs: ['203.0.113.0/24'] },
      },
    });
    expect(dev.account).toBe('111111111111');
  });

  it('tells real values from sample ones', () => {
    expect(isSampleDomain('examples.com')).toBe(false);
    expect(isSampleDomain('notexample.com')).toBe(false);
    expect(isSampleDomain('testing.io')).toBe(false);
    expect(isPlaceholderAccount('480957213366')).toBe(false);
    expect(isPlaceholderAccount('123456789013')).toBe(false);
    expect(isPlaceholderTwilioSid('ACd8917a10aab95fc5a03aac04b051cfb7')).toBe(false);
  });
});
