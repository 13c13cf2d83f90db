/**
 * The official conformance suite against servers MCP Factory generated, for 2026-07-28 and 2025-11-25:
 * conformance.yaml (a few ordinary tools, resources and prompts) and conformance-fixtures.yaml (the suite's own
 * fixtures written as a spec, so the fixture scenarios are checked too). Needs Node 22 and the suite (installed
 * into .tools/ by the runner), so it runs with MCP_CONFORMANCE=1, which .ci/run sets.
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

interface Report {
  versions: Record<
    string,
    {
      summary: { pass: number; protocol: number };
      scenarios: { scenario: string; classification: string; failures: { message: string }[] }[];
    }
  >;
}

/** Scenarios both eras share that the fixture spec must pass (a regression in any of them fails the test). */
const SHARED = [
  'completion-complete',
  'tools-list',
  'tools-call-simple-text',
  'tools-call-image',
  'tools-call-audio',
  'tools-call-embedded-resource',
  'tools-call-mixed-content',
  'tools-call-error',
  'tools-call-with-progress',
  'server-sse-multiple-streams',
  'resources-list',
  'resources-read-text',
  'resources-read-binary',
  'resources-templates-read',
  'prompts-list',
  'prompts-get-simple',
  'prompts-get-with-args',
  'prompts-get-embedded-resource',
  'prompts-get-with-image',
  'dns-rebinding-protection',
];
/** Per era; the rest of each era is fixture-required (listed with reasons in docs/conformance.md). */
const FIXTURE_PASSES: Record<string, string[]> = {
  '2026-07-28': [
    ...SHARED,
    'sep-2164-resource-not-found',
    'caching',
    'http-header-validation',
    'input-required-result-basic-sampling',
    'input-required-result-tampered-state',
    'input-required-result-multi-round',
    'input-required-result-result-type',
    'input-required-result-missing-input-response',
    'input-required-result-unsupported-methods',
    'input-required-result-ignore-extra-params',
    'input-required-result-validate-input',
  ],
  '2025-11-25': [
    ...SHARED,
    'server-initialize',
    'logging-set-level',
    'ping',
    'tools-call-with-logging',
    'tools-call-sampling',
    'tools-call-elicitation',
    'elicitation-sep1034-defaults',
    'elicitation-sep1330-enums',
    'server-session-lifecycle',
    'server-sse-polling',
  ],
};

/** Generates the spec's server, runs scripts/conformance.mjs on its bundle and returns the report. */
async function runSuite(specFile: string) {
  ensureBuilt('dist/conformance/cli.js'); // scripts/conformance.mjs runs the compiled runner
  const work = mkdtempSync(join(tmpdir(), 'mcpf-conformance-'));
  try {
    const file = resolve(specFile);
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
      { encoding: 'utf8', timeout: 280_000 },
    );
    const report = JSON.parse(readFileSync(join(out, 'conformance.json'), 'utf8')) as Report;
    return { run, report };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

describe.skipIf(!enabled && !REQUIRE_SERVICES)('conformance of a generated server', () => {
  it('has no protocol failures in either era', { timeout: 300_000 }, async () => {
    expect(enabled, 'MCP_CONFORMANCE=1 must be set when services are required').toBe(true);
    const { run, report } = await runSuite('test/fixtures/specs/conformance.yaml');
    expect(Object.keys(report.versions)).toEqual(['2026-07-28', '2025-11-25']);
    for (const [version, v] of Object.entries(report.versions)) {
      expect(v.summary.protocol, `${version}: ${run.stdout}`).toBe(0);
      expect(v.summary.pass).toBeGreaterThanOrEqual(10);
    }
    expect(run.status, run.stdout + run.stderr).toBe(0);
  });

  it('passes the fixture scenarios when the spec declares the suite fixtures', {
    timeout: 300_000,
  }, async () => {
    expect(enabled, 'MCP_CONFORMANCE=1 must be set when services are required').toBe(true);
    const { run, report } = await runSuite('test/fixtures/specs/conformance-fixtures.yaml');
    expect(Object.keys(report.versions)).toEqual(['2026-07-28', '2025-11-25']);
    for (const [version, v] of Object.entries(report.versions)) {
      expect(v.summary.protocol, `${version}: ${run.stdout}`).toBe(0);
      const byName = new Map(v.scenarios.map((s) => [s.scenario, s]));
      const notPassing = (FIXTURE_PASSES[version] ?? [])
        .filter((name) => byName.get(name)?.classification !== 'pass')
        .map((name) => {
          const s = byName.get(name);
          return `${name}: ${s ? `${s.classification} ${s.failures.map((f) => f.message).join(' | ')}` : 'not run'}`;
        });
      expect(notPassing, version).toEqual([]);
    }
    expect(run.status, run.stdout + run.stderr).toBe(0);
  });
});
