/**
 * The factory's MCP server is a projection of the management operations, like the HTTP API: it must not reach
 * into the HTTP API's internals (src/surfaces/api). Shared things live in surfaces/operations or identity/.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const MCP = join(ROOT, 'src/surfaces/mcp');
const API = join(ROOT, 'src/surfaces/api');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** Relative module specifiers of static imports, re-exports and dynamic imports, resolved to paths. */
function importedPaths(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [
    ...text.matchAll(/\b(?:import|export)\s[^'"]*?\bfrom\s*['"]([^'"]+)['"]/g),
    ...text.matchAll(/\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g),
    ...text.matchAll(/^\s*import\s*['"]([^'"]+)['"]/gm),
  ].map((m) => m[1]!);
  return specifiers
    .filter((s) => s.startsWith('.'))
    .map((s) => resolve(dirname(file), s))
    .sort();
}

describe('src/surfaces/mcp', () => {
  it('does not import src/surfaces/api', () => {
    const files = sourceFiles(MCP);
    expect(files.length).toBeGreaterThan(0);
    const offending: string[] = [];
    let seen = 0;
    for (const file of files)
      for (const target of importedPaths(file)) {
        seen++;
        if (target === API || target.startsWith(`${API}/`))
          offending.push(`${relative(ROOT, file)} → ${relative(ROOT, target)}`);
      }
    expect(seen).toBeGreaterThan(0);
    expect(offending).toEqual([]);
  });

  it('finds imports of every form (the check above cannot pass by missing them)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mcpf-imports-'));
    try {
      const file = join(dir, 'sample.ts');
      writeFileSync(
        file,
        [
          "import { a } from '../api/a.js';",
          'import {',
          '  b,',
          '  type C,',
          "} from '../api/b.js';",
          "export { d } from '../api/d.js';",
          "import '../api/side-effect.js';",
          "const e = await import('../api/e.js');",
          "import { z } from 'zod';",
        ].join('\n'),
      );
      expect(importedPaths(file)).toEqual(
        ['a', 'b', 'd', 'e', 'side-effect'].map((n) => resolve(dir, `../api/${n}.js`)).sort(),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
