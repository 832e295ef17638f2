import path from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

// Every module in its room (STYLE: layout): read from the real import graph, as esbuild resolves it for
// the bundles, so a re-export, a barrel file or a type import that turns into a value import counts too.

interface Reach {
  /** Files of this repository the entry loads, relative to the root, with `/` separators. */
  readonly files: readonly string[];
  /** Packages the entry loads (the specifiers as imported), node built-ins left out. */
  readonly packages: readonly string[];
}

async function reachOf(entry: string): Promise<Reach> {
  const result = await build({
    entryPoints: [path.resolve(entry)],
    bundle: true,
    write: false,
    platform: 'node',
    format: 'esm',
    // Packages stay external: the graph of our own files is what is judged, and each package import
    // is listed with the file that makes it.
    packages: 'external',
    metafile: true,
    logLevel: 'silent',
  });
  const inputs = Object.values(result.metafile.inputs);
  const packages = new Set<string>();
  for (const input of inputs) {
    for (const imported of input.imports) {
      if (imported.external && !imported.path.startsWith('node:')) packages.add(imported.path);
    }
  }
  return {
    files: Object.keys(result.metafile.inputs).map((file) => file.split(path.sep).join('/')),
    packages: [...packages].sort(),
  };
}

const awsSdkPackages = (reach: Reach) => reach.packages.filter((p) => p.startsWith('@aws-sdk/'));
const webhookFiles = (reach: Reach) => reach.files.filter((f) => f.startsWith('lambda/webhook/'));
const adminFiles = (reach: Reach) => reach.files.filter((f) => f.startsWith('lambda/admin/'));
/** Files of another function's folder than `fn`'s (lambda/shared/ is everyone's). */
const otherFunctionFiles = (reach: Reach, fn: string) =>
  reach.files.filter(
    (f) => f.startsWith('lambda/') && !f.startsWith(`lambda/${fn}/`) && !f.startsWith('lambda/shared/'),
  );

/** Each function's modules that others might be tempted to import from: its Lambda entries and its local wiring. */
const FUNCTION_MODULES: Readonly<Record<string, readonly string[]>> = {
  webhook: ['lambda/webhook/handler.ts', 'lambda/webhook/local-deps.ts'],
  ingest: ['lambda/ingest/handler.ts', 'lambda/ingest/local-deps.ts'],
  admin: ['lambda/admin/handler.ts', 'lambda/admin/retention-handler.ts', 'lambda/admin/local-deps.ts'],
  canary: ['lambda/canary/handler.ts'],
  migrate: ['lambda/migrate/handler.ts'],
  'rotate-admin-token': ['lambda/rotate-admin-token/handler.ts'],
  'rotate-twilio-token': ['lambda/rotate-twilio-token/handler.ts'],
};

describe('module boundaries', () => {
  it('the local stack loads no AWS SDK package, the RDS signer included', async () => {
    const reach = await reachOf('local/main.ts');
    expect(reach.files).toContain('local/stack.ts');
    expect(awsSdkPackages(reach)).toEqual([]);
  });

  it('the shared fixtures of the integration tests load no AWS SDK package', async () => {
    for (const fixture of ['test/helpers/test-database.ts', 'test/helpers/webhook-fixture.ts']) {
      expect(awsSdkPackages(await reachOf(fixture)), fixture).toEqual([]);
    }
  });

  it('the database pool loads pg alone: the AWS wiring passes the RDS signer in', async () => {
    // Every integration test opens its pools through this module.
    expect((await reachOf('lambda/shared/db/pool.ts')).packages).toEqual(['pg']);
  });

  it('the admin function, its retention schedule and its local wiring reach no module of the webhook function', async () => {
    for (const entry of [
      'lambda/admin/handler.ts',
      'lambda/admin/retention-handler.ts',
      'lambda/admin/local-deps.ts',
    ]) {
      expect(webhookFiles(await reachOf(entry)), entry).toEqual([]);
    }
  });

  it('no function reaches into the folder of another: what two need lives in lambda/shared', async () => {
    for (const [fn, modules] of Object.entries(FUNCTION_MODULES)) {
      for (const module of modules) expect(otherFunctionFiles(await reachOf(module), fn), module).toEqual([]);
    }
  });

  it('the webhook function reaches no module of the admin function and no database driver', async () => {
    const reach = await reachOf('lambda/webhook/handler.ts');
    expect(adminFiles(reach)).toEqual([]);
    expect(reach.packages).not.toContain('pg');
  });

  it("bundles zod's English messages only into the webhook: z is imported as a namespace (README decisions)", async () => {
    // As deployed (bundled, minified, the SDK from the runtime): `import { z } from 'zod'` would pull every
    // locale in, ~258 KB of the bundle.
    const result = await build({
      entryPoints: [path.resolve('lambda/webhook/handler.ts')],
      bundle: true,
      minify: true,
      write: false,
      platform: 'node',
      target: 'node24',
      format: 'cjs',
      external: ['@aws-sdk/*'],
      metafile: true,
      logLevel: 'silent',
    });
    const output = Object.values(result.metafile.outputs)[0];
    const locales = Object.entries(output?.inputs ?? {})
      .filter(([file, used]) => file.includes('zod/v4/locales/') && used.bytesInOutput > 0)
      .map(([file]) => file.split('/').pop());
    expect(locales).toEqual(['en.js']);
  });

  it('sees a forbidden import where one is: the AWS wirings load the RDS signer, the entries their cores', async () => {
    // The checks above can fail: the same reading finds what is forbidden elsewhere where it is allowed.
    expect(awsSdkPackages(await reachOf('lambda/ingest/handler.ts'))).toContain('@aws-sdk/rds-signer');
    expect(otherFunctionFiles(await reachOf('lambda/admin/handler.ts'), 'webhook')).toContain(
      'lambda/admin/admin-core.ts',
    );
    expect(webhookFiles(await reachOf('lambda/webhook/handler.ts'))).toContain(
      'lambda/webhook/webhook-core.ts',
    );
    expect(adminFiles(await reachOf('lambda/admin/handler.ts'))).toContain('lambda/admin/admin-core.ts');
  });
});
