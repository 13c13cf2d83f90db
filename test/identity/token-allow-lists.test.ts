/**
 * Per-token allow-lists of servers and tools (`mcp-factory token create --servers … --tools …`), checked by their
 * effect: a gateway over real fixture upstreams (HTTP, in processes) shows a restricted token only its tools on
 * every listing (MCP tools/list in both eras, REST list and search, meta-tools search/describe), and a call of
 * any other tool — MCP 2025-11-25, 2026-07-28 through the SDK and through the fast path, REST execute, meta
 * call_tool — answers exactly like an unknown tool while the upstream records no call. An unrestricted token
 * sees everything; `/health/detailed` names only its upstreams and counts only its tools. On the factory's
 * operations, a server outside the list answers like a missing one, a tool outside it like a missing tool, and
 * `server_status` / `server_stats` (operation, HTTP API, MCP server) show and count only its tools. Bad patterns
 * are refused at creation with nothing written.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/conformance/server.js';
import { FactoryError } from '../../src/core/errors/index.js';
import { allowsTool, matchesPattern } from '../../src/core/text/patterns.js';
import { parseGatewayConfig } from '../../src/gateway/config.js';
import { Gateway } from '../../src/gateway/gateway.js';
import { AccessControl } from '../../src/identity/access.js';
import { ROLE_POLICY } from '../../src/identity/policy.js';
import { TOKENS_FILE, TokenStore } from '../../src/identity/tokens.js';
import { openRegistry, type Registry } from '../../src/store/index.js';
import { type Api, createApi } from '../../src/surfaces/api/index.js';
import { runCli } from '../../src/surfaces/cli/main.js';
import { createGatewayHttp, type GatewayHttp } from '../../src/surfaces/gateway/http.js';
import { serveFetch } from '../../src/surfaces/http/node.js';
import { serveFactoryMcpHttp } from '../../src/surfaces/mcp/index.js';
import {
  callTool as callToolOp,
  createServer,
  invoke,
  listAudit,
  listServers,
  type OperationContext,
  searchTools as searchToolsOp,
  serverStats,
  serverStatus,
  specFromSource,
} from '../../src/surfaces/operations/index.js';
import { FakeControlPlane } from '../api/fake-control-plane.js';
import { LOCAL, PASSWORD, startFactory } from './auth-helpers.js';

const FIXTURE = join(import.meta.dirname, '..', 'gateway', 'fixtures', 'upstream.mjs');
let work: string;
let registry: Registry;
let tokens: TokenStore;
let access: AccessControl;
let open: string;
let restricted: string;
const children: ChildProcess[] = [];
const callLog = () => join(work, 'calls.log');
const calls = () => {
  try {
    return readFileSync(callLog(), 'utf8').trim().split('\n').filter(Boolean);
  } catch {
    return [];
  }
};

async function httpUpstream(name: string): Promise<string> {
  const port = await freePort();
  const child = spawn(process.execPath, [FIXTURE, name, 'http', String(port)], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, CALL_LOG: callLog() },
  });
  children.push(child);
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`upstream ${name} exited ${code}`)));
  });
  return `http://127.0.0.1:${port}/mcp`;
}

async function serve(gateway: Gateway): Promise<{ http: GatewayHttp; url: string; close(): Promise<void> }> {
  const http = createGatewayHttp({ gateway, access });
  const served = await serveFetch((r) => http.fetch(r), { port: 0 });
  return {
    http,
    url: `http://127.0.0.1:${served.port}`,
    close: async () => {
      await http.close();
      await served.close();
    },
  };
}

async function client(url: string, era: '2025-11-25' | '2026-07-28', bearer: string): Promise<Client> {
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

/** A plain 2026-07-28 tools/call POSTed by hand: the shape the gateway's fast path (fast-serve.ts) answers. */
async function fastCall(url: string, bearer: string, tool: string, args: Record<string, unknown>) {
  const response = await fetch(`${url}/mcp`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${bearer}`,
      accept: 'application/json, text/event-stream',
      'content-type': 'application/json',
      'mcp-protocol-version': '2026-07-28',
      'mcp-method': 'tools/call',
      'mcp-name': tool,
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 7,
      method: 'tools/call',
      params: {
        name: tool,
        arguments: args,
        _meta: {
          'io.modelcontextprotocol/protocolVersion': '2026-07-28',
          'io.modelcontextprotocol/clientInfo': { name: 'allow-list-test', version: '1' },
          'io.modelcontextprotocol/clientCapabilities': {},
        },
      },
    }),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as { result: { isError?: boolean; content: Array<{ text: string }> } };
}

const text = (r: unknown) => ((r as { content: Array<{ text: string }> }).content[0]?.text ?? '') as string;
/** An answer with the tool's name blanked, to compare the answer for a forbidden tool with an unknown one's. */
const blank = (s: string, name: string) => s.split(name).join('<tool>');

const ALLOWED = ['billing-eu__add', 'crm__add', 'crm__echo'];
/** Tools that exist upstream but are outside the allow-list (server hr, or a tool the patterns leave out). */
const FORBIDDEN = ['hr__add', 'hr__echo', 'billing-eu__echo', 'crm__slow'];

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'mcpf-allow-'));
  registry = await openRegistry({ home: work });
  tokens = TokenStore.open({ home: work });
  open = tokens.create({ name: 'everything' }).token;
  // servers crm and billing-*; tools: crm's e* tools, and `add` (plain name) on any allowed server.
  restricted = tokens.create({
    name: 'narrow',
    allowedServers: ['crm', 'billing-*'],
    allowedTools: ['crm__e*', 'add'],
  }).token;
  access = new AccessControl({
    tokens,
    registry,
    limits: { requestsPerMinute: 100_000, burst: 10_000 },
  });
});

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await registry.close();
  rmSync(work, { recursive: true, force: true });
});

/** The operation context of a request that carries `bearer`, against `controlPlane`. */
async function operationContext(
  controlPlane: OperationContext['controlPlane'],
  bearer: string,
): Promise<OperationContext> {
  const principal = await access.authenticate(
    new Request('http://127.0.0.1/', { headers: { authorization: `Bearer ${bearer}` } }),
  );
  return {
    controlPlane,
    registry,
    subject: { kind: 'token', principal },
    policy: ROLE_POLICY,
    actor: principal.name,
    allowLocalFiles: false,
  };
}

const failure = async (run: Promise<unknown>) => {
  try {
    await run;
  } catch (error) {
    return error as FactoryError;
  }
  throw new Error('expected a failure');
};

describe('the pattern matcher and the allow-list rule', () => {
  it('matches exact names and * runs, never across a line break; a tool by server__tool or plain name', () => {
    expect(matchesPattern('billing-*', 'billing-eu')).toBe(true);
    expect(matchesPattern('billing-*', 'billing')).toBe(false);
    expect(matchesPattern('*a*b', 'xxaab')).toBe(true);
    expect(matchesPattern('*a*b', 'xxaabc')).toBe(false);
    expect(matchesPattern('a*', 'a\nb')).toBe(false);
    expect(matchesPattern('a.c', 'abc')).toBe(false);
    // Many stars and a long name that almost matches: linear, not exponential (a regex would backtrack for ages).
    const started = performance.now();
    expect(matchesPattern(`${'*a'.repeat(30)}*b`, 'a'.repeat(5_000))).toBe(false);
    expect(performance.now() - started).toBeLessThan(2000); // backtracking would take minutes

    // Same answers as the regular expression the matcher used to build (`*` → `.*`), on random inputs.
    const regex = (pattern: string, name: string) =>
      new RegExp(
        `^${pattern
          .split('*')
          .map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
          .join('.*')}$`,
      ).test(name);
    let seed = 42;
    const next = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed;
    };
    const random = (alphabet: string, max: number) => {
      let out = '';
      const length = next() % (max + 1);
      for (let i = 0; i < length; i++) out += alphabet[next() % alphabet.length];
      return out;
    };
    for (let i = 0; i < 5_000; i++) {
      const pattern = random('ab*.\n', 6);
      const name = random('ab.\n*', 8);
      expect(matchesPattern(pattern, name), `${JSON.stringify(pattern)} ${JSON.stringify(name)}`).toBe(
        regex(pattern, name),
      );
    }

    const allow = { servers: ['crm'], tools: ['crm__get_*', 'ping'] };
    expect(allowsTool(allow, 'crm', 'get_customer')).toBe(true);
    expect(allowsTool(allow, 'crm', 'ping')).toBe(true);
    expect(allowsTool(allow, 'crm', 'delete_customer')).toBe(false);
    // The server must be allowed too: a plain-name pattern does not reach other servers.
    expect(allowsTool(allow, 'hr', 'ping')).toBe(false);
    expect(allowsTool(undefined, 'hr', 'anything')).toBe(true);
  });
});

describe('creating tokens with allow-lists', () => {
  it('stores the lists and shows them in token list; without lists the token has none', async () => {
    const home = mkdtempSync(join(tmpdir(), 'mcpf-allow-cli-'));
    try {
      const out: string[] = [];
      const err: string[] = [];
      const io = { stdout: (s: string) => out.push(s), stderr: (s: string) => err.push(s), isTTY: false };
      const code = await runCli(
        ['token', 'create', 'crm-bot', '--servers', 'crm,billing-*', '--tools', 'crm__get_*', '--home', home],
        io,
      );
      expect(code, err.join('')).toBe(0);
      expect(await runCli(['token', 'create', 'plain', '--home', home], io)).toBe(0);
      out.length = 0;
      expect(await runCli(['token', 'list', '--format', 'json', '--home', home], io)).toBe(0);
      const list = JSON.parse(out.join('')) as Array<{
        name: string;
        allowedServers: string[] | null;
        allowedTools: string[] | null;
      }>;
      const byName = Object.fromEntries(list.map((t) => [t.name, [t.allowedServers, t.allowedTools]]));
      expect(byName).toEqual({ 'crm-bot': [['crm', 'billing-*'], ['crm__get_*']], plain: [null, null] });
      out.length = 0;
      expect(await runCli(['token', 'list', '--home', home], io)).toBe(0);
      const table = out.join('');
      expect(table).toMatch(/SCOPES\s+SERVERS\s+TOOLS\s+ROLE/);
      expect(table).toMatch(/crm-bot .*crm,billing-\*\s+crm__get_\*\s+service/);
      expect(table).toMatch(/plain .*-\s+\*\s+\*\s+service/);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('refuses bad patterns with a clear error, writing nothing to the tokens file', async () => {
    const home = mkdtempSync(join(tmpdir(), 'mcpf-allow-bad-'));
    try {
      const store = TokenStore.open({ home });
      const file = join(home, TOKENS_FILE);
      // Nothing written even when the file does not exist yet.
      expect(() => store.create({ name: 'first', allowedServers: ['crm;rm'] })).toThrow(
        /invalid server pattern/,
      );
      expect(existsSync(file)).toBe(false);
      store.create({ name: 'seed' });
      const before = readFileSync(file, 'utf8');
      const bad: Array<[Parameters<TokenStore['create']>[0], RegExp]> = [
        [{ name: 'a', allowedServers: ['crm', 'bad name'] }, /invalid server pattern "bad name"/],
        [{ name: 'b', allowedServers: [] }, /at least one pattern/],
        [{ name: 'c', allowedServers: ['x'.repeat(65)] }, /1-64 characters/],
        [{ name: 'd', allowedServers: Array.from({ length: 65 }, (_, i) => `s${i}`) }, /at most 64 patterns/],
        [{ name: 'e', allowedTools: ['crm__get_*', ''] }, /invalid tool pattern ""/],
        [{ name: 'f', allowedTools: ['t'.repeat(201)] }, /1-200 characters/],
        [{ name: 'g', allowedTools: ['crm__$(id)'] }, /invalid tool pattern/],
      ];
      for (const [input, message] of bad) {
        let error: unknown;
        try {
          store.create(input);
        } catch (e) {
          error = e;
        }
        expect(error, input.name).toBeInstanceOf(FactoryError);
        expect((error as FactoryError).code).toBe('INVALID_ARGUMENTS');
        expect((error as FactoryError).message).toMatch(message);
      }
      expect(readFileSync(file, 'utf8')).toBe(before);
      // The CLI refuses the same way (an empty entry in the list): exit code 2 (bad input), the file unchanged.
      const err: string[] = [];
      const io = { stdout: () => undefined, stderr: (s: string) => err.push(s), isTTY: false };
      expect(await runCli(['token', 'create', 'h', '--servers', 'crm,', '--home', home], io)).toBe(2);
      expect(err.join('')).toContain('invalid server pattern ""');
      expect(readFileSync(file, 'utf8')).toBe(before);
      expect(store.list().map((t) => t.name)).toEqual(['seed']);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('a hand-edited list that is not a list of strings allows nothing, never everything', () => {
    const home = mkdtempSync(join(tmpdir(), 'mcpf-allow-edit-'));
    try {
      const store = TokenStore.open({ home });
      store.create({ name: 'edited', allowedServers: ['crm'] });
      const file = join(home, TOKENS_FILE);
      const data = JSON.parse(readFileSync(file, 'utf8'));
      data.tokens[0].allowedServers = 'crm';
      // A rewrite with another size: the store notices the change.
      writeFileSync(file, JSON.stringify(data, null, 4));
      expect(TokenStore.open({ home }).list()[0]?.allowedServers).toEqual([]);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});

describe('the gateway', () => {
  let upstreams: Array<{ name: string; url: string }>;
  let gateway: Gateway;
  let meta: Gateway;
  let served: Awaited<ReturnType<typeof serve>>;
  let metaServed: Awaited<ReturnType<typeof serve>>;

  beforeAll(async () => {
    upstreams = await Promise.all(
      ['crm', 'billing-eu', 'hr'].map(async (name) => ({ name, url: await httpUpstream(name) })),
    );
    const servers = upstreams.map((u) => ({ name: u.name, url: u.url, retries: 0 }));
    gateway = new Gateway({ config: parseGatewayConfig({ metaTools: 'never', servers }) });
    meta = new Gateway({ config: parseGatewayConfig({ metaTools: 'always', servers }) });
    await Promise.all([gateway.start(), meta.start()]);
    [served, metaServed] = await Promise.all([serve(gateway), serve(meta)]);
  }, 30_000);

  afterAll(async () => {
    await served?.close();
    await metaServed?.close();
    await gateway?.close();
    await meta?.close();
  });

  it('tools/list (both eras) and the REST list show a restricted token only its tools; an open token all', async () => {
    for (const era of ['2025-11-25', '2026-07-28'] as const) {
      const narrow = await client(served.url, era, restricted);
      expect((await narrow.listTools()).tools.map((t) => t.name).sort()).toEqual(ALLOWED);
      // Prompts of a server outside the list are not shown either.
      expect((await narrow.listPrompts()).prompts.map((p) => p.name).sort()).toEqual([
        'billing-eu__greet',
        'crm__greet',
      ]);
      await narrow.close();
      const wide = await client(served.url, era, open);
      const all = (await wide.listTools()).tools.map((t) => t.name);
      expect(all).toEqual(expect.arrayContaining([...ALLOWED, ...FORBIDDEN]));
      await wide.close();
    }
    const rest = async (bearer: string) =>
      (
        (await (
          await fetch(`${served.url}/api/v1/tools`, { headers: { authorization: `Bearer ${bearer}` } })
        ).json()) as { tools: Array<{ name: string }> }
      ).tools.map((t) => t.name);
    expect((await rest(restricted)).sort()).toEqual(ALLOWED);
    expect(await rest(open)).toEqual(expect.arrayContaining([...ALLOWED, ...FORBIDDEN]));
    // REST search and describe: only allowed tools are found; a forbidden one is "not found".
    const search = (await (
      await fetch(`${served.url}/api/v1/tools/search?q=echo&limit=50`, {
        headers: { authorization: `Bearer ${restricted}` },
      })
    ).json()) as { matches: Array<{ name: string }> };
    expect(search.matches.map((m) => m.name)).toEqual(['crm__echo']);
    const described = await fetch(`${served.url}/api/v1/tools/hr__echo`, {
      headers: { authorization: `Bearer ${restricted}` },
    });
    expect(described.status).toBe(404);
    expect(
      (await fetch(`${served.url}/api/v1/tools/hr__echo`, { headers: { authorization: `Bearer ${open}` } }))
        .status,
    ).toBe(200);
  });

  it('calling a forbidden tool answers like an unknown tool on every path, and nothing reaches the upstream', async () => {
    const before = calls().length;
    const unknown = 'nope__echo';
    // MCP through the SDK client, both eras (2026-07-28 calls take the fast path when plain).
    for (const era of ['2025-11-25', '2026-07-28'] as const) {
      const c = await client(served.url, era, restricted);
      const missing = text(await c.callTool({ name: unknown, arguments: { message: 'x' } }));
      expect(missing).toMatch(/^GATEWAY_TOOL_NOT_FOUND/);
      for (const name of FORBIDDEN) {
        const r = await c.callTool({ name, arguments: { message: 'x', a: 1, b: 2, ms: 1 } });
        expect(r.isError, `${era} ${name}`).toBe(true);
        expect(blank(text(r), name)).toBe(blank(missing, unknown));
      }
      await c.close();
    }
    // The fast path by hand (a plain 2026-07-28 tools/call answered without an SDK server).
    const fastMissing = await fastCall(served.url, restricted, unknown, {});
    for (const name of FORBIDDEN) {
      const r = await fastCall(served.url, restricted, name, { message: 'x', a: 1, b: 2 });
      expect(r.result.isError).toBe(true);
      expect(blank(JSON.stringify(r), name)).toBe(blank(JSON.stringify(fastMissing), unknown));
    }
    // REST execute.
    const execute = (bearer: string, name: string) =>
      fetch(`${served.url}/api/v1/tools/${name}/execute`, {
        method: 'POST',
        headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
        body: JSON.stringify({ arguments: { message: 'x', a: 1, b: 2 } }),
      });
    const restMissing = await execute(restricted, unknown);
    const restMissingBody = (await restMissing.json()) as Record<string, unknown>;
    for (const name of FORBIDDEN) {
      const r = await execute(restricted, name);
      expect(r.status).toBe(restMissing.status);
      const body = (await r.json()) as Record<string, unknown>;
      // Everything but the request id and the time is the same.
      const { requestId: _a, timestamp: _at, ...a } = body;
      const { requestId: _b, timestamp: _bt, ...b } = restMissingBody;
      expect(blank(JSON.stringify(a), name)).toBe(blank(JSON.stringify(b), unknown));
    }
    expect(calls().length).toBe(before);

    // The allowed tools do reach the upstream, through the same paths.
    const c = await client(served.url, '2025-11-25', restricted);
    expect(text(await c.callTool({ name: 'crm__echo', arguments: { message: 'hi' } }))).toBe('crm: hi');
    await c.close();
    expect(text((await fastCall(served.url, restricted, 'billing-eu__add', { a: 2, b: 3 })).result)).toBe(
      '5',
    );
    expect(text(await (await execute(restricted, 'crm__add')).json())).toBe('3');
    expect(calls().slice(before)).toEqual(['crm echo', 'billing-eu add', 'crm add']);
  });

  it('GET /health/detailed shows a narrowed token only its upstreams, and counts and flags only its tools', async () => {
    type Detailed = {
      tools: number;
      upstreams: Array<{ name: string; tools: number | null; connected: boolean }>;
      report: {
        upstreams: Array<{ name: string; tools: number }>;
        flagged: Array<{ upstream: string; tool: string }>;
      };
    };
    const detailed = async (bearer: string) => {
      const r = await fetch(`${served.url}/health/detailed`, {
        headers: { authorization: `Bearer ${bearer}` },
      });
      expect(r.status).toBe(200);
      return (await r.json()) as Detailed;
    };
    const counts = (list: Array<{ name: string; tools: number | null }>) =>
      list.map((u) => [u.name, u.tools]);
    const flagged = (d: Detailed) => d.report.flagged.map((f) => `${f.upstream}/${f.tool}`).sort();

    // An unrestricted token sees every upstream with all its tools, and every flagged description.
    const wide = await detailed(open);
    expect(wide.upstreams.map((u) => u.name)).toEqual(['billing-eu', 'crm', 'hr']);
    const all = (await gateway.listTools()).length;
    expect(wide.tools).toBe(all);
    expect(flagged(wide)).toEqual(['billing-eu/poisoned', 'crm/poisoned', 'hr/poisoned']);
    const own = Object.fromEntries(counts(wide.upstreams));

    // Narrowed to servers crm and billing-* and some of their tools: hr is nowhere in the answer, the counts are
    // the tools the token may use, and a flagged tool outside its list is not named.
    const narrow = await detailed(restricted);
    expect(counts(narrow.upstreams)).toEqual([
      ['billing-eu', 1],
      ['crm', 2],
    ]);
    expect(counts(narrow.report.upstreams)).toEqual([
      ['billing-eu', 1],
      ['crm', 2],
    ]);
    expect(narrow.tools).toBe(ALLOWED.length);
    expect(narrow.report.flagged).toEqual([]);
    expect(JSON.stringify(narrow)).not.toMatch(/\bhr\b/);
    expect(narrow.upstreams.every((u) => u.connected)).toBe(true);

    // Narrowed to servers only: those upstreams in full (their own counts, their flagged tools), no others.
    const crmOnly = tokens.create({ name: 'crm-only', allowedServers: ['crm'] }).token;
    const servers = await detailed(crmOnly);
    expect(counts(servers.upstreams)).toEqual([['crm', own.crm]]);
    expect(flagged(servers)).toEqual(['crm/poisoned']);
    expect(servers.tools).toBe(all / 3);
  });

  it('meta-tools: search and describe see only allowed tools; call_tool of a forbidden one is unknown', async () => {
    const before = calls().length;
    const c = await client(metaServed.url, '2026-07-28', restricted);
    const found = await c.callTool({
      name: 'search_tools',
      arguments: { query: 'echo message back', limit: 50 },
    });
    const names = (found.structuredContent as { matches: Array<{ name: string }> }).matches.map(
      (m) => m.name,
    );
    expect(names).toContain('crm__echo');
    for (const name of FORBIDDEN) expect(names).not.toContain(name);
    const describeMissing = text(
      await c.callTool({ name: 'describe_tool', arguments: { name: 'nope__echo' } }),
    );
    expect(describeMissing).toMatch(/^GATEWAY_TOOL_NOT_FOUND/);
    const describeForbidden = text(
      await c.callTool({ name: 'describe_tool', arguments: { name: 'hr__echo' } }),
    );
    expect(blank(describeForbidden, 'hr__echo')).toBe(blank(describeMissing, 'nope__echo'));
    const missing = text(
      await c.callTool({ name: 'call_tool', arguments: { name: 'nope__echo', arguments: { message: 'x' } } }),
    );
    for (const name of FORBIDDEN) {
      const r = await c.callTool({ name: 'call_tool', arguments: { name, arguments: { message: 'x' } } });
      expect(r.isError).toBe(true);
      expect(blank(text(r), name)).toBe(blank(missing, 'nope__echo'));
    }
    expect(calls().length).toBe(before);
    await c.close();
    // The open token's meta search does find the tools the restricted one cannot see.
    const wide = await client(metaServed.url, '2026-07-28', open);
    const all = await wide.callTool({
      name: 'search_tools',
      arguments: { query: 'echo message back', limit: 50 },
    });
    expect(
      (all.structuredContent as { matches: Array<{ name: string }> }).matches.map((m) => m.name),
    ).toEqual(expect.arrayContaining(['hr__echo', 'billing-eu__echo']));
    await wide.close();
  });
});

/** The in-test control plane, recording the tool calls that reach it. */
class RecordingControlPlane extends FakeControlPlane {
  override async callTool(name: string, tool: string, args: Record<string, unknown>) {
    this.calls.push({ method: 'callTool', args: { name, tool } });
    return super.callTool(name, tool, args);
  }
}

describe('the factory operations', () => {
  let cp: RecordingControlPlane;
  let factoryNarrow: string;
  const spec = (name: string) => ({
    name,
    version: '1.0.0',
    tools: [
      { name: 'hello', description: 'Say hello', static: { text: 'hello' } },
      { name: 'secret', description: 'Say a secret', static: { text: 'psst' } },
    ],
  });

  beforeAll(async () => {
    cp = new RecordingControlPlane(registry);
    for (const name of ['crm', 'hr'])
      await cp.create({
        spec: specFromSource({ spec: spec(name) }, { allowLocalFiles: false }),
        specDir: work,
        actor: 'test',
      });
    factoryNarrow = tokens.create({
      name: 'crm-hello',
      allowedServers: ['crm'],
      allowedTools: ['hello', 'hel*x'],
    }).token;
  });

  const as = (bearer: string) => operationContext(cp, bearer);

  it('a server outside the list answers like a missing server, and is left out of listings', async () => {
    const narrow = await as(restricted);
    const wide = await as(open);
    const missing = await failure(invoke(serverStatus, narrow, { name: 'ghost' }));
    const hidden = await failure(invoke(serverStatus, narrow, { name: 'hr' }));
    expect(hidden.code).toBe('REGISTRY_NOT_FOUND');
    expect([hidden.code, blank(hidden.message, 'hr')]).toEqual([
      missing.code,
      blank(missing.message, 'ghost'),
    ]);
    expect((await invoke(serverStatus, wide, { name: 'hr' })).server.name).toBe('hr');
    expect((await invoke(serverStatus, narrow, { name: 'crm' })).server.name).toBe('crm');
    const names = async (ctx: OperationContext) =>
      (await invoke(listServers, ctx, {})).servers.map((s) => s.name).sort();
    expect(await names(narrow)).toEqual(['crm']);
    expect(await names(wide)).toEqual(['crm', 'hr']);
    // The audit trail (everything, for a service token) leaves out the entries about servers outside the list.
    const targets = async (ctx: OperationContext) =>
      new Set((await invoke(listAudit, ctx, {})).entries.map((e) => e.target));
    expect([...(await targets(wide))]).toEqual(expect.arrayContaining(['crm', 'hr']));
    expect([...(await targets(narrow))]).toContain('crm');
    expect([...(await targets(narrow))]).not.toContain('hr');
  });

  it('a server outside the list cannot be created, whether or not the name exists; inside it can', async () => {
    const narrow = await as(factoryNarrow);
    const callsBefore = cp.calls.length;
    for (const name of ['hr', 'hr-two']) {
      const refused = await failure(invoke(createServer, narrow, { spec: spec(name), force: true }));
      expect([refused.code, blank(refused.message, name)]).toEqual([
        'API_FORBIDDEN',
        'crm-hello may not create a server named <tool>: the token is restricted to other servers',
      ]);
    }
    expect(cp.calls.slice(callsBefore)).toEqual([]);
    const made = await invoke(createServer, narrow, { spec: spec('crm'), force: true, runTests: false });
    expect(made.name).toBe('crm');
    expect(cp.calls.slice(callsBefore).map((c) => c.method)).toEqual(['create']);
  });

  it('a tool outside the list answers like a missing tool, never reaching the server; search leaves it out', async () => {
    const narrow = await as(factoryNarrow);
    const wide = await as(open);
    // What a tool crm does not have answers: to an unrestricted token, the control plane's list of its tools;
    // to the narrowed one (`helpx` is in its list, not on the server), the same error without the list.
    const listed = await failure(invoke(callToolOp, wide, { server: 'crm', tool: 'nope' }));
    expect(listed.message).toContain('secret');
    const missing = await failure(invoke(callToolOp, narrow, { server: 'crm', tool: 'helpx' }));
    expect(missing.code).toBe('TOOL_NOT_FOUND');
    expect(missing.message).not.toContain('secret');
    const callsBefore = cp.calls.length;
    // `secret` exists on crm, but the token's tools (`hello`) do not cover it.
    const hidden = await failure(invoke(callToolOp, narrow, { server: 'crm', tool: 'secret' }));
    expect(hidden.code).toBe('TOOL_NOT_FOUND');
    expect([hidden.code, blank(hidden.message, 'secret')]).toEqual([
      missing.code,
      blank(missing.message, 'helpx'),
    ]);
    expect(cp.calls.slice(callsBefore)).toEqual([]);
    const ok = await invoke(callToolOp, narrow, { server: 'crm', tool: 'hello' });
    expect(ok.isError).toBe(false);
    expect(cp.calls.slice(callsBefore)).toEqual([
      { method: 'callTool', args: { name: 'crm', tool: 'hello' } },
    ]);
    const found = async (ctx: OperationContext) =>
      (await invoke(searchToolsOp, ctx, { query: 'say secret hello' })).matches.map(
        (m) => `${m.server}/${m.tool}`,
      );
    expect(await found(narrow)).toEqual(['crm/hello']);
    expect(await found(wide)).toEqual(expect.arrayContaining(['crm/secret', 'hr/secret', 'hr/hello']));
  });
});

describe('server_status and server_stats of a narrowed token', () => {
  let cp: FakeControlPlane;
  let mcp: Awaited<ReturnType<typeof serveFactoryMcpHttp>>;
  let api: Api;
  let narrowed: string;
  /** GET on the factory's HTTP API as a bearer. */
  const get = async (path: string, bearer: string) => {
    const r = await api.fetch(
      new Request(`http://127.0.0.1${path}`, { headers: { authorization: `Bearer ${bearer}` } }),
    );
    // biome-ignore lint/suspicious/noExplicitAny: parsed JSON, checked by the assertions
    return { status: r.status, body: (await r.json()) as any };
  };

  beforeAll(async () => {
    cp = new FakeControlPlane(registry);
    for (const name of ['ops', 'payroll'])
      await cp.create({
        spec: specFromSource(
          {
            spec: {
              name,
              version: '1.0.0',
              tools: [
                { name: 'ping', description: 'Ping', static: { text: 'pong' } },
                { name: 'wipe', description: 'Wipe', static: { text: 'gone' } },
              ],
            },
          },
          { allowLocalFiles: false },
        ),
        specDir: work,
        actor: 'test',
      });
    narrowed = tokens.create({
      name: 'ops-ping',
      allowedServers: ['ops'],
      allowedTools: ['ops__ping'],
    }).token;
    await registry.recordCalls([
      { server: 'ops', tool: 'ping', ok: true, latencyMs: 4 },
      { server: 'ops', tool: 'ping', ok: true, latencyMs: 6 },
      { server: 'ops', tool: 'wipe', ok: false, latencyMs: 2_000 },
    ]);
    mcp = await serveFactoryMcpHttp({ controlPlane: cp, registry, tokens, access, port: 0 });
    api = createApi({ controlPlane: cp, registry, tokens, access });
  });

  afterAll(async () => {
    await mcp?.close();
  });

  const as = (bearer: string) => operationContext(cp, bearer);

  it('server_status lists only the tools the token may use: the operation, the HTTP API, the MCP server', async () => {
    const names = (s: { tools: Array<{ name: string }> }) => s.tools.map((t) => t.name);
    expect(names(await invoke(serverStatus, await as(open), { name: 'ops' }))).toEqual(['ping', 'wipe']);
    expect(names(await invoke(serverStatus, await as(narrowed), { name: 'ops' }))).toEqual(['ping']);

    expect(names((await get('/mcp/servers/ops', open)).body)).toEqual(['ping', 'wipe']);
    const viaApi = await get('/mcp/servers/ops', narrowed);
    expect(viaApi.status).toBe(200);
    expect(names(viaApi.body)).toEqual(['ping']);
    expect(JSON.stringify(viaApi.body)).not.toContain('wipe');

    const c = await client(mcp.url, '2026-07-28', narrowed);
    const status = await c.callTool({ name: 'server_status', arguments: { name: 'ops' } });
    expect(status.isError).toBeFalsy();
    expect(names(status.structuredContent as { tools: Array<{ name: string }> })).toEqual(['ping']);
    expect(text(status)).not.toContain('wipe');
    // A server outside the list answers exactly like a missing one.
    const hidden = await c.callTool({ name: 'server_status', arguments: { name: 'payroll' } });
    const missing = await c.callTool({ name: 'server_status', arguments: { name: 'ghost' } });
    expect(hidden.isError).toBe(true);
    expect(blank(text(hidden), 'payroll')).toBe(blank(text(missing), 'ghost'));
    await c.close();
  });

  it('server_stats counts only the tools the token may use, in the total too; another tool reads as never called', async () => {
    const wide = await invoke(serverStats, await as(open), { name: 'ops' });
    expect(wide.tools.map((t) => [t.tool, t.calls])).toEqual([
      ['ping', 2],
      ['wipe', 1],
    ]);
    expect(wide.total).toMatchObject({ calls: 3, errors: 1 });

    const narrow = await invoke(serverStats, await as(narrowed), { name: 'ops' });
    expect(narrow.tools.map((t) => [t.tool, t.calls])).toEqual([['ping', 2]]);
    const { tool: _tool, ...ping } = narrow.tools[0]!;
    expect(narrow.total).toEqual(ping);
    expect(narrow.total).toMatchObject({ calls: 2, errors: 0, maxMs: 6 });

    // Asking for a tool outside the list answers like asking for a tool that was never called.
    const ctx = await as(narrowed);
    const window = { since: '', until: '' };
    const hidden = { ...(await invoke(serverStats, ctx, { name: 'ops', tool: 'wipe' })), ...window };
    const never = { ...(await invoke(serverStats, ctx, { name: 'ops', tool: 'nope' })), ...window };
    expect(hidden).toEqual(never);
    expect(hidden.total.calls).toBe(0);

    // The HTTP API's route answers the same.
    const viaApi = await get('/mcp/servers/ops/stats', narrowed);
    expect(viaApi.status).toBe(200);
    expect(viaApi.body.tools.map((t: { tool: string }) => t.tool)).toEqual(['ping']);
    expect(viaApi.body.total).toMatchObject({ calls: 2, errors: 0 });
    expect((await get('/mcp/servers/ops/stats?tool=wipe', narrowed)).body.total.calls).toBe(0);
    expect((await get('/mcp/servers/ops/stats', open)).body.total.calls).toBe(3);

    // A server outside the list answers exactly like a missing one (the operation and the HTTP API).
    const strip = (body: Record<string, unknown>, name: string) => {
      const { requestId: _r, timestamp: _t, ...rest } = body;
      return blank(JSON.stringify(rest), name);
    };
    const [apiOutside, apiMissing] = [
      await get('/mcp/servers/payroll/stats', narrowed),
      await get('/mcp/servers/ghost/stats', narrowed),
    ];
    expect([apiOutside.status, strip(apiOutside.body, 'payroll')]).toEqual([
      404,
      strip(apiMissing.body, 'ghost'),
    ]);
    const outside = await failure(invoke(serverStats, ctx, { name: 'payroll' }));
    const missing = await failure(invoke(serverStats, ctx, { name: 'ghost' }));
    expect(outside.code).toBe('REGISTRY_NOT_FOUND');
    expect([outside.code, blank(outside.message, 'payroll'), JSON.stringify(outside.details)]).toEqual([
      missing.code,
      blank(missing.message, 'ghost'),
      JSON.stringify(missing.details).replace('ghost', 'payroll'),
    ]);
  });
});

describe('personal tokens over the API', () => {
  it('POST /auth/tokens takes servers and tools, refuses bad patterns writing nothing, and the API enforces them', async () => {
    const f = await startFactory();
    try {
      for (const name of ['crm', 'hr'])
        await f.cp.create({
          spec: specFromSource(
            {
              spec: {
                name,
                version: '1.0.0',
                tools: [{ name: 'hi', description: 'Hi', static: { text: 'hi' } }],
              },
            },
            { allowLocalFiles: false },
          ),
          specDir: f.home,
          actor: 'test',
        });
      await f.users.create(LOCAL, 'test', { name: 'pat', role: 'developer', password: PASSWORD });
      const { access } = await f.login('pat');
      const bad = await f.send('POST', '/auth/tokens', {
        token: access,
        body: { name: 'pat-bad', servers: ['crm', 'no spaces'] },
      });
      expect(bad.status, bad.text).toBe(400);
      expect(bad.body.error).toBe('INVALID_ARGUMENTS');
      expect(bad.body.message).toContain('invalid server pattern "no spaces"');
      expect(f.tokens.list().map((t) => t.name)).toEqual([]);
      const made = await f.send('POST', '/auth/tokens', {
        token: access,
        body: { name: 'pat-crm', servers: ['crm'], tools: ['crm__hi'] },
      });
      expect(made.status, made.text).toBe(201);
      expect(made.body).toMatchObject({ allowedServers: ['crm'], allowedTools: ['crm__hi'] });
      const listed = await f.send('GET', '/auth/tokens', { token: access });
      expect(listed.body.tokens[0]).toMatchObject({ name: 'pat-crm', allowedServers: ['crm'] });
      const names = async (token: string) =>
        ((await f.send('GET', '/mcp/servers', { token })).body.servers as Array<{ name: string }>)
          .map((s) => s.name)
          .sort();
      expect(await names(access)).toEqual(['crm', 'hr']);
      expect(await names(made.body.token)).toEqual(['crm']);
      const hidden = await f.send('GET', '/mcp/servers/hr', { token: made.body.token });
      const ghost = await f.send('GET', '/mcp/servers/ghost', { token: made.body.token });
      expect(hidden.status).toBe(404);
      expect([hidden.body.error, blank(hidden.body.message, 'hr')]).toEqual([
        ghost.body.error,
        blank(ghost.body.message, 'ghost'),
      ]);
      expect((await f.send('GET', '/mcp/servers/hr', { token: access })).status).toBe(200);
    } finally {
      await f.close();
    }
  });
});
