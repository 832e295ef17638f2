// Recognises values copied from documentation or examples, which an environment with real users must refuse.
import type { EnvConfig } from './schema.js';

/** RFC 2606 second-level names and RFC 2606 / 6761 top-level names reserved for examples and tests. */
const SAMPLE_DOMAINS = ['example.com', 'example.org', 'example.net'];
const SAMPLE_TLDS = ['example', 'test', 'invalid', 'localhost'];

/** Address blocks reserved for documentation: RFC 5737 (IPv4) and RFC 3849 (IPv6). */
export const DOCUMENTATION_CIDRS = ['192.0.2.0/24', '198.51.100.0/24', '203.0.113.0/24', '2001:db8::/32'];

/** True for a host name (or e-mail domain) under a name reserved for documentation or testing. */
export function isSampleDomain(host: string): boolean {
  const name = host.toLowerCase().replace(/\.$/, '');
  const labels = name.split('.');
  const tld = labels[labels.length - 1] ?? '';
  if (SAMPLE_TLDS.includes(tld)) return true;
  return SAMPLE_DOMAINS.some((domain) => name === domain || name.endsWith(`.${domain}`));
}

/** [first, last] address of an IPv4 or IPv6 CIDR as integers; undefined when it is not one. */
function cidrRange(cidr: string): { v: 4 | 6; first: bigint; last: bigint } | undefined {
  const [ip = '', maskText] = cidr.split('/');
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  let value: bigint;
  let bits: number;
  if (v4) {
    bits = 32;
    value = v4.slice(1).reduce((acc, octet) => (acc << 8n) | BigInt(Number(octet) & 255), 0n);
  } else if (ip.includes(':')) {
    bits = 128;
    const [head = '', tail] = ip.split('::');
    const headGroups = head === '' ? [] : head.split(':');
    const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
    const missing = 8 - headGroups.length - tailGroups.length;
    if (missing < 0 || (tail === undefined && missing !== 0)) return undefined;
    const groups = [...headGroups, ...Array<string>(missing).fill('0'), ...tailGroups];
    if (!groups.every((g) => /^[0-9a-f]{1,4}$/i.test(g))) return undefined;
    value = groups.reduce((acc, g) => (acc << 16n) | BigInt(Number.parseInt(g, 16)), 0n);
  } else {
    return undefined;
  }
  const mask = maskText === undefined ? bits : Number(maskText);
  if (!Number.isInteger(mask) || mask < 0 || mask > bits) return undefined;
  const hostBits = BigInt(bits - mask);
  const first = (value >> hostBits) << hostBits;
  return { v: bits === 32 ? 4 : 6, first, last: first + (1n << hostBits) - 1n };
}

/** The documentation block a CIDR overlaps (inside it or containing it), if any. */
export function documentationCidrOverlap(cidr: string): string | undefined {
  const range = cidrRange(cidr);
  if (!range) return undefined;
  return DOCUMENTATION_CIDRS.find((doc) => {
    const d = cidrRange(doc);
    return d !== undefined && d.v === range.v && range.first <= d.last && d.first <= range.last;
  });
}

/** Every digit the same as the one before plus (or minus) one, e.g. 123456789012 or 987654321098. */
function isDigitRun(digits: string, step: 1 | -1, base: number): boolean {
  for (let i = 1; i < digits.length; i++) {
    const prev = Number.parseInt(digits[i - 1] ?? '', base);
    const cur = Number.parseInt(digits[i] ?? '', base);
    if (cur !== (prev + step + base) % base) return false;
  }
  return true;
}

/** 111111111111, 000000000000, 123456789012 and the like: the accounts documentation and examples use. */
export function isPlaceholderAccount(account: string): boolean {
  return /^(\d)\1*$/.test(account) || isDigitRun(account, 1, 10) || isDigitRun(account, -1, 10);
}

/**
 * AC00000000000000000000000000000001, ACaaaa…, AC0123456789abcdef0123456789abcdef: a real SID's 32 hex digits
 * are random, and 32 random hex digits use 5 or fewer distinct characters with a chance below 10^-12
 * (C(16,5)·(5/16)^32 ≈ 3·10^-13).
 */
export function isPlaceholderTwilioSid(sid: string): boolean {
  const hex = sid.slice(2).toLowerCase();
  return new Set(hex).size <= 5 || isDigitRun(hex, 1, 16) || /^(1234567890abcdef)+$/.test(hex);
}

export interface SampleValueProblem {
  readonly path: Array<string | number>;
  readonly message: string;
}

/** Each sample value in a configuration, with its path and one line saying why. */
export function sampleValueProblems(cfg: EnvConfig): SampleValueProblem[] {
  const problems: SampleValueProblem[] = [];
  const domainMessage = (value: string) =>
    `"${value}" is a sample domain (reserved for documentation, RFC 2606/6761): use your own`;
  if (cfg.account !== undefined && isPlaceholderAccount(cfg.account)) {
    problems.push({
      path: ['account'],
      message: `"${cfg.account}" is a placeholder account id: use the real 12-digit account`,
    });
  }
  const domain = cfg.api.customDomain;
  if (domain) {
    if (isSampleDomain(domain.domainName)) {
      problems.push({
        path: ['api', 'customDomain', 'domainName'],
        message: domainMessage(domain.domainName),
      });
    }
    const certAccount = domain.certificateArn.split(':')[4] ?? '';
    if (isPlaceholderAccount(certAccount)) {
      problems.push({
        path: ['api', 'customDomain', 'certificateArn'],
        message: `the certificate's account "${certAccount}" is a placeholder: use your certificate's ARN`,
      });
    }
    if (domain.hostedZone && isSampleDomain(domain.hostedZone.name)) {
      problems.push({
        path: ['api', 'customDomain', 'hostedZone', 'name'],
        message: domainMessage(domain.hostedZone.name),
      });
    }
  }
  cfg.alarms.emails.forEach((email, i) => {
    const host = email.slice(email.lastIndexOf('@') + 1);
    if (isSampleDomain(host)) problems.push({ path: ['alarms', 'emails', i], message: domainMessage(email) });
  });
  if (cfg.alarms.httpsEndpoint && isSampleDomain(new URL(cfg.alarms.httpsEndpoint).hostname)) {
    problems.push({ path: ['alarms', 'httpsEndpoint'], message: domainMessage(cfg.alarms.httpsEndpoint) });
  }
  cfg.waf.adminAllowedCidrs.forEach((cidr, i) => {
    const doc = documentationCidrOverlap(cidr);
    if (doc) {
      problems.push({
        path: ['waf', 'adminAllowedCidrs', i],
        message: `"${cidr}" is in the documentation range ${doc} (RFC 5737/3849): no real client comes from it`,
      });
    }
  });
  // A call connected to a sample host reaches nobody: every caller would hear silence, then nothing.
  const streams: Array<[Array<string | number>, { kind: string; url?: string }]> = [
    [['voice', 'defaultAnswer', 'url'], cfg.voice.defaultAnswer],
    ...Object.entries(cfg.voice.numbers).map(
      ([number, answer]): [Array<string | number>, { kind: string; url?: string }] => [
        ['voice', 'numbers', number, 'url'],
        answer,
      ],
    ),
  ];
  for (const [path, answer] of streams) {
    if (answer.kind === 'stream' && answer.url && isSampleDomain(new URL(answer.url).hostname)) {
      problems.push({ path, message: domainMessage(answer.url) });
    }
  }
  cfg.twilio.accountSids.forEach((sid, i) => {
    if (isPlaceholderTwilioSid(sid)) {
      problems.push({
        path: ['twilio', 'accountSids', i],
        message: `"${sid}" is a placeholder Account SID: copy yours from the Twilio console`,
      });
    }
  });
  return problems;
}
