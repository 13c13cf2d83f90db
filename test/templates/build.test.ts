/**
 * Every template with its defaults becomes a project that type-checks, passes the security scan with no findings
 * and bundles — what `mcp-create --template NAME --name X` produces. The representative --set variants are built
 * by the end-to-end files (http-apis, services, filesystem, email, databases).
 *
 * `mcp-create` also runs the generated tests, usually with no service configured: every case that runs without
 * environment must then expect an error (or need no service). That is checked on the test plan of every template,
 * and for real on a sample.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { planTests } from '../../src/build/generator/test-plan.js';
import { validateSpec } from '../../src/core/spec/index.js';
import { instantiateTemplate, TEMPLATES } from '../../src/sources/templates/index.js';
import { connectStdio } from '../helpers/mcp.js';
import { buildTemplate, call } from './helpers.js';

const work = mkdtempSync(join(tmpdir(), 'mcpf-tpl-build-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const names = TEMPLATES.map((t) => t.name);
/** Templates whose generated tests really run here (the others are checked on their plan). */
const RUN_GENERATED_TESTS = new Set(['custom', 'filesystem', 'postgres', 'rest-api']);
/** Tools that work without any service or environment. */
const SELF_CONTAINED = new Set(['custom/hello']);

describe('generated test plans need no service', () => {
  it.each(names)('%s', (name) => {
    const spec = validateSpec(instantiateTemplate(name, { name: 'x' })).spec!;
    const cases = planTests(spec);
    const runnable = cases.filter((c) => !c.skip && c.requiresEnv.length === 0);
    for (const c of runnable)
      expect(c.expectError || SELF_CONTAINED.has(`${name}/${c.tool}`), `${name}: ${c.name}`).toBe(true);
    // Every code or http tool documents a call (an example) instead of a synthesised one.
    for (const tool of spec.tools)
      if (tool.code || tool.http)
        expect(tool.examples?.length, `${name}/${tool.name} has examples`).toBeGreaterThan(0);
  });
});

describe.concurrent('defaults', () => {
  it.each(names)('%s type-checks, scans clean and bundles', async (name) => {
    const runTests = RUN_GENERATED_TESTS.has(name);
    const { result } = await buildTemplate(name, {}, work, { runTests, dir: `${name}-defaults` });
    expect(result.typecheck?.ok).toBe(true);
    expect(result.bundle.bytes).toBeGreaterThan(10_000);
    if (runTests) {
      expect(result.tests?.failed, result.tests?.output.slice(-2000)).toBe(0);
      expect(result.tests?.passed).toBeGreaterThan(0);
    }
    if (name === 'custom') {
      const client = await connectStdio(result.bundle.file, '2026-07-28');
      try {
        expect((await call(client, 'hello', { name: 'Ada' })).text).toBe('Hello, Ada!');
        expect((await call(client, 'hello')).text).toBe('Hello, world!');
      } finally {
        await client.close();
      }
    }
  });

  it('filesystem with a root full of quotes and ${…} compiles (values are JSON literals)', async () => {
    const { result } = await buildTemplate('filesystem', { root: '/tmp/a"b\'c`d${process.exit(1)}' }, work, {
      dir: 'fs-quotes',
    });
    expect(result.typecheck?.ok).toBe(true);
  });
});
