/**
 * The official conformance suite against a server MCP Factory generated (tools, resources, a template,
 * prompts), for 2026-07-28 and 2025-11-25. Needs Node 22 and the suite (installed into .tools/ by the runner),
 * so it runs with MCP_CONFORMANCE=1, which .ci/run sets.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createServerProject } from '../../src/build/create.js';
import { parseSpecOrThrow } from '../../src/core/spec/index.js';
import { ensureBuilt } from '../helpers/build.js';
import { REQUIRE_SERVICES } from '../helpers/services.js';

const enabled = Boolean(process.env.MCP_CONFORMANCE);
if (!enabled)
  process.stderr.write('\n[skip] conformance suite tests need MCP_CONFORMANCE=1 (set by .ci/run)\n');

describe.skipIf(!enabled && !REQUIRE_SERVICES)('conformance of a generated server', () => {
  it('has no protocol failures in either era', { timeout: 600_000 }, async () => {
    expect(enabled, 'MCP_CONFORMANCE=1 must be set when services are required').toBe(true);
    ensureBuilt('dist/conformance/cli.js'); // scripts/conformance.mjs runs the compiled runner
    const work = mkdtempSync(join(tmpdir(), 'mcpf-conformance-'));
    try {
      const file = resolve('test/fixtures/specs/conformance.yaml');
      const spec = parseSpecOrThrow(readFileSync(file, 'utf8'), { file });
      const created = await createServerProject({
        spec,
        specDir: dirname(file),
        outDir: join(work, 'server'),
        runTests: false,
      });
      const out = join(work, 'report');
      const run = spawnSync(
        process.execPath,
        ['scripts/conformance.mjs', '--server', created.bundle.file, '--out', out],
        { encoding: 'utf8', timeout: 580_000 },
      );
      const report = JSON.parse(readFileSync(join(out, 'conformance.json'), 'utf8')) as {
        versions: Record<string, { summary: { pass: number; protocol: number } }>;
      };
      expect(Object.keys(report.versions)).toEqual(['2026-07-28', '2025-11-25']);
      for (const [version, v] of Object.entries(report.versions)) {
        expect(v.summary.protocol, `${version}: ${run.stdout}`).toBe(0);
        expect(v.summary.pass).toBeGreaterThanOrEqual(10);
      }
      expect(run.status, run.stdout + run.stderr).toBe(0);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
