/**
 * src/core/search and src/core/rate are copied into generated servers beside runtime/ (runtimeFiles()): the
 * copied set must be closed under relative imports, so a generated project never imports a file it lacks.
 */
import { posix } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runtimeFiles, SHARED_RUNTIME_MODULES } from '../../src/platform/factory-files.js';

const IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)(['"])(\.{1,2}\/[^'"]+)\1/gm;

describe('runtime files', () => {
  const files = runtimeFiles();

  it('include the shared modules under their folder name, without tests', () => {
    for (const name of SHARED_RUNTIME_MODULES) {
      expect(Object.keys(files)).toContain(`${name}/index.ts`);
    }
    expect(Object.keys(files)).toContain('catalog.ts');
    expect(Object.keys(files).filter((f) => f.endsWith('.test.ts'))).toEqual([]);
  });

  it('resolve every relative import inside the copied set', () => {
    const missing: string[] = [];
    for (const [path, text] of Object.entries(files)) {
      for (const m of text.matchAll(IMPORT)) {
        const target = posix
          .normalize(posix.join(posix.dirname(path), m[2] as string))
          .replace(/\.js$/, '.ts');
        if (!(target in files)) missing.push(`${path} imports ${m[2]}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('keep the shared modules dependency-free (no package imports; node: built-ins are part of Node)', () => {
    const packages = Object.entries(files)
      .filter(([path]) => SHARED_RUNTIME_MODULES.some((name) => path.startsWith(`${name}/`)))
      .flatMap(([path, text]) =>
        [...text.matchAll(/\bfrom\s*['"]([^'".][^'"]*)['"]/g)]
          .filter((m) => !m[1]!.startsWith('node:'))
          .map((m) => `${path} imports ${m[1]}`),
      );
    expect(packages).toEqual([]);
  });
});
