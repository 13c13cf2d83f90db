/**
 * The factory as an MCP server, with the SDK v2 client in both protocol eras: over Streamable HTTP in-process
 * (an in-test control plane over a real registry: tools, annotations, errors, auth, quota), and over stdio
 * through the real `mcp-factory mcp` command with the real control plane (validate, create, search).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenStore } from '../../src/identity/tokens.js';
import { openRegistry, type Registry } from '../../src/store/index.js';
import { serveFactoryMcpHttp } from '../../src/surfaces/mcp/index.js';
import { FakeControlPlane } from '../api/fake-control-plane.js';
import { connectHttp, ERAS, type Era, newClient, textOf } from '../helpers/mcp.js';
import { cliBundle, removeCliBundle } from './cli-bundle.js';

const TOOLS = [
  'call_tool',
  'cancel_job',
  'create_server',
  'deploy_server',
  'get_job',
  'list_jobs',
  'list_servers',
  'remove_server',
  'search_tools',
  'server_status',
  'start_server',
  'stop_server',
  'submit_job',
  'validate_spec',
];
/** A factory with a home (the CLI's `mcp`) also has the toolsmith's tools. */
const WITH_TOOLSMITH = [
  ...TOOLS,
  'analyze_data',
  'toolsmith_archive',
  'toolsmith_review',
  'toolsmith_rollback',
  'toolsmith_run',
  'toolsmith_runs',
].sort();

const GOOD = {
  name: 'weather-desk',
  version: '1.0.0',
  tools: [
    {
      name: 'forecast',
      description: 'Weather forecast for a city',
      parameters: { city: { type: 'string', required: true } },
      static: { text: 'Sunny in {{city}}' },
    },
  ],
};
const BAD = { name: 'Bad Name', tools: [{ name: 'x', description: 'd' }], extra: true };

// biome-ignore lint/suspicious/noExplicitAny: structured tool results, checked by the assertions
type Structured = any;

async function call(client: Client, name: string, args: Record<string, unknown> = {}) {
  const result = await client.callTool({ name, arguments: args });
  return {
    isError: Boolean(result.isError),
    text: textOf(result),
    data: result.structuredContent as Structured,
  };
}

async function checkToolList(client: Client, expected = TOOLS): Promise<void> {
  const { tools } = await client.listTools();
  expect(tools.map((t) => t.name).sort()).toEqual(expected);
  const byName = Object.fromEntries(tools.map((t) => [t.name, t]));
  for (const t of tools) {
    expect(t.description, t.name).toBeTruthy();
    expect(t.inputSchema.type).toBe('object');
    expect(t.outputSchema?.type, t.name).toBe('object');
  }
  expect(byName.remove_server!.annotations).toMatchObject({ destructiveHint: true, readOnlyHint: false });
  for (const ro of ['list_servers', 'server_status', 'validate_spec', 'search_tools'])
    expect(byName[ro]!.annotations, ro).toMatchObject({ readOnlyHint: true });
  expect(byName.call_tool!.annotations).toMatchObject({ openWorldHint: true, readOnlyHint: false });
  expect(byName.create_server!.inputSchema.properties).toHaveProperty('specText');
}

async function checkValidation(client: Client): Promise<void> {
  const good = await call(client, 'validate_spec', { spec: GOOD });
  expect(good.isError).toBe(false);
  expect(good.data).toMatchObject({ ok: true, name: 'weather-desk', tools: 1, issues: [] });
  const bad = await call(client, 'validate_spec', { spec: BAD });
  expect(bad.isError).toBe(false);
  expect(bad.data.ok).toBe(false);
  expect(bad.data.issues.map((i: { path: string }) => i.path)).toEqual(
    expect.arrayContaining(['name', 'extra']),
  );
  expect(bad.text).toContain('hint:');
  const yaml = await call(client, 'validate_spec', { specText: 'name: x\ntools:\n  - name: [' });
  expect(yaml.data.ok).toBe(false);
  expect(yaml.data.issues[0]).toMatchObject({ code: 'SPEC_SYNTAX', line: expect.any(Number) });
  const neither = await call(client, 'validate_spec', {});
  expect(neither.data.ok).toBe(false);
}

describe('over Streamable HTTP (in-test control plane)', () => {
  let home: string;
  let registry: Registry;
  let cp: FakeControlPlane;
  let tokens: TokenStore;
  let served: Awaited<ReturnType<typeof serveFactoryMcpHttp>>;
  let auth: Record<string, string>;

  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), 'mcpf-mcp-'));
    registry = await openRegistry({ home });
    cp = new FakeControlPlane(registry);
    tokens = TokenStore.open({ home });
    auth = { authorization: `Bearer ${tokens.create({ name: 'agent' }).token}` };
    served = await serveFactoryMcpHttp({
      controlPlane: cp,
      registry,
      tokens,
      limits: { requestsPerMinute: 100_000, burst: 10_000 },
      port: 0,
    });
  });

  afterAll(async () => {
    await served.close();
    await registry.close();
    rmSync(home, { recursive: true, force: true });
  });

  describe.each(ERAS)('protocol %s', (era: Era) => {
    let client: Client;
    beforeAll(async () => {
      client = await connectHttp(`${served.url}/mcp`, era, auth);
    });
    afterAll(() => client.close());

    it('lists the tools with schemas and annotations', () => checkToolList(client));

    it('validates good and bad specs (issues returned)', () => checkValidation(client));

    it('creates a server and finds its tools, with the token name as the actor', async () => {
      const name = `desk-${era.replace(/-/g, '')}`;
      const created = await call(client, 'create_server', { spec: { ...GOOD, name } });
      expect(created.isError, created.text).toBe(false);
      expect(created.data).toMatchObject({ name, revision: 1 });
      expect(cp.calls.at(-1)).toMatchObject({ method: 'create', args: { name, actor: 'agent' } });
      const found = await call(client, 'search_tools', { query: 'weather forecast' });
      expect(found.data.matches.map((m: { server: string }) => m.server)).toContain(name);
      const list = await call(client, 'list_servers');
      expect(list.data.servers.map((s: { name: string }) => s.name)).toContain(name);
      const deployed = await call(client, 'deploy_server', { name, target: 'local' });
      expect(deployed.data).toMatchObject({ server: name, status: 'running' });
      const status = await call(client, 'server_status', { name });
      expect(status.data.tools).toEqual([{ name: 'forecast', description: 'Weather forecast for a city' }]);
      const called = await call(client, 'call_tool', {
        server: name,
        tool: 'forecast',
        arguments: { city: 'Oslo' },
      });
      expect(called).toMatchObject({
        isError: false,
        data: { structuredContent: { echo: { city: 'Oslo' } } },
      });
      expect((await call(client, 'stop_server', { name })).data).toEqual({ name, desired: 'stopped' });
      expect((await call(client, 'start_server', { name })).data).toEqual({ name, desired: 'running' });
      expect((await call(client, 'remove_server', { name })).data).toEqual({ name, removed: true });
      const audit = await registry.listAudit({ target: name });
      expect(audit.length).toBeGreaterThan(2);
      expect(audit.every((e) => e.actor === 'agent')).toBe(true);
    });

    it('reports failures as error results with the code and hint', async () => {
      const missing = await call(client, 'server_status', { name: 'no-such-server' });
      expect(missing.isError).toBe(true);
      expect(missing.text).toMatch(/^REGISTRY_NOT_FOUND: /);
      expect(missing.text).toContain('hint:');
      expect(missing.data).toMatchObject({ error: 'REGISTRY_NOT_FOUND', hint: expect.any(String) });
      const invalid = await call(client, 'create_server', { spec: BAD });
      expect(invalid.isError).toBe(true);
      expect(invalid.data.issues.length).toBeGreaterThan(1);
      const files = await call(client, 'create_server', {
        spec: {
          name: 'files',
          connections: [{ name: 'db', type: 'sqlite', path: 'data.db' }],
          tools: [{ name: 'q', description: 'q', sql: { connection: 'db', statement: 'SELECT 1' } }],
        },
      });
      expect(files.isError).toBe(true);
      expect(files.data.issues[0].path).toBe('connections[0].path');
      const badArgs = await call(client, 'deploy_server', { name: 'Not Valid' });
      expect(badArgs.isError).toBe(true);
    });
  });

  it('refuses requests without a valid token, and foreign hosts', async () => {
    const noToken = await fetch(`${served.url}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(noToken.status).toBe(401);
    expect(noToken.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((await noToken.json()).error).toBe('API_UNAUTHORIZED');
    await expect(
      connectHttp(`${served.url}/mcp`, '2026-07-28', { authorization: 'Bearer mcpf_wrong' }),
    ).rejects.toThrow();
    // fetch() cannot set Host: send the request with node:http.
    const foreign = await new Promise<{ status: number }>((resolve, reject) => {
      const req = request(
        `${served.url}/mcp`,
        { method: 'POST', headers: { ...auth, host: 'evil.example' } },
        (res) => {
          res.resume();
          resolve({ status: res.statusCode ?? 0 });
        },
      );
      req.on('error', reject);
      req.end('{}');
    });
    expect(foreign.status).toBe(403);
  });

  it("applies the token's server limit to create_server", async () => {
    const { token } = tokens.create({ name: 'no-servers', maxServers: 0 });
    const client = await connectHttp(`${served.url}/mcp`, '2026-07-28', { authorization: `Bearer ${token}` });
    try {
      const r = await call(client, 'create_server', { spec: { ...GOOD, name: 'over-quota' } });
      expect(r.isError).toBe(true);
      expect(r.data.error).toBe('API_SERVER_QUOTA_EXCEEDED');
    } finally {
      await client.close();
    }
  });
});

describe('over stdio: mcp-factory mcp (real control plane)', () => {
  let home: string;
  let bundle: string;

  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), 'mcpf-mcp-stdio-'));
    bundle = await cliBundle();
  });
  afterAll(async () => {
    rmSync(home, { recursive: true, force: true });
    await removeCliBundle();
  });

  async function connect(era: Era): Promise<Client> {
    const client = newClient(era);
    await client.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [bundle, 'mcp', '--transport', 'stdio', '--home', home],
        env: { ...(process.env as Record<string, string>), MCP_FACTORY_REGISTRY_URL: '' },
        stderr: 'ignore',
      }),
    );
    return client;
  }

  describe.each(ERAS)('protocol %s', (era: Era) => {
    let client: Client;
    beforeAll(async () => {
      client = await connect(era);
    });
    afterAll(() => client.close());

    it('lists the tools with schemas and annotations', () => checkToolList(client, WITH_TOOLSMITH));

    it('validates good and bad specs', () => checkValidation(client));

    it('creates a server through the real pipeline and finds it in the capability index', async () => {
      const name = `stdio-${era.replace(/-/g, '')}`;
      const created = await call(client, 'create_server', { spec: { ...GOOD, name }, runTests: false });
      expect(created.isError, created.text).toBe(false);
      expect(created.data).toMatchObject({ name, revision: 1, version: '1.0.0' });
      expect(created.data.projectDir.startsWith(home)).toBe(true);
      expect(created.data.steps.map((s: { step: string }) => s.step)).toEqual(
        expect.arrayContaining(['bundle']),
      );
      const again = await call(client, 'create_server', { spec: { ...GOOD, name }, runTests: false });
      expect(again.isError).toBe(true);
      expect(again.data.error).toBe('SERVER_EXISTS');
      const found = await call(client, 'search_tools', { query: 'forecast' });
      expect(found.data.matches.map((m: { server: string }) => m.server)).toContain(name);
      const status = await call(client, 'server_status', { name });
      expect(status.data.server).toMatchObject({ name, currentRevision: 1 });
      expect(status.data.versions[0].createdBy).toMatch(/^mcp(:|$)/);
      const missing = await call(client, 'server_status', { name: 'nope' });
      expect(missing).toMatchObject({ isError: true, data: { error: 'REGISTRY_NOT_FOUND' } });
    });
  });
});
