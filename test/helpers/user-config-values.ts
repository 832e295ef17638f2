// What a user would put in config/<env>.json, per environment: realistic values (none of them a sample value
// that prod refuses), so the infra tests see the custom domain, e-mails, Twilio secrets and CIDRs in the templates.
import type { EnvName } from '../../lib/config/index.js';

export const USER_CONFIG_VALUES: Record<EnvName, Record<string, unknown>> = {
  dev: {
    account: '480957213364',
    twilio: { accountSids: ['AC00bbd43b1bb444751cd45ce0288620a1'] },
  },
  staging: {
    account: '480957213365',
    twilio: { accountSids: ['AC8e8f11e8cd05447b49a26d25e928accf'] },
    alarms: { emails: ['oncall-staging@signalgate-ops.net'] },
  },
  prod: {
    account: '480957213366',
    api: {
      customDomain: {
        domainName: 'hooks.signalgate-ops.net',
        certificateArn: 'arn:aws:acm:eu-west-1:480957213366:certificate/8fcd1cbe-f512-40d4-9b77-8a6063bb1a93',
      },
    },
    twilio: { accountSids: ['ACd8917a10aab95fc5a03aac04b051cfb7'] },
    alarms: { emails: ['oncall@signalgate-ops.net'] },
    waf: { adminAllowedCidrs: ['86.45.120.0/24'] },
    ownNumbers: ['+442071838750'],
  },
};
