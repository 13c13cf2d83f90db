/**
 * The CLI and the supervisor daemon bundled (esbuild, packages external) into `.tmp/cluster-<pid>/`, two levels
 * below the repository root where the factory finds its own files as from dist/. The cluster test runs its
 * processes from this snapshot of src/, so a concurrent `npm run build` rewriting dist/ cannot break them.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { ROOT } from '../helpers/build.js';

export interface ClusterBundles {
  cli: string;
  daemon: string;
  remove(): void;
}

export async function bundleCluster(): Promise<ClusterBundles> {
  const dir = join(ROOT, '.tmp', `cluster-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  await build({
    entryPoints: {
      cli: join(ROOT, 'test/cluster/fixtures/cli-entry.ts'),
      daemon: join(ROOT, 'src/surfaces/cli/supervisor-daemon.ts'),
    },
    outdir: dir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'error',
  });
  return {
    cli: join(dir, 'cli.mjs'),
    daemon: join(dir, 'daemon.mjs'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
