// End-to-end: runs scripts/conformance.mjs against the two SDK v2 reference servers in
// test/conformance/servers. Needs the npm registry on first use (Node 22 + the suite are installed
// into .tools/) and takes ~10 s per server afterwards, so it only runs with MCP_CONFORMANCE=1. The script
// is a shim over dist/conformance/, built first when it is stale.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../helpers/build.js';

const repo = path.resolve(import.meta.dirname, '../..');
const script = path.join(repo, 'scripts/conformance.mjs');

function run(server: string) {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'conformance-'));
  const r = spawnSync(process.execPath, [script, '--server', path.join(repo, server), '--out', out], {
    encoding: 'utf8',
    timeout: 600_000,
  });
  const report = JSON.parse(fs.readFileSync(path.join(out, 'conformance.json'), 'utf8'));
  fs.rmSync(out, { recursive: true, force: true });
  return { status: r.status, report };
}

describe.skipIf(!process.env.MCP_CONFORMANCE)('conformance runner (MCP_CONFORMANCE=1)', () => {
  beforeAll(() => ensureBuilt('dist/conformance/cli.js'));

  it('guarded SDK server: every failure is fixture-required, exit 0', { timeout: 600_000 }, () => {
    const { status, report } = run('test/conformance/servers/sdk-guarded.mjs');
    expect(Object.keys(report.versions)).toEqual(['2026-07-28', '2025-11-25']);
    for (const v of Object.values(report.versions) as { summary: { protocol: number; pass: number } }[]) {
      expect(v.summary.protocol).toBe(0);
      expect(v.summary.pass).toBeGreaterThan(5);
    }
    expect(status).toBe(0);
  });

  it('fixtures server: scenarios that only need fixtures pass on the SDK', { timeout: 600_000 }, () => {
    const { status, report } = run('test/conformance/servers/sdk-fixtures.mjs');
    expect(report.versions['2026-07-28'].summary.pass).toBeGreaterThanOrEqual(39);
    expect(report.versions['2025-11-25'].summary.pass).toBeGreaterThanOrEqual(31);
    expect(status).toBe(0);
  });

  it('minimal SDK server without Host/Origin validation: dns-rebinding-protection is a protocol failure, exit 1', {
    timeout: 600_000,
  }, () => {
    const { status, report } = run('test/conformance/servers/sdk-minimal.mjs');
    for (const v of Object.values(report.versions) as {
      scenarios: { scenario: string; classification: string }[];
    }[]) {
      const protocol = v.scenarios.filter((s) => s.classification === 'protocol').map((s) => s.scenario);
      expect(protocol).toEqual(['dns-rebinding-protection']);
    }
    expect(status).toBe(1);
  });
});
