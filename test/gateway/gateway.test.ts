/**
 * The gateway against real upstream MCP servers (SDK servers over Streamable HTTP and stdio, in processes):
 * aggregation under namespaced names, rules, meta-tools, both protocol eras toward clients, authentication,
 * the circuit breaker (checked by its effect: an open circuit sends nothing upstream), a crashed stdio upstream
 * started again, tool poisoning flagged, and no process left behind.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/conformance/server.js';
import { parseGatewayConfig } from '../../src/gateway/config.js';
import { Gateway } from '../../src/gateway/gateway.js';
import { assignNames, MAX_NAME } from '../../src/gateway/names.js';
import { AccessControl } from '../../src/identity/access.js';
import { TokenStore } from '../../src/identity/tokens.js';
import { openRegistry, type Registry } from '../../src/store/index.js';
import { createGatewayHttp, type GatewayHttp } from '../../src/surfaces/gateway/http.js';
import { serveFetch } from '../../src/surfaces/http/node.js';

const FIXTURE = join(import.meta.dirname, 'fixtures', 'upstream.mjs');
let work: string;
let registry: Registry;
let token: string;
let access: AccessControl;
const children: ChildProcess[] = [];
const callLog = () => join(work, 'calls.log');
const calls = () => {
  try {
    return readFileSync(callLog(), 'utf8').trim().split('\n').filter(Boolean);
  } catch {
    return [];
  }
};

async function httpUpstream(
  name: string,
  port?: number,
): Promise<{ child: ChildProcess; url: string; port: number }> {
  const p = port ?? (await freePort());
  const child = spawn(process.execPath, [FIXTURE, name, 'http', String(p)], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, CALL_LOG: callLog() },
  });
  children.push(child);
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`upstream ${name} exited ${code}`)));
  });
  return { child, url: `http://127.0.0.1:${p}/mcp`, port: p };
}

async function serve(gateway: Gateway): Promise<{ http: GatewayHttp; url: string; close(): Promise<void> }> {
  const http = createGatewayHttp({ gateway, access });
  const served = await serveFetch((r) => http.fetch(r), { port: 0, fast: http.fastPath });
  return {
    http,
    url: `http://127.0.0.1:${served.port}`,
    close: async () => {
      await http.close();
      await served.close();
    },
  };
}

async function client(
  url: string,
  era: '2025-11-25' | '2026-07-28' = '2026-07-28',
  bearer: string = token,
): Promise<Client> {
  const c = new Client(
    { name: 'test', version: '1' },
    { versionNegotiation: { mode: era === '2025-11-25' ? 'legacy' : { pin: '2026-07-28' } } },
  );
  await c.connect(
    new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${bearer}` } },
    }),
  );
  return c;
}

const text = (r: unknown) => ((r as { content: Array<{ text: string }> }).content[0]?.text ?? '') as string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'mcpf-gw-'));
  registry = await openRegistry({ home: work });
  const tokens = TokenStore.open({ home: work });
  token = tokens.create({ name: 'agent' }).token;
  access = new AccessControl({ tokens, registry, limits: { requestsPerMinute: 100_000, burst: 10_000 } });
});

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await registry.close();
  rmSync(work, { recursive: true, force: true });
});

describe('names', () => {
  it('are at most 64 characters, unique, stable, and honour renames', () => {
    const pairs = [
      { server: 'a', tool: 'x' },
      { server: 'a__x', tool: '' },
      { server: 'long'.repeat(20), tool: 'tool'.repeat(20) },
      { server: 'long'.repeat(20), tool: `${'tool'.repeat(20)}2` },
      { server: 'b', tool: 'weird name/ü' },
    ];
    const names = assignNames(pairs, { renames: new Map([['b/weird name/ü', 'nice']]) });
    const values = [...names.values()];
    expect(new Set(values).size).toBe(pairs.length);
    for (const v of values) expect(v.length).toBeLessThanOrEqual(MAX_NAME);
    for (const v of values) expect(v).toMatch(/^[A-Za-z0-9_.-]+$/);
    expect(names.get('a/x')).toBe('a__x');
    expect(names.get('b/weird name/ü')).toBe('nice');
    // The same pair gets the same name whatever else is in the catalog.
    expect(assignNames(pairs.slice(2, 3)).get(`${'long'.repeat(20)}/${'tool'.repeat(20)}`)).toBe(
      names.get(`${'long'.repeat(20)}/${'tool'.repeat(20)}`),
    );
  });

  it('a configuration with an unset variable or a duplicate name is refused with the path', () => {
    expect(() =>
      parseGatewayConfig(
        { servers: [{ name: 'x', url: 'http://127.0.0.1:1/mcp', headers: { a: '${NOPE_X}' } }] },
        {},
      ),
    ).toThrow(/servers\[0\]\.headers\.a: \$\{NOPE_X\} is not set/);
    expect(() =>
      parseGatewayConfig({
        servers: [
          { name: 'x', url: 'http://127.0.0.1:1/mcp' },
          { name: 'x', command: 'node' },
        ],
      }),
    ).toThrow(/two upstreams are named "x"/);
    expect(() => parseGatewayConfig({ servers: [{ name: 'x', url: 'file:///etc/passwd' }] })).toThrow(
      /invalid/,
    );
  });
});

describe('gateway', () => {
  let alpha: Awaited<ReturnType<typeof httpUpstream>>;
  let beta: Awaited<ReturnType<typeof httpUpstream>>;
  let gateway: Gateway;
  let served: Awaited<ReturnType<typeof serve>>;

  beforeAll(async () => {
    [alpha, beta] = await Promise.all([httpUpstream('alpha'), httpUpstream('beta')]);
    gateway = new Gateway({
      registry,
      config: parseGatewayConfig({
        metaTools: 'never',
        servers: [
          { name: 'alpha', url: alpha.url, circuitFailures: 2, circuitHalfOpenMs: 400, retries: 0 },
          {
            name: 'beta',
            url: beta.url,
            tools: { exclude: ['slow'], rename: { add: 'sum' }, describe: { echo: 'Say it back (beta)' } },
          },
          {
            name: 'gamma',
            command: process.execPath,
            args: [FIXTURE, 'gamma', 'stdio'],
            env: { CALL_LOG: callLog() },
          },
        ],
      }),
    });
    await gateway.start();
    served = await serve(gateway);
  }, 30_000);

  afterAll(async () => {
    await served?.close();
    await gateway?.close();
  });

  it('lists every upstream tool under one namespaced name, with the rules applied, to both protocol eras', async () => {
    for (const era of ['2025-11-25', '2026-07-28'] as const) {
      const c = await client(served.url, era);
      const { tools } = await c.listTools();
      const names = tools.map((t) => t.name).sort();
      expect(names).toEqual(
        expect.arrayContaining([
          'alpha__echo',
          'alpha__add',
          'alpha__slow',
          'beta__echo',
          'sum',
          'gamma__echo',
        ]),
      );
      expect(names).not.toContain('beta__slow');
      expect(tools.find((t) => t.name === 'beta__echo')?.description).toBe('Say it back (beta)');
      const r = await c.callTool({ name: 'beta__echo', arguments: { message: 'hi' } });
      expect(text(r)).toBe('beta: hi');
      expect(text(await c.callTool({ name: 'sum', arguments: { a: 2, b: 3 } }))).toBe('5');
      expect(text(await c.callTool({ name: 'gamma__echo', arguments: { message: 'x' } }))).toBe('gamma: x');
      const missing = await c.callTool({ name: 'nope', arguments: {} });
      expect(missing.isError).toBe(true);
      expect(text(missing)).toMatch(/^GATEWAY_TOOL_NOT_FOUND/);
      await c.close();
    }
  });

  it('passes prompts and resources through: namespaced prompts, resources by URI, templates matched', async () => {
    for (const era of ['2025-11-25', '2026-07-28'] as const) {
      const c = await client(served.url, era);
      const prompts = (await c.listPrompts()).prompts.map((p) => p.name);
      expect(prompts).toEqual(expect.arrayContaining(['alpha__greet', 'beta__greet', 'gamma__greet']));
      const got = await c.getPrompt({ name: 'beta__greet', arguments: { who: 'ann' } });
      expect((got.messages[0]!.content as { text: string }).text).toBe('Hello ann from beta');
      const { resources } = await c.listResources();
      expect(resources.map((r) => r.uri)).toEqual(
        expect.arrayContaining(['info://alpha', 'info://beta', 'info://gamma']),
      );
      const { resourceTemplates } = await c.listResourceTemplates();
      expect(resourceTemplates.map((t) => t.uriTemplate)).toEqual(
        expect.arrayContaining(['rows://gamma/{id}']),
      );
      const fixed = await c.readResource({ uri: 'info://gamma' });
      expect((fixed.contents[0] as { text: string }).text).toBe('about gamma');
      const row = await c.readResource({ uri: 'rows://alpha/7' });
      expect((row.contents[0] as { text: string }).text).toBe('row 7 of alpha');
      await expect(c.readResource({ uri: 'rows://nowhere/1' })).rejects.toThrow();
      await expect(c.getPrompt({ name: 'nope__greet', arguments: {} })).rejects.toThrow();
      await c.close();
    }
  });

  it('flags a poisoned upstream description in the catalog report', async () => {
    const r = await fetch(`${served.url}/health/detailed`, { headers: { authorization: `Bearer ${token}` } });
    const body = (await r.json()) as {
      report: { flagged: Array<{ tool: string; upstream: string; flags: string[] }> };
    };
    expect(body.report.flagged.map((f) => `${f.upstream}/${f.tool}`)).toEqual(
      expect.arrayContaining(['alpha/poisoned', 'beta/poisoned']),
    );
  });

  it('a caller whose role cannot call tools may list them but its calls are refused; the upstream sees nothing', async () => {
    const viewer = TokenStore.open({ home: work }).create({ name: 'looker', role: 'viewer' }).token;
    const before = calls().length;
    for (const era of ['2025-11-25', '2026-07-28'] as const) {
      const c = await client(served.url, era, viewer);
      expect((await c.listTools()).tools.length).toBeGreaterThan(5);
      const r = await c.callTool({ name: 'alpha__echo', arguments: { message: 'x' } });
      expect(r.isError).toBe(true);
      expect(text(r)).toMatch(/^API_FORBIDDEN/);
      await c.close();
    }
    expect(calls().length).toBe(before);
  });

  it('refuses callers without a valid token; the upstream sees nothing', async () => {
    const before = calls().length;
    for (const auth of [undefined, 'Bearer nope', 'Bearer mcpf_forged']) {
      const r = await fetch(`${served.url}/api/v1/tools/alpha__echo/execute`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) },
        body: JSON.stringify({ arguments: { message: 'x' } }),
      });
      expect(r.status).toBe(401);
    }
    expect(calls().length).toBe(before);
  });

  it('REST: list, search, describe and execute', async () => {
    const h = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const list = (await (await fetch(`${served.url}/api/v1/tools`, { headers: h })).json()) as {
      tools: unknown[];
    };
    expect(list.tools.length).toBeGreaterThan(8);
    const search = (await (
      await fetch(`${served.url}/api/v1/tools/search?q=${encodeURIComponent('add two numbers together')}`, {
        headers: h,
      })
    ).json()) as { matches: Array<{ name: string }> };
    expect(['alpha__add', 'sum', 'gamma__add']).toContain(search.matches[0]?.name);
    const one = (await (await fetch(`${served.url}/api/v1/tools/alpha__add`, { headers: h })).json()) as {
      inputSchema: { properties: Record<string, unknown> };
    };
    expect(Object.keys(one.inputSchema.properties).sort()).toEqual(['a', 'b']);
    const exec = await fetch(`${served.url}/api/v1/tools/alpha__add/execute`, {
      method: 'POST',
      headers: h,
      body: JSON.stringify({ arguments: { a: 1, b: 41 } }),
    });
    expect(text(await exec.json())).toBe('42');
    const doc = (await (await fetch(`${served.url}/api/v1/openapi.json`, { headers: h })).json()) as {
      paths: Record<string, unknown>;
    };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/api/v1/tools', '/api/v1/tools/{name}/execute']),
    );
  });

  it('opens the circuit of a dead upstream (nothing is sent to it) and closes it when it is back', async () => {
    const c = await client(served.url);
    alpha.child.kill('SIGKILL');
    await new Promise((r) => alpha.child.once('exit', r));
    for (let i = 0; i < 2; i++) {
      const r = await c.callTool({ name: 'alpha__add', arguments: { a: 1, b: 1 } });
      expect(text(r)).toMatch(/^GATEWAY_UPSTREAM_UNAVAILABLE/);
    }
    expect(gateway.health().find((h) => h.name === 'alpha')?.breaker).toBe('open');
    // While open, no connection is even attempted: a listener on the port sees nothing.
    const { createServer } = await import('node:net');
    let connections = 0;
    const spy = createServer((s) => {
      connections++;
      s.destroy();
    });
    await new Promise<void>((r) => spy.listen(alpha.port, '127.0.0.1', () => r()));
    const started = performance.now();
    const fast = await c.callTool({ name: 'alpha__add', arguments: { a: 1, b: 1 } });
    expect(text(fast)).toMatch(/circuit is open/);
    expect(performance.now() - started).toBeLessThan(400); // failed fast: within the half-open delay
    expect(connections).toBe(0);
    await new Promise<void>((r) => spy.close(() => r()));
    // Back on the same port: after the half-open delay one trial call goes through and closes the circuit.
    alpha = await httpUpstream('alpha', alpha.port);
    await new Promise((r) => setTimeout(r, 450));
    expect(text(await c.callTool({ name: 'alpha__add', arguments: { a: 20, b: 22 } }))).toBe('42');
    expect(gateway.health().find((h) => h.name === 'alpha')?.breaker).toBe('closed');
    await c.close();
  }, 30_000);

  it('starts a stdio upstream once, shares it, and starts it again after it crashed', async () => {
    const c = await client(served.url);
    await c.callTool({ name: 'gamma__echo', arguments: { message: '1' } });
    const pids = () =>
      execFileSync('pgrep', ['-f', `${FIXTURE} gamma stdio`], { encoding: 'utf8' })
        .trim()
        .split('\n')
        .filter(Boolean);
    const first = pids();
    expect(first).toHaveLength(1);
    await Promise.all(
      [1, 2, 3, 4].map((i) => c.callTool({ name: 'gamma__echo', arguments: { message: String(i) } })),
    );
    expect(pids()).toEqual(first);
    process.kill(Number(first[0]), 'SIGKILL');
    await new Promise((r) => setTimeout(r, 200));
    // The call that finds it gone fails or succeeds on a new process; the next one is answered by a new one.
    await c.callTool({ name: 'gamma__echo', arguments: { message: 'again' } });
    const r = await c.callTool({ name: 'gamma__echo', arguments: { message: 'again' } });
    expect(text(r)).toBe('gamma: again');
    const second = pids();
    expect(second).toHaveLength(1);
    expect(second).not.toEqual(first);
    await c.close();
  }, 30_000);

  it('meta-tools mode: three tools, search finds, describe explains, call runs', async () => {
    const meta = new Gateway({
      config: parseGatewayConfig({ metaTools: 'always', servers: [{ name: 'beta', url: beta.url }] }),
    });
    const s = await serve(meta);
    try {
      const c = await client(s.url);
      expect((await c.listTools()).tools.map((t) => t.name).sort()).toEqual([
        'call_tool',
        'describe_tool',
        'search_tools',
      ]);
      const found = await c.callTool({ name: 'search_tools', arguments: { query: 'sum of two numbers' } });
      expect((found.structuredContent as { matches: Array<{ name: string }> }).matches[0]?.name).toBe(
        'beta__add',
      );
      const described = await c.callTool({ name: 'describe_tool', arguments: { name: 'beta__add' } });
      expect(JSON.stringify(described.structuredContent)).toContain('"a"');
      const called = await c.callTool({
        name: 'call_tool',
        arguments: { name: 'beta__add', arguments: { a: 1, b: 2 } },
      });
      expect(text(called)).toBe('3');
      await c.close();
    } finally {
      await s.close();
      await meta.close();
    }
  });

  it('leaves no upstream process behind when closed', async () => {
    const probe = new Gateway({
      config: parseGatewayConfig({
        servers: [{ name: 'delta', command: process.execPath, args: [FIXTURE, 'delta', 'stdio'] }],
      }),
    });
    await probe.callTool('delta__echo', { message: 'x' });
    const count = () => {
      try {
        return execFileSync('pgrep', ['-f', `${FIXTURE} delta stdio`], { encoding: 'utf8' })
          .trim()
          .split('\n').length;
      } catch {
        return 0;
      }
    };
    expect(count()).toBe(1);
    await probe.close();
    await new Promise((r) => setTimeout(r, 300));
    expect(count()).toBe(0);
  });
});
