/**
 * What the sandbox costs a server: start-to-ready (spawn → first MCP initialize answered) and per-call latency
 * (tools/call over HTTP), the same bundle unconfined and in the sandbox (private network, passed socket,
 * rlimits). Prints the figures; fails only when the sandbox makes a server unusably slow.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServerProject } from '../../src/build/create.js';
import { freePort } from '../../src/conformance/server.js';
import { connectMcp } from '../../src/platform/mcp-client/index.js';
import {
  detectSandbox,
  listenFdNodeArgs,
  nodeHeapArgs,
  openListener,
  SERVER_LIMITS,
  sandboxCommand,
} from '../../src/platform/sandbox/index.js';
import { REQUIRE_SERVICES } from '../helpers/services.js';
import { TEXT_TOOLS, textToolsSpec } from '../supervisor/helpers.js';

const support = detectSandbox();
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const ROUNDS = 3;
const CALLS = 50;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

describe.skipIf(!support.available && !REQUIRE_SERVICES)('sandbox cost', () => {
  let work: string;
  let bundle: string;
  let project: string;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'mcpf-cost-'));
    const result = await createServerProject({
      spec: textToolsSpec('cost-text'),
      specDir: dirname(TEXT_TOOLS),
      outDir: join(work, 'cost-text'),
      typecheck: false,
      runTests: false,
    });
    bundle = result.bundle.file;
    project = result.outDir;
  }, 120_000);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  async function start(
    sandboxed: boolean,
  ): Promise<{ child: ChildProcess; client: Client; readyMs: number }> {
    // Ports the system chooses: a fixed range here once collided with a supervisor test's range in CI.
    const listener = sandboxed && support.available ? await openListener(0) : undefined;
    const port = listener?.port ?? (await freePort());
    const serverArgs = [bundle, '--transport', 'http', '--host', '127.0.0.1', '--port', String(port)];
    const t0 = performance.now();
    let child: ChildProcess;
    if (listener) {
      const c = sandboxCommand(support, {
        command: [process.execPath, ...nodeHeapArgs(SERVER_LIMITS), ...listenFdNodeArgs(), ...serverArgs],
        readOnly: [project],
        network: 'none',
        chdir: project,
        uid: 2_100_900_000,
        dieWithParent: true,
        newSession: true,
        limits: SERVER_LIMITS,
      });
      child = spawn(c.file, c.args, { stdio: ['ignore', 'ignore', 'ignore', listener.fd] });
      listener.close();
    } else {
      child = spawn(process.execPath, serverArgs, { stdio: 'ignore' });
    }
    for (;;) {
      try {
        const client = await connectMcp(`http://127.0.0.1:${port}/mcp`, { timeoutMs: 2000 });
        return { child, client, readyMs: performance.now() - t0 };
      } catch {
        if (performance.now() - t0 > 20_000) throw new Error('server did not become ready');
        await sleep(5);
      }
    }
  }

  async function measure(sandboxed: boolean) {
    const ready: number[] = [];
    const calls: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const { child, client, readyMs } = await start(sandboxed);
      ready.push(readyMs);
      for (let i = 0; i < CALLS; i++) {
        const t0 = performance.now();
        const r = await client.callTool({ name: 'slugify', arguments: { title: `Hello ${i}` } });
        calls.push(performance.now() - t0);
        expect(r.isError ?? false).toBe(false);
      }
      await client.close();
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
    }
    return {
      readyMs: median(ready),
      callMs: median(calls),
      callP95: [...calls].sort((a, b) => a - b)[Math.floor(calls.length * 0.95)]!,
    };
  }

  it('costs little: start-to-ready and per-call latency, unconfined vs sandboxed', {
    timeout: 180_000,
  }, async () => {
    const open = await measure(false);
    const boxed = await measure(true);
    const fmt = (x: number) => `${x.toFixed(1)} ms`;
    process.stderr.write(
      `\n[sandbox cost] start-to-ready median: unconfined ${fmt(open.readyMs)}, sandboxed ${fmt(boxed.readyMs)}` +
        `\n[sandbox cost] tools/call median (p95): unconfined ${fmt(open.callMs)} (${fmt(open.callP95)}), sandboxed ${fmt(boxed.callMs)} (${fmt(boxed.callP95)})\n`,
    );
    expect(boxed.readyMs).toBeLessThan(open.readyMs * 3 + 1000);
    expect(boxed.callMs).toBeLessThan(open.callMs * 3 + 20);
  });
});
