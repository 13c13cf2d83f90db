/** Generated output: snapshots of the key files (review diffs like code) and the escaping helpers. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generateProject } from '../../src/build/generator/index.js';
import { commentText, identifier, lit, mdInline } from '../../src/core/codegen/literals.js';
import { parseSpecOrThrow, validateSpec } from '../../src/core/spec/index.js';
import { dependencyVersions, runtimeFiles } from '../../src/platform/factory-files.js';

const options = {
  runtimeFiles: runtimeFiles(),
  dependencyVersions: {
    '@modelcontextprotocol/server': '^2.4.0',
    '@modelcontextprotocol/node': '^2.1.2',
    'prom-client': '^15.1.3',
    'better-sqlite3': '^12.9.0',
  },
  generatorVersion: '0.0.0-test',
};

describe('generateProject', () => {
  const spec = parseSpecOrThrow(readFileSync('examples/inventory.yaml', 'utf8'), {
    file: 'examples/inventory.yaml',
  });
  const project = generateProject(spec, options);

  it('matches the reviewed output for the inventory example', async () => {
    await expect(project.files['src/server.ts']).toMatchFileSnapshot(
      '__snapshots__/inventory/server.ts.snap',
    );
    await expect(project.files['src/tools/stock_value.ts']).toMatchFileSnapshot(
      '__snapshots__/inventory/stock_value.ts.snap',
    );
    await expect(project.files['package.json']).toMatchFileSnapshot(
      '__snapshots__/inventory/package.json.snap',
    );
    await expect(project.files['server.json']).toMatchFileSnapshot(
      '__snapshots__/inventory/server.json.snap',
    );
    await expect(project.files['manifest.json']).toMatchFileSnapshot(
      '__snapshots__/inventory/manifest.json.snap',
    );
  });

  it('copies only the SQL drivers the spec needs and the shipped database', () => {
    expect(Object.keys(project.files).filter((f) => f.startsWith('src/runtime/sql'))).toEqual([
      'src/runtime/sql-allow-sqlite.ts',
      'src/runtime/sql-guard-sqlite.ts',
      'src/runtime/sql-guard.ts',
      'src/runtime/sql-page.ts',
      'src/runtime/sql-sqlite-child.ts',
      'src/runtime/sql-sqlite.ts',
      'src/runtime/sql.ts',
    ]);
    expect(project.assets).toEqual([{ from: 'inventory/inventory.db', to: 'data/inventory.db' }]);
  });

  it('plans a test case per example plus a missing-argument case', () => {
    expect(project.testCases.map((c) => c.name)).toContain('search_products rejects missing arguments');
    expect(project.testCases.filter((c) => c.tool === 'search_products' && !c.expectError)).toHaveLength(2);
  });

  it('is deterministic', () => {
    expect(generateProject(spec, options).files).toEqual(project.files);
  });

  it('keeps file names and identifiers unique for colliding tool names', () => {
    const r = validateSpec({
      name: 'collide',
      tools: ['a.b', 'a_b', 'A-B', 'class'].map((name) => ({
        name,
        description: 'd',
        code: { source: 'return 1;' },
      })),
    });
    const files = Object.keys(generateProject(r.spec!, options).files).filter((f) =>
      f.startsWith('src/tools/'),
    );
    expect(new Set(files.map((f) => f.toLowerCase())).size).toBe(4);
  });

  it('declares only the drivers and dependencies that are used', () => {
    const r = validateSpec({
      name: 'plain',
      tools: [{ name: 't', description: 'd', static: { text: 'x' } }],
    });
    const p = generateProject(r.spec!, { ...options, dependencyVersions: dependencyVersions() });
    expect(Object.keys(JSON.parse(p.files['package.json']!).dependencies).sort()).toEqual([
      '@modelcontextprotocol/node',
      '@modelcontextprotocol/server',
      'prom-client',
    ]);
    expect(p.files['src/server.ts']).not.toContain('Driver');
  });
});

describe('escaping helpers', () => {
  const hostile = 'a`b${c}*/d</script>\n"e"\u2028';
  it('lit produces a JS expression that evaluates to the same string', () => {
    expect(lit(hostile)).not.toContain('\u2028');
    expect(new Function(`return ${lit(hostile)};`)()).toBe(hostile);
  });
  it('commentText cannot end a comment or a line', () => {
    expect(commentText(hostile)).not.toMatch(/\*\/|\n|\u2028/);
  });
  it('mdInline neutralises table pipes, HTML and code spans', () => {
    expect(mdInline('a|b <x> `c`')).toBe('a\\|b &lt;x&gt; &#96;c&#96;');
  });
  it('identifier yields unique, valid, non-reserved identifiers', () => {
    const used = new Set<string>();
    const ids = ['class', 'class', '1abc', '', 'søk-ø'].map((n) => identifier(n, used));
    for (const id of ids) expect(id).toMatch(/^[A-Za-z_$][A-Za-z0-9_$]*$/);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids[0]).toBe('class_');
  });
});
