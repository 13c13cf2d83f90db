import { dirname, resolve } from 'node:path';
import { defineConfig } from 'vitest/config';

/**
 * runtime/ imports the shared modules of src/core (SHARED_RUNTIME_MODULES) as './<name>/…', where generated
 * projects have their copies; tests that load runtime/ directly get the originals.
 */
const sharedRuntimeModules = {
  name: 'shared-runtime-modules',
  resolveId(source: string, importer: string | undefined) {
    const m = /^\.\/(search|rate|net|exec)\/(.+)\.js$/.exec(source);
    if (!m || !importer || !dirname(importer).endsWith('/runtime')) return null;
    return resolve(import.meta.dirname, 'src', 'core', m[1]!, `${m[2]}.ts`);
  },
};

export default defineConfig({
  plugins: [sharedRuntimeModules],
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
