/**
 * Generated tests run under bubblewrap by default: a project whose test reaches a server on the host fails
 * (no network but a private loopback). bwrap comes from Debian's
 * bubblewrap package (.ci/run installs it); without it creation is refused (SANDBOX_UNAVAILABLE).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServerProject } from '../../src/build/create.js';
import { validateSpec } from '../../src/core/spec/index.js';
import { detectSandbox } from '../../src/platform/sandbox/index.js';
import { REQUIRE_SERVICES } from '../helpers/services.js';

const bwrap = detectSandbox().available;
if (!bwrap)
  process.stderr.write(
    '\n[skip] sandbox tests need bwrap (apt-get install bubblewrap; .ci/run installs it)\n',
  );

describe.skipIf(!bwrap && !REQUIRE_SERVICES)('generated tests in the sandbox', () => {
  let host: Server;
  let url: string;
  let work: string;
  beforeAll(async () => {
    host = createServer((_req, res) => res.end('reached the host'));
    await new Promise<void>((r) => host.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(host.address() as AddressInfo).port}/`;
    work = mkdtempSync(join(tmpdir(), 'mcpf-sandbox-'));
  });
  afterAll(() => {
    host?.close();
    rmSync(work, { recursive: true, force: true });
  });

  const spec = () => {
    const r = validateSpec({
      name: 'sandbox-probe',
      tools: [
        {
          name: 'probe',
          description: 'fetch a URL on the host',
          code: { source: `const res = await fetch(${JSON.stringify(url)}); return await res.text();` },
          examples: [{ arguments: {}, expect: { contains: 'reached the host' } }],
        },
      ],
    });
    if (!r.ok) throw new Error(JSON.stringify(r.issues));
    return r.spec!;
  };

  // The unconfined control (the same reach succeeding with --unsafe-no-sandbox) is in test/isolation.
  it('cuts the network in the sandbox (the default), so the same tests fail', async () => {
    expect(bwrap, 'bwrap must be installed when services are required').toBe(true);
    const error = await createServerProject({
      spec: spec(),
      specDir: work,
      outDir: join(work, 'sandboxed'),
    }).catch((e) => e);
    expect(error.code).toBe('GENERATED_TESTS_FAILED');
    expect(String(error.details.output)).toMatch(/ECONNREFUSED|fetch failed/);
  });
});
