// esbuild bundling shared by the benches, with the options lib/constructs/hardened-function.ts gives NodejsFunction.

import { build, type Plugin } from 'esbuild';

export interface BundleOptions {
  /** Module specifiers left to node_modules resolution at run time (e.g. the runtime's AWS SDK). */
  readonly external?: readonly string[];
  /**
   * Where to write the bundle, with its linked source map as deployed (`sourceMap: true`, no sources
   * content); without it nothing is written and only the size is returned.
   */
  readonly outfile?: string;
  /** Bench variants only: swap modules of the entry's graph (see cold-init-bench.ts). */
  readonly plugins?: readonly Plugin[];
}

/** pg's optional native binding and Cloudflare shim: HardenedFunction marks them external on every function. */
const ALWAYS_EXTERNAL = ['pg-native', 'cloudflare:sockets'];

/** Bundles one entry as the CDK app does (minified CJS for node24); returns the JavaScript size in bytes. */
export async function bundle(entry: string, options: BundleOptions = {}): Promise<number> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    minify: true,
    platform: 'node',
    target: 'node24',
    format: 'cjs',
    external: [...ALWAYS_EXTERNAL, ...(options.external ?? [])],
    ...(options.outfile
      ? { outfile: options.outfile, write: true, sourcemap: true, sourcesContent: false }
      : { write: false }),
    plugins: [...(options.plugins ?? [])],
    logLevel: 'silent',
    metafile: true,
  });
  return Object.entries(result.metafile?.outputs ?? {})
    .filter(([file]) => !file.endsWith('.map'))
    .reduce((sum, [, out]) => sum + out.bytes, 0);
}
