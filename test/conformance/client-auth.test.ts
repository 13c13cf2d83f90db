// The factory's OAuth service client (dist/conformance/client-auth.js over src/platform/mcp-client/oauth.ts)
// against the official suite's client `auth/*` scenarios that a client-credentials client can meet. Needs Node 22
// and the suite in .tools/ (installed on first use), so it only runs with MCP_CONFORMANCE=1.
//
// Not run here, by design: the scenarios that need a user agent (authorization code with PKCE, dynamic client
// registration, CIMD, iss response parameter, step-up, offline access) and the client-credentials-jwt /
// DPoP / enterprise / WIF extensions (other client authentication methods than a client secret).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureNode22, ensureSuite } from '../../src/conformance/suite.js';
import { ensureBuilt } from '../helpers/build.js';

const repo = path.resolve(import.meta.dirname, '../..');
const client = path.join(repo, 'dist/conformance/client-auth.js');

const SCENARIOS = [
  // The extension scenario of SEP-1046 (client credentials with client_secret_basic): not on the spec timeline.
  { scenario: 'auth/client-credentials-basic', force: true },
  // Pre-registered credentials (no dynamic registration): the deployment's MCP_CLIENT_ID / MCP_CLIENT_SECRET case.
  { scenario: 'auth/pre-registration', force: false },
  { scenario: 'auth/resource-mismatch', force: false },
  { scenario: 'auth/metadata-issuer-mismatch', force: false },
];

describe.skipIf(!process.env.MCP_CONFORMANCE)('conformance: OAuth service client (MCP_CONFORMANCE=1)', () => {
  let node = '';
  let cli = '';
  beforeAll(() => {
    ensureBuilt('dist/conformance/client-auth.js');
    node = ensureNode22().bin;
    cli = ensureSuite('next').cli;
  }, 600_000);

  for (const { scenario, force } of SCENARIOS) {
    it(`passes ${scenario}`, { timeout: 120_000 }, () => {
      const out = fs.mkdtempSync(path.join(os.tmpdir(), 'conformance-client-'));
      try {
        const r = spawnSync(
          node,
          [
            cli,
            'client',
            '--command',
            `${process.execPath} ${client}`,
            '--scenario',
            scenario,
            ...(force ? ['--force'] : ['--spec-version', '2026-07-28']),
            '-o',
            out,
          ],
          { encoding: 'utf8', timeout: 110_000 },
        );
        const text = `${r.stdout}\n${r.stderr}`;
        expect(text, text.slice(-3000)).toMatch(/OVERALL: PASSED/);
        expect(text).toMatch(/Passed: (\d+)\/\1, 0 failed/);
      } finally {
        fs.rmSync(out, { recursive: true, force: true });
      }
    });
  }
});
