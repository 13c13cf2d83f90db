/**
 * Without a sandbox nothing generated runs silently unconfined: `create` (with tests) and `deploy` refuse with
 * SANDBOX_UNAVAILABLE before writing, recording or starting anything; the explicit opt-out (`--unsafe-no-sandbox`,
 * local CLI only) runs the server unconfined and the supervisor reports it (`sandbox: 'none'`). "No sandbox" is
 * simulated with a PATH holding no bwrap, for this process (the CLI side) and the supervisor it starts.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServerProject } from '../../src/build/create.js';
import { UNSAFE_MARKER } from '../../src/deploy/targets/local/sandbox-launch.js';
import { detectSandbox } from '../../src/platform/sandbox/index.js';
import { REQUIRE_SERVICES } from '../helpers/services.js';
import {
  createText,
  ensureBuilt,
  fastEnv,
  markedPids,
  newHome,
  TEXT_TOOLS,
  type TestHome,
  textToolsSpec,
} from '../supervisor/helpers.js';

const support = detectSandbox();
const NO_BWRAP = '/nonexistent-sandbox-path';

describe.skipIf(!support.available && !REQUIRE_SERVICES)(
  'no sandbox: refusal and the explicit opt-out',
  () => {
    let t: TestHome;
    let work: string;
    const savedPath = process.env.PATH;
    const withoutSandbox = async <T>(fn: () => Promise<T>): Promise<T> => {
      process.env.PATH = NO_BWRAP;
      try {
        return await fn();
      } finally {
        process.env.PATH = savedPath;
      }
    };

    beforeAll(() => {
      ensureBuilt();
      work = mkdtempSync(join(tmpdir(), 'mcpf-optout-'));
      t = newHome('optout', fastEnv('21700-21749', { PATH: NO_BWRAP }));
    });
    afterAll(async () => {
      process.env.PATH = savedPath;
      await t?.cleanup();
      rmSync(work, { recursive: true, force: true });
    });

    it('create refuses to run the generated tests unconfined, before writing anything', async () => {
      const outDir = join(work, 'refused');
      const error = await withoutSandbox(() =>
        createServerProject({ spec: textToolsSpec('refused'), specDir: dirname(TEXT_TOOLS), outDir }),
      ).catch((e) => e);
      expect(error.code).toBe('SANDBOX_UNAVAILABLE');
      expect(error.message).toMatch(/bwrap/);
      expect(existsSync(outDir)).toBe(false);
      expect(readdirSync(work)).toEqual([]);
    });

    it('deploy refuses without a sandbox: nothing recorded, nothing started', async () => {
      await createText(t.cp, 'plain');
      const error = await withoutSandbox(() =>
        t.cp.deploy({ name: 'plain', target: 'local', actor: 'test' }),
      ).catch((e) => e);
      expect(error.code).toBe('SANDBOX_UNAVAILABLE');
      expect((await t.cp.status('plain')).deployments).toEqual([]);
      expect(markedPids(t.home)).toEqual([]);
    });

    it('--unsafe-no-sandbox runs it unconfined, recorded as such; a later plain deploy clears the opt-out', async () => {
      const d = await withoutSandbox(() =>
        t.cp.deploy({ name: 'plain', target: 'local', unsafeNoSandbox: true, actor: 'test' }),
      );
      expect(d.status).toBe('running');
      expect(existsSync(join(t.home, 'servers', 'plain', UNSAFE_MARKER))).toBe(true);
      const runtime = await t.cp.supervisor.health();
      expect(runtime?.find((r) => r.server === 'plain')?.sandbox).toBe('none');
      expect(readFileSync(t.cp.layout.logFile('plain'), 'utf8')).toMatch(/"sandbox":"none"/);
      // With a sandbox on this side the opt-out is not recorded again (the supervisor's PATH still has none: it
      // keeps refusing to start the server confined or not, which the deploy reports).
      await t.cp.deploy({ name: 'plain', target: 'local', actor: 'test' }).catch(() => undefined);
      expect(existsSync(join(t.home, 'servers', 'plain', UNSAFE_MARKER))).toBe(false);
    });
  },
);
