/**
 * Dependencies point one way. Each top-level folder of src/ is a layer; a file may import from its own layer or
 * a lower one, never a higher one (src/index.ts, the public API, may import anything). runtime/ (copied into
 * generated servers) imports nothing from src/. The order is the architecture (docs/architecture.md).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');

/** Low to high. A new subsystem (gateway, toolsmith, …) gets its place here. */
const LAYERS = [
  'core',
  'platform',
  'store',
  'identity',
  'build',
  'llm',
  'sources',
  'deploy',
  'gateway',
  'toolsmith',
  'jobs',
  'surfaces',
  'conformance',
] as const;

/** Edges between sibling folders of one layer that must not exist (projections stay independent). */
const FORBIDDEN: Array<[from: string, to: string, why: string]> = [
  [
    'surfaces/mcp/',
    'surfaces/api/',
    'the MCP server and the HTTP API are both projections of surfaces/operations',
  ],
  [
    'surfaces/api/',
    'surfaces/mcp/',
    'the MCP server and the HTTP API are both projections of surfaces/operations',
  ],
];

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : /\.(ts|mts)$/.test(name) ? [path] : [];
  });
}

/** Relative module specifiers of a source text: static imports/exports and dynamic import(). */
function specifiers(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)(['"])(\.{1,2}\/[^'"]+)\1/gm)) {
    out.push(m[2] as string);
  }
  return out;
}

/** Violations among files given as { repo-relative path: text }. */
function violations(files: Record<string, string>): string[] {
  const found: string[] = [];
  const layerOf = (path: string) => {
    const m = /^src\/([^/]+)\//.exec(path);
    return m ? (m[1] as string) : undefined;
  };
  for (const [path, text] of Object.entries(files)) {
    for (const spec of specifiers(text)) {
      const target = relative(ROOT, resolve(ROOT, dirname(path), spec)).replaceAll('\\', '/');
      if (path.startsWith('runtime/')) {
        if (!target.startsWith('runtime/'))
          found.push(`${path} imports ${target}: runtime/ is self-contained`);
        continue;
      }
      for (const [from, to, why] of FORBIDDEN) {
        if (path.startsWith(`src/${from}`) && target.startsWith(`src/${to}`)) {
          found.push(`${path} imports ${target}: ${why}`);
        }
      }
      const a = layerOf(path);
      const b = layerOf(target);
      if (!a || !b || a === b) continue;
      const ra = LAYERS.indexOf(a as (typeof LAYERS)[number]);
      const rb = LAYERS.indexOf(b as (typeof LAYERS)[number]);
      if (ra < 0)
        found.push(`${path}: folder src/${a}/ is not in the layer list (test/architecture.test.ts)`);
      else if (rb < 0) found.push(`${target}: folder src/${b}/ is not in the layer list`);
      else if (rb > ra) found.push(`${path} imports ${target}: ${a} may not depend on ${b} (a higher layer)`);
    }
  }
  return [...new Set(found)];
}

describe('architecture', () => {
  it('every import in src/ and runtime/ points to the same or a lower layer', () => {
    const files = Object.fromEntries(
      [...walk(join(ROOT, 'src')), ...walk(join(ROOT, 'runtime'))].map((f) => [
        relative(ROOT, f).replaceAll('\\', '/'),
        readFileSync(f, 'utf8'),
      ]),
    );
    expect(Object.keys(files).length).toBeGreaterThan(100);
    expect(violations(files)).toEqual([]);
  });

  it('every top-level folder of src/ has a layer', () => {
    const folders = readdirSync(join(ROOT, 'src')).filter((f) =>
      statSync(join(ROOT, 'src', f)).isDirectory(),
    );
    expect(folders.filter((f) => !LAYERS.includes(f as (typeof LAYERS)[number]))).toEqual([]);
  });

  it('catches an upward import, a forbidden sibling edge and a runtime import of src/', () => {
    expect(
      violations({
        'src/core/spec/x.ts': "import { a } from '../../deploy/control-plane.js';",
        'src/store/y.ts':
          "export { b } from '../core/errors/index.js';\nconst c = await import('../surfaces/cli/main.js');",
        'src/surfaces/mcp/z.ts': "import { d } from '../api/schemas.js';",
        'runtime/w.ts': "import { e } from '../src/core/search/rank.js';",
        'src/index.ts': "export * from './surfaces/cli/main.js';",
      }),
    ).toEqual([
      'src/core/spec/x.ts imports src/deploy/control-plane.js: core may not depend on deploy (a higher layer)',
      'src/store/y.ts imports src/surfaces/cli/main.js: store may not depend on surfaces (a higher layer)',
      'src/surfaces/mcp/z.ts imports src/surfaces/api/schemas.js: the MCP server and the HTTP API are both projections of surfaces/operations',
      'runtime/w.ts imports src/core/search/rank.js: runtime/ is self-contained',
    ]);
  });
});
