// What every function construct of the app takes: the environment's config, its log settings, an entry override.
import type { EnvConfig } from '../../config/index.js';
import type { HardenedFunctionProps } from '../hardened-function.js';

export interface AppFunctionProps {
  readonly config: EnvConfig;
  readonly logs: Pick<HardenedFunctionProps, 'logRetention' | 'logRemovalPolicy'>;
  /** Entry file override (tests build the stack around fixtures). @default the function's lambda/ handler */
  readonly entry?: string;
}
