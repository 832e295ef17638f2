// Picks an environment by name and builds its validated configuration: committed defaults < user values.
import { dev } from './dev.js';
import { prod } from './prod.js';
import {
  ConfigValidationError,
  ENV_NAMES,
  type EnvConfig,
  type EnvConfigInput,
  type EnvName,
  parseEnvConfig,
} from './schema.js';
import { staging } from './staging.js';
import {
  contextKeyFor,
  contextLayer,
  fileLayer,
  mergeUserValues,
  originOf,
  type UserLayer,
  valuesLayer,
} from './user-values.js';

export * from './schema.js';
export { CONFIG_FILE_CONTEXT_KEY, CONTEXT_KEYS, UserConfigError } from './user-values.js';

/** Committed defaults per environment: sizes, thresholds, policies; never a user's account, domain or address. */
const DEFAULTS: Record<EnvName, EnvConfigInput> = { dev, staging, prod };

/** An `-c env=…` that is missing or names no known environment. */
export class UnknownEnvironmentError extends Error {
  constructor(given: unknown) {
    super(
      given === undefined || given === ''
        ? `Missing environment: pass -c env=<${ENV_NAMES.join('|')}> (e.g. npx cdk synth -c env=dev).`
        : `Unknown environment "${String(given)}": expected one of ${ENV_NAMES.join(', ')} (-c env=NAME).`,
    );
    this.name = 'UnknownEnvironmentError';
  }
}

export function isEnvName(value: unknown): value is EnvName {
  return typeof value === 'string' && (ENV_NAMES as readonly string[]).includes(value);
}

/** Where the user values come from; each is optional and later ones win (file < values < context). */
export interface ConfigSources {
  /** A JSON file holding any subset of the schema, e.g. config/dev.json. */
  readonly file?: { readonly path: string; readonly label: string; readonly required: boolean };
  /** User values given as an object (tests). */
  readonly values?: Record<string, unknown>;
  /** Reads one `-c` context value (the keys of CONTEXT_KEYS). */
  readonly context?: (key: string) => unknown;
}

/**
 * The validated configuration of `envName`: its committed defaults with the user's values merged over them.
 * Throws UnknownEnvironmentError, UserConfigError (an unreadable file or context value) or ConfigValidationError
 * (one line per missing or invalid value, naming where a bad value came from).
 */
export function loadConfig(envName: unknown, sources: ConfigSources = {}): EnvConfig {
  if (!isEnvName(envName)) throw new UnknownEnvironmentError(envName);
  const layers: UserLayer[] = [];
  if (sources.file) layers.push(fileLayer(sources.file.path, sources.file.label, sources.file.required));
  if (sources.values) layers.push(valuesLayer(sources.values, 'test values'));
  if (sources.context) layers.push(contextLayer(sources.context));
  const merged = mergeUserValues(DEFAULTS[envName] as unknown as Record<string, unknown>, layers);
  const config = parseEnvConfig(envName, merged, {
    originOf: (path) => originOf(layers, path),
    contextKeyFor,
  });
  if (config.envName !== envName) {
    const from = originOf(layers, ['envName']) ?? `lib/config/${envName}.ts`;
    throw new ConfigValidationError(envName, [
      `envName: "${config.envName}" (from ${from}) is not ${envName}`,
    ]);
  }
  return config;
}
