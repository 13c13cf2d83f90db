import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createControlPlane, type LocalControlPlane } from '../../src/deploy/index.js';
import { openRegistry, type Registry } from '../../src/store/index.js';
import { type Api, createApi, TokenStore } from '../../src/surfaces/api/index.js';
import { ensureBuilt } from '../helpers/build.js';
import { startFakeProvider } from '../llm/fake-provider.js';
import { FAKE_KEY, loadTranscript } from '../llm/helpers.js';

const _ROOT = resolve(import.meta.dirname, '../..');

const SPEC = {
  name: 'e2e-greeter',
  version: '1.0.0',
  tools: [
    {
      name: 'hello',
      description: 'Greet someone by name',
      parameters: { name: { type: 'string', required: true } },
      static: { text: 'Hello {{name}}!' },
    },
  ],
};

describe('HTTP API over the real control plane', () => {
  let home: string;
  let registry: Registry;
  let cp: LocalControlPlane;
  let api: Api;
  let token: string;

  const send = async (method: string, path: string, body?: unknown) => {
    const res = await api.fetch(
      new Request(`http://127.0.0.1${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        ...(body ? { body: JSON.stringify(body) } : {}),
      }),
    );
    const text = await res.text();
    return { status: res.status, text, body: text ? JSON.parse(text) : undefined };
  };

  beforeAll(async () => {
    ensureBuilt();
    home = mkdtempSync(join(tmpdir(), 'mcpf-api-e2e-'));
    registry = await openRegistry({ home });
    cp = createControlPlane({ home, registry, supervisorEnv: { ...process.env, MCP_FACTORY_HOME: home } });
    const tokens = TokenStore.open({ home });
    token = tokens.create({ name: 'e2e-bot' }).token;
    api = createApi({ controlPlane: cp, registry, tokens });
  });

  afterAll(async () => {
    await cp.supervisor.shutdown(true).catch(() => undefined);
    await cp.close();
    await registry.close();
    rmSync(home, { recursive: true, force: true });
  });

  it('creates, deploys, calls, stops, starts and removes a server', async () => {
    const created = await send('POST', '/mcp/create', SPEC);
    expect(created.status, created.text).toBe(201);
    expect(created.body).toMatchObject({ name: 'e2e-greeter', revision: 1 });
    expect(created.body.steps.map((s: { step: string }) => s.step)).toContain('generated-tests');

    const again = await send('POST', '/mcp/create', SPEC);
    expect(again.status).toBe(409);
    expect(again.body.error).toBe('SERVER_EXISTS');

    const deployed = await send('POST', '/mcp/deploy/e2e-greeter', { target: 'local' });
    expect(deployed.status, deployed.text).toBe(200);
    expect(deployed.body).toMatchObject({ server: 'e2e-greeter', target: 'local', status: 'running' });
    expect(deployed.body.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+/);

    const status = await send('GET', '/mcp/servers/e2e-greeter');
    expect(status.status, status.text).toBe(200);
    expect(status.body.deployments[0]).toMatchObject({ status: 'running' });
    expect(status.body.tools).toEqual([{ name: 'hello', description: 'Greet someone by name' }]);

    const call = await send('POST', '/mcp/servers/e2e-greeter/call', {
      tool: 'hello',
      arguments: { name: 'Ada' },
    });
    expect(call.status, call.text).toBe(200);
    expect(call.body).toMatchObject({ isError: false, text: 'Hello Ada!' });

    const logs = await send('GET', '/mcp/servers/e2e-greeter/logs?tail=50');
    expect(logs.status, logs.text).toBe(200);
    expect(logs.body.lines.length).toBeGreaterThan(0);

    expect((await send('POST', '/mcp/servers/e2e-greeter/stop')).status).toBe(200);
    expect((await send('GET', '/mcp/servers/e2e-greeter')).body.deployments[0]).toMatchObject({
      desired: 'stopped',
      status: 'stopped',
    });
    expect((await send('POST', '/mcp/servers/e2e-greeter/start')).status).toBe(200);
    const restarted = await send('POST', '/mcp/servers/e2e-greeter/call', {
      tool: 'hello',
      arguments: { name: 'Bo' },
    });
    expect(restarted.body.text).toBe('Hello Bo!');

    const removed = await send('DELETE', '/mcp/servers/e2e-greeter');
    expect(removed.status, removed.text).toBe(200);
    expect((await send('GET', '/mcp/servers')).body.servers).toEqual([]);

    const audit = await send('GET', '/mcp/audit?target=e2e-greeter&limit=100');
    // Management actions carry the token's name; the supervisor records its own state changes as itself.
    const entries = audit.body.entries as Array<{ actor: string; action: string }>;
    const ours = entries.filter((e) => e.actor !== 'supervisor');
    expect(ours.length).toBeGreaterThan(3);
    for (const e of ours) expect(e.actor, e.action).toBe('e2e-bot');
    expect(ours.map((e) => e.action)).toEqual(
      expect.arrayContaining(['server.create', 'deployment.upsert', 'deployment.update', 'server.remove']),
    );
  });

  it('creates a server from a description (POST /mcp/create/natural) through a provider API', {
    timeout: 120_000,
  }, async () => {
    const fake = await startFakeProvider({ apiKey: FAKE_KEY });
    const saved = { ...process.env };
    try {
      writeFileSync(join(home, 'llm-config.json'), '{}');
      const t = loadTranscript('inventory-postgres');
      fake.push(...t.turns.map((turn) => turn.respond));
      Object.assign(process.env, {
        MCP_FACTORY_LLM_PROVIDER: 'anthropic',
        MCP_FACTORY_LLM_MODEL: 'claude-sonnet-4-5',
        MCP_FACTORY_LLM_BASE_URL: `${fake.url}/v1`,
        MCP_FACTORY_LLM_API_KEY_ENV: 'FAKE_LLM_KEY',
        FAKE_LLM_KEY: FAKE_KEY,
        MCP_FACTORY_CONFIG: join(home, 'llm-config.json'),
      });
      const created = await send('POST', '/mcp/create/natural', { description: t.prompt });
      expect(created.status, created.text).toBe(201);
      expect(created.body.envRefs.map((r: { name: string }) => r.name)).toContain('INVENTORY_DATABASE_URL');
      const status = await send('GET', `/mcp/servers/${created.body.name}`);
      expect(status.status).toBe(200);
      expect(fake.requests.length).toBeGreaterThanOrEqual(2); // the first draft had a literal secret and was repaired
    } finally {
      process.env = saved;
      await fake.close();
    }
  });
});
