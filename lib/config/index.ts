// Picks and validates the configuration of one environment by name.
import { dev } from './dev.js';
import { prod } from './prod.js';
import { ENV_NAMES, type EnvConfig, type EnvConfigInput, type EnvName, parseEnvConfig } from './schema.js';
import { staging } from './staging.js';

export * from './schema.js';

const CONFIGS: Record<EnvName, EnvConfigInput> = { dev, staging, prod };

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

/** The validated configuration of `envName`; throws a clear error for an unknown name or bad field. */
export function loadConfig(envName: unknown): EnvConfig {
  if (!isEnvName(envName)) throw new UnknownEnvironmentError(envName);
  const config = parseEnvConfig(envName, CONFIGS[envName]);
  if (config.envName !== envName) {
    throw new Error(`lib/config/${envName}.ts declares envName "${config.envName}"`);
  }
  return config;
}
