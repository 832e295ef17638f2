// What differs per user (account, region, domain, e-mails, Twilio SIDs, own numbers, admin CIDRs), read from a
// config file and `-c` context values and merged over an environment's committed defaults.
import { existsSync, readFileSync } from 'node:fs';

/** A value's path in the config, e.g. ['api', 'customDomain', 'domainName']. */
export type ConfigPath = readonly string[];

/**
 * The `-c key=value` context keys a user may set, and where each lands in the config. List values are
 * comma-separated (`-c alarmEmails=a@corp.io,b@corp.io`); an empty value gives an empty list.
 */
export const CONTEXT_KEYS = {
  account: { path: ['account'], list: false },
  region: { path: ['region'], list: false },
  availabilityZones: { path: ['availabilityZones'], list: true },
  domainName: { path: ['api', 'customDomain', 'domainName'], list: false },
  certificateArn: { path: ['api', 'customDomain', 'certificateArn'], list: false },
  hostedZoneId: { path: ['api', 'customDomain', 'hostedZone', 'id'], list: false },
  hostedZoneName: { path: ['api', 'customDomain', 'hostedZone', 'name'], list: false },
  alarmEmails: { path: ['alarms', 'emails'], list: true },
  alarmHttpsEndpoint: { path: ['alarms', 'httpsEndpoint'], list: false },
  twilioAccountSids: { path: ['twilio', 'accountSids'], list: true },
  ownNumbers: { path: ['ownNumbers'], list: true },
  adminCidrs: { path: ['waf', 'adminAllowedCidrs'], list: true },
} as const satisfies Record<string, { path: ConfigPath; list: boolean }>;
export type ContextKey = keyof typeof CONTEXT_KEYS;

/** `-c configFile=PATH` names the user config file instead of config/<env>.json. */
export const CONFIG_FILE_CONTEXT_KEY = 'configFile';

/** A user config file or context value that cannot be read (before any schema check). */
export class UserConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserConfigError';
  }
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** One layer of user values and, per path it sets, where it came from (for the error lines). */
export interface UserLayer {
  readonly values: Json;
  readonly origins: ReadonlyArray<{ readonly path: ConfigPath; readonly origin: string }>;
}

function leafPaths(value: unknown, prefix: string[] = []): string[][] {
  if (!isObject(value)) return [prefix];
  return Object.entries(value).flatMap(([k, v]) => leafPaths(v, [...prefix, k]));
}

/** User values from a JSON file (any subset of the schema); a missing optional file is an empty layer. */
export function fileLayer(path: string, label: string, required: boolean): UserLayer {
  if (!existsSync(path)) {
    if (required) throw new UserConfigError(`${label}: no such file`);
    return { values: {}, origins: [] };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new UserConfigError(`${label}: not valid JSON (${(error as Error).message})`);
  }
  if (!isObject(parsed)) throw new UserConfigError(`${label}: must hold a JSON object`);
  return { values: parsed, origins: leafPaths(parsed).map((path) => ({ path, origin: label })) };
}

/** User values given as an object (tests, or a caller that read them elsewhere). */
export function valuesLayer(values: Json, label: string): UserLayer {
  return { values, origins: leafPaths(values).map((path) => ({ path, origin: label })) };
}

function setPath(target: Json, path: ConfigPath, value: unknown): void {
  let node = target;
  path.forEach((key, i) => {
    if (i === path.length - 1) {
      node[key] = value;
      return;
    }
    if (!isObject(node[key])) node[key] = {};
    node = node[key] as Json;
  });
}

/** User values from `-c` context: only the keys of CONTEXT_KEYS, strings (lists comma-separated). */
export function contextLayer(read: (key: string) => unknown): UserLayer {
  const values: Json = {};
  const origins: Array<{ path: ConfigPath; origin: string }> = [];
  for (const [key, { path, list }] of Object.entries(CONTEXT_KEYS)) {
    const raw = read(key);
    if (raw === undefined) continue;
    let value: unknown;
    if (list && Array.isArray(raw)) value = raw;
    else if (typeof raw === 'string' || typeof raw === 'number') {
      const text = String(raw).trim();
      value = list
        ? text
            .split(',')
            .map((item) => item.trim())
            .filter((item) => item !== '')
        : text;
    } else {
      throw new UserConfigError(`-c ${key}: must be a string${list ? ' (comma-separated list)' : ''}`);
    }
    setPath(values, path, value);
    origins.push({ path, origin: `-c ${key}` });
  }
  return { values, origins };
}

/** `base` with `over` merged in: objects merge key by key, arrays and scalars replace. Neither is modified. */
export function deepMerge(base: unknown, over: unknown): unknown {
  if (!isObject(base) || !isObject(over)) return over === undefined ? base : over;
  const out: Json = { ...base };
  for (const [key, value] of Object.entries(over)) out[key] = deepMerge(base[key], value);
  return out;
}

const getPath = (value: unknown, path: ConfigPath): unknown =>
  path.reduce<unknown>((node, key) => (isObject(node) ? node[key] : undefined), value);

/**
 * The defaults with every layer merged over them in order (later wins). When a user moves the region and
 * names no zones, the default zones keep their letters in the new region (eu-west-1a → us-east-2a), so
 * "account and region only" deploys anywhere whose zones a, b (and c) exist.
 */
export function mergeUserValues(defaults: Json, layers: readonly UserLayer[]): Json {
  const merged = layers.reduce<unknown>((acc, layer) => deepMerge(acc, layer.values), defaults) as Json;
  const userSet = (path: ConfigPath) => layers.some((l) => getPath(l.values, path) !== undefined);
  const zones = defaults.availabilityZones;
  if (
    userSet(['region']) &&
    !userSet(['availabilityZones']) &&
    typeof defaults.region === 'string' &&
    Array.isArray(zones)
  ) {
    const region = defaults.region;
    merged.availabilityZones = zones.map((az) =>
      typeof az === 'string' && az.startsWith(region)
        ? `${String(merged.region)}${az.slice(region.length)}`
        : az,
    );
  }
  return merged;
}

/** Where the value at `path` (or a value inside it) came from, for an error line; undefined for a default. */
export function originOf(
  layers: readonly UserLayer[],
  path: readonly (string | number)[],
): string | undefined {
  const p = path.map(String);
  const startsWith = (a: readonly string[], b: readonly string[]) => b.every((k, i) => a[i] === k);
  for (const layer of [...layers].reverse()) {
    const hit = layer.origins.find((o) => startsWith(p, o.path) || startsWith(o.path, p));
    if (hit) return hit.origin;
  }
  return undefined;
}

/** The context key that sets `path`, to suggest it when a value is missing. */
export function contextKeyFor(path: readonly (string | number)[]): ContextKey | undefined {
  const p = path.map(String).join('.');
  return (Object.keys(CONTEXT_KEYS) as ContextKey[]).find((k) => CONTEXT_KEYS[k].path.join('.') === p);
}
