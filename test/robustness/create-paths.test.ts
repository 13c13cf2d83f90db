/**
 * Issue 17.4: a SQLite `path` in a spec cannot make `create` package an arbitrary host file. Checked by effect:
 * the secret's bytes appear nowhere under the output folder (or its staging siblings), whatever the route
 * (`../` traversal, absolute path, symlink inside the spec folder pointing out, a non-SQLite file inside).
 */
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createServerProject } from '../../src/build/create.js';
import { FactoryError } from '../../src/core/errors/index.js';
import { parseSpecOrThrow } from '../../src/core/spec/index.js';
import { runCli } from '../../src/surfaces/cli/main.js';

const ROOT = resolve(import.meta.dirname, '../..');
const INVENTORY_DB = join(ROOT, 'examples/inventory/inventory.db');
const SECRET = 'TOP-SECRET-3d9f1c-never-copy-me';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function specText(path: string): string {
  return [
    'name: paths-mcp',
    'version: 1.0.0',
    'connections:',
    '  - name: db',
    '    type: sqlite',
    `    path: ${JSON.stringify(path)}`,
    'tools:',
    '  - name: count_products',
    '    description: Count the products in the inventory.',
    '    annotations: { readOnly: true }',
    '    sql:',
    '      connection: db',
    '      statement: SELECT count(*) AS n FROM products',
    '',
  ].join('\n');
}

/** A spec folder inside a sandbox folder that also holds a private "host" file outside the spec folder. */
function sandbox(): { root: string; specDir: string; secret: string; out: string } {
  const root = mkdtempSync(join(tmpdir(), 'mcpf-paths-'));
  dirs.push(root);
  const specDir = join(root, 'project', 'spec');
  mkdirSync(specDir, { recursive: true });
  const secret = join(root, 'passwd');
  writeFileSync(secret, `root:x:0:0:${SECRET}\n`);
  chmodSync(secret, 0o600);
  return { root, specDir, secret, out: join(root, 'out') };
}

/** Every file under `dir`, recursively. */
function allFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

function secretCopied(root: string, secret: string): string[] {
  return allFiles(root).filter((f) => f !== secret && readFileSync(f).includes(SECRET));
}

async function createFails(specDir: string, path: string, out: string): Promise<FactoryError> {
  const spec = parseSpecOrThrow(specText(path));
  const error = await createServerProject({
    spec,
    specDir,
    outDir: out,
    typecheck: false,
    runTests: false,
  }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(FactoryError);
  return error as FactoryError;
}

describe('SQLite paths in create', () => {
  it('refuses ../ traversal and absolute paths to files outside the spec folder', async () => {
    const { root, specDir, secret, out } = sandbox();
    for (const path of [relative(specDir, secret), secret, '../../passwd']) {
      const error = await createFails(specDir, path, out);
      expect(error.code).toBe('SPEC_PATH_OUTSIDE');
      expect(error.issues[0]?.hint).toMatch(/--allow-outside-paths/);
    }
    expect(existsSync(out)).toBe(false);
    expect(secretCopied(root, secret)).toEqual([]);
  });

  it('refuses a symlink inside the spec folder that points outside, even to a real SQLite file', async () => {
    const { root, specDir, secret, out } = sandbox();
    symlinkSync(secret, join(specDir, 'data.db'));
    expect((await createFails(specDir, 'data.db', out)).code).toBe('SPEC_PATH_OUTSIDE');
    const outsideDb = join(root, 'outside.db');
    copyFileSync(INVENTORY_DB, outsideDb);
    symlinkSync(outsideDb, join(specDir, 'link.db'));
    expect((await createFails(specDir, 'link.db', out)).code).toBe('SPEC_PATH_OUTSIDE');
    expect(existsSync(out)).toBe(false);
    expect(secretCopied(root, secret)).toEqual([]);
  });

  it('refuses a file inside the folder that is not a SQLite database, and one outside even when allowed', async () => {
    const { root, specDir, secret, out } = sandbox();
    writeFileSync(join(specDir, 'notes.db'), `${SECRET}\n`.repeat(4));
    expect((await createFails(specDir, 'notes.db', out)).code).toBe('SPEC_NOT_SQLITE');
    const spec = parseSpecOrThrow(specText(secret));
    const allowed = await createServerProject({
      spec,
      specDir,
      outDir: out,
      typecheck: false,
      runTests: false,
      allowOutsidePaths: true,
    }).catch((e: unknown) => e as FactoryError);
    expect((allowed as FactoryError).code).toBe('SPEC_NOT_SQLITE');
    mkdirSync(join(specDir, 'dir.db'));
    expect((await createFails(specDir, 'dir.db', out)).code).toBe('SPEC_NOT_SQLITE');
    expect(existsSync(out)).toBe(false);
    expect(secretCopied(root, secret).filter((f) => !f.endsWith('notes.db'))).toEqual([]);
  });

  it('the CLI copies a real database inside the folder, and one outside only with --allow-outside-paths', async () => {
    const { root, specDir, out } = sandbox();
    const outsideDb = join(root, 'outside.db');
    copyFileSync(INVENTORY_DB, outsideDb);
    chmodSync(outsideDb, 0o600);
    const specFile = join(specDir, 'spec.yaml');
    writeFileSync(specFile, specText(relative(specDir, outsideDb)));
    const err: string[] = [];
    const io = { stdout: () => undefined, stderr: (t: string) => void err.push(t) };
    const base = ['create', '--spec', specFile, '--out', out, '--no-typecheck', '--no-tests'];
    expect(await runCli(base, io)).not.toBe(0);
    expect(err.join('')).toMatch(/SPEC_PATH_OUTSIDE/);
    expect(existsSync(out)).toBe(false);

    expect(await runCli([...base, '--allow-outside-paths'], io)).toBe(0);
    const copied = join(out, 'data/outside.db');
    expect(readFileSync(copied).equals(readFileSync(outsideDb))).toBe(true);
    // A fresh file, not the source's private mode.
    expect(statSync(copied).mode & 0o777).not.toBe(0o600);

    copyFileSync(INVENTORY_DB, join(specDir, 'inside.db'));
    writeFileSync(specFile, specText('inside.db'));
    expect(await runCli([...base, '--force'], io)).toBe(0);
    expect(readFileSync(join(out, 'data/inside.db')).equals(readFileSync(INVENTORY_DB))).toBe(true);
  }, 120_000);
});
