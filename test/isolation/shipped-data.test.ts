/**
 * A server's shipped SQLite database under the sandbox: the revision (its project directory) is read-only, so
 * the first start copies `data/` into the server's data directory and mounts it there. Writes through a tool
 * must work, land in `<home>/data/<name>/shipped/`, survive a restart, and leave the revision's file as built.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSpecOrThrow } from '../../src/core/spec/index.js';
import { detectSandbox } from '../../src/platform/sandbox/index.js';
import { ensureBuilt, fastEnv, newHome, type TestHome } from '../supervisor/helpers.js';

const specFile = resolve(import.meta.dirname, '../../examples/inventory.yaml');
const sandboxed = detectSandbox().available;
const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

describe.skipIf(!sandboxed)('shipped SQLite data of a sandboxed local server', () => {
  let t: TestHome;

  beforeAll(() => {
    ensureBuilt();
    t = newHome('shipped', fastEnv('21900-21949'));
  });

  afterAll(async () => {
    await t?.cleanup();
  });

  it('writes to a copy in the data directory, keeps it across restarts, and leaves the revision as built', {
    timeout: 240_000,
  }, async () => {
    const spec = parseSpecOrThrow(readFileSync(specFile, 'utf8'), { file: specFile });
    await t.cp.create({ spec, specDir: dirname(specFile), runTests: false, typecheck: false, actor: 'test' });
    const serverDir = join(t.home, 'servers', spec.name);
    const revisionDb = readdirSync(serverDir, { recursive: true, encoding: 'utf8' })
      .map((p) => join(serverDir, p))
      .find((p) => p.endsWith(join('data', 'inventory.db')));
    expect(revisionDb).toBeDefined();
    const built = sha(revisionDb!);

    const env = { INVENTORY_API_KEY: 'test-key-0123456789abcdef' };
    await t.cp.deploy({ name: spec.name, target: 'local', env, actor: 'test' });
    const before = JSON.parse((await t.cp.callTool(spec.name, 'get_product', { sku: 'CL-2001' })).text);
    const write = await t.cp.callTool(spec.name, 'adjust_stock', { sku: 'CL-2001', delta: 5 });
    expect(write.isError ?? false).toBe(false);
    const after = JSON.parse((await t.cp.callTool(spec.name, 'get_product', { sku: 'CL-2001' })).text);
    expect(after.stock).toBe(before.stock + 5);

    const copy = join(t.home, 'data', spec.name, 'shipped', 'inventory.db');
    expect(existsSync(copy)).toBe(true);
    expect(sha(revisionDb!)).toBe(built);

    await t.cp.stop(spec.name, { actor: 'test' });
    await t.cp.deploy({ name: spec.name, target: 'local', env, actor: 'test' });
    const again = JSON.parse((await t.cp.callTool(spec.name, 'get_product', { sku: 'CL-2001' })).text);
    expect(again.stock).toBe(before.stock + 5);
    expect(sha(revisionDb!)).toBe(built);
  });
});
