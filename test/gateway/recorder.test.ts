/**
 * The call recorder: every call recorded before close() is in the registry afterwards (metrics and audit), on
 * this thread (the sources, as vitest runs them) and through the worker thread of the compiled build (a SQLite
 * registry's synchronous writes off the gateway's thread); a worker that cannot open the registry loses nothing:
 * its batches are written here. Past 10,000 waiting calls entries are dropped and counted, never queued forever.
 * The compiled part needs `npm run build` (as the CLI tests do).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/conformance/server.js';
import { CallRecorder, type GatewayCallRecord } from '../../src/gateway/recorder.js';
import { TokenStore } from '../../src/identity/tokens.js';
import { openRegistry, type Registry } from '../../src/store/index.js';

const COMPILED = resolve('dist/gateway/recorder.js');
const CLI = resolve('bin/mcp-factory.mjs');
const FIXTURE = join(import.meta.dirname, 'fixtures', 'upstream.mjs');
let work: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'mcpf-gw-rec-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

function call(i: number): GatewayCallRecord {
  return {
    caller: 'agent',
    upstream: 'up',
    tool: 'echo',
    publicName: 'up__echo',
    ok: i % 10 !== 0,
    latencyMs: 1 + (i % 7),
  };
}

async function openHome(name: string): Promise<Registry> {
  return openRegistry({ home: join(work, name) });
}

async function written(registry: Registry): Promise<{ calls: number; errors: number; audited: number }> {
  const stats = await registry.toolStats('up');
  let audited = 0;
  let beforeId: number | undefined;
  for (;;) {
    const page = await registry.listAudit({
      action: 'gateway.call',
      limit: 1000,
      ...(beforeId ? { beforeId } : {}),
    });
    audited += page.length;
    if (page.length < 1000) break;
    beforeId = page.at(-1)!.id;
  }
  return { calls: stats.total.calls, errors: stats.total.errors, audited };
}

describe('call recorder', () => {
  it('writes every recorded call on close, on this thread from the sources', async () => {
    const registry = await openHome('direct');
    const recorder = new CallRecorder(registry, { intervalMs: 20 });
    expect(recorder.offThread).toBe(false);
    for (let i = 0; i < 250; i++) recorder.record(call(i));
    await new Promise((r) => setTimeout(r, 60)); // one interval flush
    for (let i = 250; i < 300; i++) recorder.record(call(i));
    await recorder.close();
    expect(await written(registry)).toEqual({ calls: 300, errors: 30, audited: 300 });
    await registry.close();
  });

  it('drops and counts calls past the bound instead of queueing them', async () => {
    const registry = await openHome('bounded');
    const recorder = new CallRecorder(registry, { intervalMs: 60_000, offThread: false });
    for (let i = 0; i < 10_005; i++) recorder.record(call(i));
    expect(recorder.dropped).toBe(5);
    await recorder.close();
    expect((await written(registry)).calls).toBe(10_000);
    await registry.close();
  });

  describe('compiled: the worker thread', () => {
    let Compiled: typeof CallRecorder;
    beforeAll(async () => {
      if (!existsSync(COMPILED)) throw new Error(`${COMPILED} is missing: run npm run build first`);
      ({ CallRecorder: Compiled } = (await import(pathToFileURL(COMPILED).href)) as {
        CallRecorder: typeof CallRecorder;
      });
    });

    it('writes the batches of a SQLite registry off this thread, all of them by close', async () => {
      const registry = await openHome('worker');
      const recorder = new Compiled(registry, { intervalMs: 20 });
      expect(recorder.offThread).toBe(true);
      for (let i = 0; i < 1200; i++) {
        recorder.record(call(i));
        if (i % 300 === 299) await new Promise((r) => setTimeout(r, 30));
      }
      await recorder.close();
      expect(recorder.offThread).toBe(false); // closed: the worker is gone
      expect(await written(registry)).toEqual({ calls: 1200, errors: 120, audited: 1200 });
      await registry.close();
    });

    it('writes here what a worker that cannot open the registry was given', async () => {
      const registry = await openHome('fallback');
      // The worker is pointed at a file it cannot create (under a regular file); the recorder's own registry is fine.
      const blocker = join(work, 'not-a-directory');
      writeFileSync(blocker, '');
      const broken = new Proxy(registry, {
        get(target, key) {
          if (key === 'info') return () => ({ ...target.info(), location: join(blocker, 'registry.db') });
          const value = Reflect.get(target, key, target) as unknown;
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
      const recorder = new Compiled(broken, { intervalMs: 20 });
      for (let i = 0; i < 100; i++) recorder.record(call(i));
      await recorder.close();
      expect(recorder.offThread).toBe(false);
      expect(await written(registry)).toEqual({ calls: 100, errors: 10, audited: 100 });
      await registry.close();
    });

    it('mcp-factory gateway: every call answered before SIGTERM is in the SQLite registry after it', async () => {
      const home = join(work, 'cli');
      const children: ReturnType<typeof spawn>[] = [];
      try {
        const upstreamPort = await freePort();
        const up = spawn(process.execPath, [FIXTURE, 'alpha', 'http', String(upstreamPort)], {
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        children.push(up);
        await new Promise((r) => up.stdout!.once('data', r));
        const config = join(work, 'cli-gateway.json');
        writeFileSync(
          config,
          JSON.stringify({ servers: [{ name: 'up', url: `http://127.0.0.1:${upstreamPort}/mcp` }] }),
        );
        const token = TokenStore.open({ home }).create({ name: 'agent' }).token;
        const gw = spawn(
          process.execPath,
          [CLI, 'gateway', '--config', config, '--port', '0', '--home', home, '--no-registry-servers'],
          { stdio: ['ignore', 'ignore', 'pipe'] },
        );
        children.push(gw);
        const url = await new Promise<string>((ok, fail) => {
          let err = '';
          const timer = setTimeout(() => fail(new Error(`gateway did not start: ${err}`)), 60_000);
          gw.stderr!.on('data', (chunk: Buffer) => {
            err += chunk;
            const m = /listening on (http:\/\/[^\s]+\/mcp)/.exec(err);
            if (m) {
              clearTimeout(timer);
              ok(m[1]!);
            }
          });
          gw.once('exit', (code) => fail(new Error(`gateway exited with ${code}: ${err}`)));
        });
        const calls = 40;
        for (let i = 0; i < calls; i++) {
          const response = await fetch(url, {
            method: 'POST',
            headers: {
              authorization: `Bearer ${token}`,
              accept: 'application/json, text/event-stream',
              'content-type': 'application/json',
              'mcp-protocol-version': '2026-07-28',
              'mcp-method': 'tools/call',
              'mcp-name': 'up__echo',
            },
            body: JSON.stringify({
              jsonrpc: '2.0',
              id: i + 1,
              method: 'tools/call',
              params: {
                name: 'up__echo',
                arguments: { message: `m${i}` },
                _meta: {
                  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
                  'io.modelcontextprotocol/clientInfo': { name: 'test', version: '1' },
                  'io.modelcontextprotocol/clientCapabilities': {},
                },
              },
            }),
          });
          expect(response.status).toBe(200);
          await response.text();
        }
        const exited = new Promise<number | null>((r) => gw.once('exit', (code) => r(code)));
        gw.kill('SIGTERM');
        expect(await exited).toBe(0);
        const registry = await openRegistry({ home });
        const audit = await registry.listAudit({ action: 'gateway.call', limit: 1000 });
        expect(audit.length).toBe(calls);
        expect(audit.every((e) => e.actor === 'agent' && e.target === 'up')).toBe(true);
        expect((await registry.toolStats('up')).total.calls).toBe(calls);
        await registry.close();
      } finally {
        for (const c of children) c.kill('SIGKILL');
      }
    });
  });
});
