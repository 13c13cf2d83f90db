// Unit tests for the typed conformance runner's modules that need neither Node 22 nor the suite: paths,
// suite bookkeeping, the command line's usage errors, the probe (against a fake JSON-RPC server), the
// server launcher and the Markdown report of a failed revision.
import fs from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  type ConformanceReport,
  freePort,
  isVersionFailure,
  main,
  probeServer,
  REPO,
  renderMarkdown,
  SUITES,
  startServer,
  stopServer,
  suitePaths,
  TOOLS_DIR,
} from '../../src/conformance/index.js';

describe('paths and suites', () => {
  it('REPO is the repository root and tools live in .tools/', () => {
    expect(fs.existsSync(path.join(REPO, 'package.json'))).toBe(true);
    expect(fs.existsSync(path.join(REPO, 'src', 'conformance'))).toBe(true);
    expect(TOOLS_DIR).toBe(path.join(REPO, '.tools'));
  });

  it('suitePaths points into .tools/<dir>/node_modules and rejects unknown engines', () => {
    const p = suitePaths('next');
    expect(p.version).toBe(SUITES.next.version);
    expect(p.cli).toBe(
      path.join(
        TOOLS_DIR,
        'conformance-next',
        'node_modules',
        '@modelcontextprotocol',
        'conformance',
        'dist',
        'index.js',
      ),
    );
    expect(() => suitePaths('nightly')).toThrow(/unknown engine nightly/);
  });
});

describe('main: usage errors exit 2 before installing anything', () => {
  const quiet = () => vi.spyOn(console, 'error').mockImplementation(() => {});
  it.each([[['--bogus']], [['--engine', 'nightly']], [[]], [['--server', 'x.mjs', '--versions', 'latest']]])(
    '%j',
    async (argv) => {
      const spy = quiet();
      try {
        expect(await main(argv)).toBe(2);
        expect(String(spy.mock.calls.at(-1)?.[0])).toContain('usage: node scripts/conformance.mjs');
      } finally {
        spy.mockRestore();
      }
    },
  );

  it('a missing server bundle', async () => {
    const spy = quiet();
    try {
      expect(await main(['--server', path.join(os.tmpdir(), 'no-such-bundle.mjs')])).toBe(2);
      expect(String(spy.mock.calls.at(-1)?.[0])).toContain('server bundle not found');
    } finally {
      spy.mockRestore();
    }
  });
});

describe('probeServer', () => {
  let server: Server;
  let url: string;
  const seen: Array<{ method: string; headers: Record<string, unknown> }> = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        if (req.method === 'DELETE') return void res.writeHead(204).end();
        const msg = JSON.parse(body) as { id?: number; method: string; params?: { cursor?: string } };
        seen.push({ method: msg.method, headers: req.headers });
        const reply = (result: unknown) => {
          res.writeHead(200, { 'content-type': 'application/json', 'mcp-session-id': 'S1' });
          res.end(JSON.stringify({ jsonrpc: '2.0', id: msg.id, result }));
        };
        if (msg.method === 'server/discover' || msg.method === 'initialize')
          return reply({ capabilities: { tools: {}, prompts: {} } });
        if (msg.method === 'notifications/initialized') return void res.writeHead(202).end();
        if (msg.method === 'tools/list')
          return msg.params?.cursor
            ? reply({ tools: [{ name: 'b' }] })
            : reply({ tools: [{ name: 'a' }], nextCursor: 'p2' });
        if (msg.method === 'prompts/list') {
          // answered as an event stream, as Streamable HTTP servers may
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          return void res.end(
            `event: message\ndata: ${JSON.stringify({ jsonrpc: '2.0', id: msg.id, result: { prompts: [{ name: 'p' }] } })}\n\n`,
          );
        }
        res.writeHead(404).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('discovers (2026-07-28), pages through lists and skips capabilities the server lacks', async () => {
    seen.length = 0;
    const probe = await probeServer(url, '2026-07-28');
    expect(probe).toMatchObject({
      ok: true,
      tools: [{ name: 'a' }, { name: 'b' }],
      prompts: [{ name: 'p' }],
    });
    expect(probe.resources).toEqual([]);
    expect(seen.map((s) => s.method)).toEqual([
      'server/discover',
      'tools/list',
      'tools/list',
      'prompts/list',
    ]);
    expect(seen[0]?.headers['mcp-method']).toBe('server/discover');
  });

  it('initializes a session for 2025-11-25 and sends its id', async () => {
    seen.length = 0;
    const probe = await probeServer(url, '2025-11-25');
    expect(probe.ok).toBe(true);
    expect(seen[0]?.method).toBe('initialize');
    expect(seen[1]).toMatchObject({
      method: 'notifications/initialized',
      headers: { 'mcp-session-id': 'S1' },
    });
  });

  it('records (never throws) a failed handshake', async () => {
    const port = await freePort();
    const probe = await probeServer(`http://127.0.0.1:${port}/mcp`, '2026-07-28');
    expect(probe.ok).toBe(false);
    expect(probe.error).toBeTruthy();
  });
});

describe('startServer', () => {
  it('reports a bundle that exits instead of listening, with its output', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'conf-server-'));
    try {
      const bundle = path.join(dir, 'exits.mjs');
      fs.writeFileSync(bundle, "console.error('cannot start'); process.exit(3);\n");
      const port = await freePort();
      await expect(
        startServer(bundle, { port, logFile: path.join(dir, 'server.log'), startupTimeoutMs: 5000 }),
      ).rejects.toThrow(/did not listen .*exited .*"code":3.*\n[\s\S]*cannot start/);
      await stopServer(null);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('renderMarkdown', () => {
  it('reports a revision whose run failed', () => {
    const report: ConformanceReport = {
      generatedAt: 'now',
      server: null,
      url: 'http://127.0.0.1:1/mcp',
      tools: { node: 'v22.0.0', nodeBinary: 'node' },
      versions: { '2025-11-25': { error: 'suite did not install', scenarios: [] } },
      durationMs: 2500,
      ok: false,
    };
    expect(isVersionFailure(report.versions['2025-11-25']!)).toBe(true);
    const md = renderMarkdown(report);
    expect(md).toContain('- Server: `http://127.0.0.1:1/mcp`');
    expect(md).toContain('(took 2.5 s)');
    expect(md).toContain('**FAIL**');
    expect(md).toContain('## 2025-11-25\n\nRun failed: suite did not install');
  });
});
