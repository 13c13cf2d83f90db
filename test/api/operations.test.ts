/**
 * The management operations are defined once (surfaces/operations) and the HTTP API and the MCP server are
 * projections of that table: every projected route and tool is an operation of the table guarded by the
 * operation's permission, `invoke` asks the policy before a handler runs, and a denying policy is enforced by
 * both surfaces.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AccessControl } from '../../src/identity/access.js';
import { ALLOW_AUTHENTICATED, PERMISSIONS, type Policy } from '../../src/identity/policy.js';
import { TokenStore } from '../../src/identity/tokens.js';
import { openRegistry, type Registry } from '../../src/store/index.js';
import { createApi } from '../../src/surfaces/api/index.js';
import { OPERATION_ROUTES } from '../../src/surfaces/api/operation-routes.js';
import { serveFactoryMcpHttp } from '../../src/surfaces/mcp/index.js';
import { FACTORY_TOOLS } from '../../src/surfaces/mcp/tools.js';
import {
  invoke,
  OPERATIONS,
  type OperationContext,
  specFromSource,
  stopServer,
} from '../../src/surfaces/operations/index.js';
import { connectHttp } from '../helpers/mcp.js';
import { FakeControlPlane } from './fake-control-plane.js';

const SPEC = {
  name: 'ops-desk',
  version: '1.0.0',
  tools: [{ name: 'hello', description: 'Say hello', static: { text: 'hello' } }],
};

/** Lets a caller read servers and nothing else. */
const READ_ONLY: Policy = {
  decide: (_subject, permission) =>
    permission === 'servers.read' ? { allowed: true } : { allowed: false, reason: 'read-only' },
};

let home: string;
let registry: Registry;
let cp: FakeControlPlane;
let tokens: TokenStore;
let token: string;

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'mcpf-ops-'));
  registry = await openRegistry({ home });
  cp = new FakeControlPlane(registry);
  tokens = TokenStore.open({ home });
  token = tokens.create({ name: 'reader' }).token;
  await cp.create({
    spec: specFromSource({ spec: SPEC }, { allowLocalFiles: false }),
    specDir: home,
    actor: 'test',
  });
});

afterAll(async () => {
  await registry.close();
  rmSync(home, { recursive: true, force: true });
});

function context(policy: Policy): OperationContext {
  return {
    controlPlane: cp,
    registry,
    subject: { kind: 'local', name: 'tester' },
    policy,
    actor: 'tester',
    allowLocalFiles: false,
  };
}

describe('the operation table', () => {
  it('names each operation once, with a known permission, an object input and an output schema', () => {
    const names = OPERATIONS.map((o) => o.name);
    expect(new Set(names).size).toBe(names.length);
    for (const operation of OPERATIONS) {
      expect(PERMISSIONS, operation.name).toContain(operation.permission);
      expect(operation.input, operation.name).toBeInstanceOf(z.ZodObject);
      expect(operation.output, operation.name).toBeInstanceOf(z.ZodType);
      expect(operation.title && operation.description, operation.name).toBeTruthy();
    }
  });

  it('exposes operations of the table as the MCP tools, under their own names', () => {
    for (const tool of FACTORY_TOOLS) expect(OPERATIONS).toContain(tool.operation);
    expect(FACTORY_TOOLS.map((t) => t.operation.name)).toEqual([
      'validate_spec',
      'create_server',
      'deploy_server',
      'list_servers',
      'server_status',
      'call_tool',
      'search_tools',
      'remove_server',
      'stop_server',
      'start_server',
      'submit_job',
      'get_job',
      'list_jobs',
      'cancel_job',
    ]);
  });

  it('projects HTTP routes from operations of the table, each guarded by the operation permission', () => {
    const api = createApi({ controlPlane: cp, registry, tokens });
    for (const route of api.routes)
      if (!route.public) expect(PERMISSIONS, route.path).toContain(route.permission);
    for (const binding of OPERATION_ROUTES) {
      expect(OPERATIONS).toContain(binding.operation);
      const route = api.routes.find((r) => r.operationId === binding.operationId)!;
      expect(route, binding.operationId).toBeDefined();
      expect(route.permission).toBe(binding.operation.permission);
      expect(route.responses[binding.status]?.content?.['application/json']).toBe(binding.operation.output);
    }
    // HTTP-only endpoints (probes, sign-in, people) are not operations; every operation route is a projection.
    expect(
      api.routes
        .filter((r) => !OPERATION_ROUTES.some((b) => b.operationId === r.operationId))
        .filter(
          (r) =>
            !r.path.startsWith('/auth/') &&
            !r.path.startsWith('/.well-known/') &&
            !r.path.startsWith('/users') &&
            !r.path.startsWith('/teams'),
        )
        .map((r) => r.path),
    ).toEqual(['/health', '/live', '/ready', '/metrics', '/openapi.json']);
  });
});

describe('invoke', () => {
  it('runs the handler when the policy allows', async () => {
    expect(await invoke(stopServer, context(ALLOW_AUTHENTICATED), { name: SPEC.name })).toEqual({
      name: SPEC.name,
      desired: 'stopped',
    });
    expect(cp.calls.at(-1)).toMatchObject({ method: 'stop', args: { name: SPEC.name, actor: 'tester' } });
  });

  it('refuses with API_FORBIDDEN before the handler runs when the policy denies', async () => {
    const before = cp.calls.length;
    await expect(invoke(stopServer, context(READ_ONLY), { name: SPEC.name })).rejects.toMatchObject({
      code: 'API_FORBIDDEN',
      details: { permission: 'servers.control', subject: 'tester' },
    });
    expect(cp.calls.length).toBe(before);
  });
});

describe('a policy that denies', () => {
  it('is enforced by the HTTP API on operation routes and HTTP-only routes (public ones stay open)', async () => {
    const api = createApi({
      controlPlane: cp,
      registry,
      tokens,
      access: new AccessControl({ tokens, registry, policy: READ_ONLY }),
    });
    const send = (method: string, path: string) =>
      api.fetch(
        new Request(`http://127.0.0.1${path}`, { method, headers: { authorization: `Bearer ${token}` } }),
      );
    expect((await send('GET', '/mcp/servers')).status).toBe(200);
    expect((await send('GET', `/mcp/servers/${SPEC.name}`)).status).toBe(200);
    const before = cp.calls.length;
    const stopped = await send('POST', `/mcp/servers/${SPEC.name}/stop`);
    expect(stopped.status).toBe(403);
    expect(await stopped.json()).toMatchObject({
      error: 'API_FORBIDDEN',
      details: { permission: 'servers.control', subject: 'reader' },
    });
    expect(cp.calls.length).toBe(before);
    expect((await send('GET', '/metrics')).status).toBe(403);
    expect((await send('GET', '/health')).status).toBe(200);
  });

  it('is enforced by the MCP server over HTTP (an error result with the code)', async () => {
    const served = await serveFactoryMcpHttp({
      controlPlane: cp,
      registry,
      tokens,
      access: new AccessControl({ tokens, registry, policy: READ_ONLY }),
      port: 0,
    });
    let client: Client | undefined;
    try {
      client = await connectHttp(`${served.url}/mcp`, '2026-07-28', { authorization: `Bearer ${token}` });
      const listed = await client.callTool({ name: 'list_servers', arguments: {} });
      expect(listed.isError).toBeFalsy();
      const stopped = await client.callTool({ name: 'stop_server', arguments: { name: SPEC.name } });
      expect(stopped.isError).toBe(true);
      expect(stopped.structuredContent).toMatchObject({ error: 'API_FORBIDDEN' });
    } finally {
      await client?.close();
      await served.close();
    }
  });
});

describe('deploy_server: the container runtime', () => {
  const api = () =>
    createApi({
      controlPlane: cp,
      registry,
      tokens,
      access: new AccessControl({ tokens, registry, policy: ALLOW_AUTHENTICATED }),
    });
  const deploy = (body: unknown) =>
    api().fetch(
      new Request(`http://127.0.0.1/mcp/deploy/${SPEC.name}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }),
    );

  it('passes a runtime name through to the control plane (as --runtime does)', async () => {
    const response = await deploy({ target: 'docker', runtime: 'runsc' });
    expect(response.status).toBeLessThan(300);
    expect(cp.calls.at(-1)).toMatchObject({ method: 'deploy', args: { target: 'docker', runtime: 'runsc' } });
  });

  it.each(['../../usr/bin/x', 'runsc --privileged', 'RUNSC', '', 'x'.repeat(65)])(
    'refuses %j before the control plane is called',
    async (runtime) => {
      const before = cp.calls.length;
      const response = await deploy({ target: 'docker', runtime });
      expect(response.status).toBe(400);
      expect(cp.calls.length).toBe(before);
    },
  );
});
