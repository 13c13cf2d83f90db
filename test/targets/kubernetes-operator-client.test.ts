/**
 * The operator's @kubernetes/client-node implementation (operator-client.ts) against a small fake API server
 * on loopback: the list path and resourceVersion, a watch the server refuses with 410 Gone (reported as an ERROR
 * event with code 410), a watch that streams events and resumes from the given resourceVersion, a watch ERROR
 * event, and the status patch (a merge patch of the status subresource, field manager mcp-factory).
 */

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WatchEvent } from '../../src/deploy/targets/kubernetes/operator-api.js';
import { ClientNodeOperatorApi } from '../../src/deploy/targets/kubernetes/operator-client.js';
import { runCli } from '../../src/surfaces/cli/main.js';
import { resource, validSpec } from './kubernetes-operator-fake.js';

const BASE = '/apis/mcp-factory.dev/v1alpha1/namespaces/mcp/mcpservers';
/** A namespace holding one resource the operator must refuse (a code tool): `operator --once` applies nothing. */
const REFUSED = '/apis/mcp-factory.dev/v1alpha1/namespaces/refused/mcpservers';
const CODE_SPEC = validSpec({
  server: { name: 'calc', tools: [{ name: 'calc', description: 'Calc', code: { source: 'return 1;' } }] },
});
const requests: { method: string; url: string; contentType: string; body: string }[] = [];
let server: Server;
let api: ClientNodeOperatorApi;
let kubeconfigDir: string;

function handle(req: IncomingMessage, res: ServerResponse, body: string): void {
  requests.push({
    method: req.method ?? '',
    url: req.url ?? '',
    contentType: req.headers['content-type'] ?? '',
    body,
  });
  const url = new URL(req.url ?? '/', 'http://x');
  const json = (status: number, value: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(value));
  };
  if (req.method === 'GET' && url.pathname === BASE && url.searchParams.get('watch') !== 'true') {
    json(200, { items: [resource('orders', validSpec())], metadata: { resourceVersion: '41' } });
    return;
  }
  if (req.method === 'GET' && url.pathname === BASE) {
    const rv = url.searchParams.get('resourceVersion');
    if (rv === 'stale') {
      json(410, { kind: 'Status', code: 410, message: 'too old resource version' });
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    const event = (type: string, object: unknown) => res.write(`${JSON.stringify({ type, object })}\n`);
    const added = resource('billing', validSpec());
    added.metadata.resourceVersion = String(Number(rv) + 1);
    event('ADDED', added);
    event('BOOKMARK', { ...added, metadata: { ...added.metadata, resourceVersion: String(Number(rv) + 2) } });
    if (rv === 'expire') event('ERROR', { kind: 'Status', code: 410, message: 'expired' });
    res.end();
    return;
  }
  if (req.method === 'GET' && url.pathname === REFUSED) {
    json(200, { items: [resource('calc', CODE_SPEC, 'refused')], metadata: { resourceVersion: '7' } });
    return;
  }
  if (req.method === 'PATCH' && [`${BASE}/orders/status`, `${REFUSED}/calc/status`].includes(url.pathname))
    json(200, JSON.parse(body));
  else json(404, { kind: 'Status', code: 404, message: 'not found' });
}

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => handle(req, res, body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const config = new KubeConfig();
  config.loadFromOptions({
    clusters: [{ name: 'fake', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: 'u', token: 'test-token' }],
    contexts: [{ name: 'c', cluster: 'fake', user: 'u' }],
    currentContext: 'c',
  });
  api = new ClientNodeOperatorApi(config);
  kubeconfigDir = mkdtempSync(join(tmpdir(), 'mcp-operator-'));
  writeFileSync(join(kubeconfigDir, 'config'), config.exportConfig(), { mode: 0o600 });
});

afterAll(async () => {
  rmSync(kubeconfigDir, { recursive: true, force: true });
  await new Promise((resolve) => server.close(resolve));
});

async function collect(resourceVersion: string): Promise<WatchEvent[]> {
  const events: WatchEvent[] = [];
  for await (const event of api.watchServers('mcp', resourceVersion, new AbortController().signal))
    events.push(event);
  return events;
}

describe('operator client (fake API server)', () => {
  it('lists with the resourceVersion', async () => {
    const list = await api.listServers('mcp');
    expect(list.resourceVersion).toBe('41');
    expect(list.items.map((i) => i.metadata.name)).toEqual(['orders']);
  });

  it('streams watch events from the given resourceVersion', async () => {
    const events = await collect('41');
    expect(events.map((e) => e.type)).toEqual(['ADDED', 'BOOKMARK']);
    expect(events[0]?.type === 'ADDED' && events[0].object.metadata.resourceVersion).toBe('42');
    const watch = requests.filter((r) => r.url.includes('watch=true')).at(-1);
    expect(watch?.url).toContain('resourceVersion=41');
  });

  it('reports 410 Gone, at start or as an event, as an ERROR with code 410', async () => {
    expect(await collect('stale')).toEqual([
      { type: 'ERROR', code: 410, message: 'resourceVersion too old' },
    ]);
    const events = await collect('expire');
    expect(events.at(-1)).toEqual({ type: 'ERROR', code: 410, message: 'expired' });
  });

  it('merge-patches the status subresource', async () => {
    const status = { observedGeneration: 3, revision: 'abc' };
    await api.patchServerStatus('mcp', 'orders', status);
    const patch = requests.filter((r) => r.method === 'PATCH').at(-1);
    expect(patch?.url).toMatch(/\/mcpservers\/orders\/status\?fieldManager=mcp-factory/);
    expect(patch?.contentType).toBe('application/merge-patch+json');
    expect(JSON.parse(patch?.body ?? '{}')).toEqual({ status });
  });
});

describe('mcp-factory operator --once (fake API server)', () => {
  it('refuses a code tool without --allow-code: status patched, nothing applied, exit 6', async () => {
    const previous = process.env.MCP_FACTORY_KUBECONFIG;
    process.env.MCP_FACTORY_KUBECONFIG = join(kubeconfigDir, 'config');
    const out: string[] = [];
    const before = requests.length;
    try {
      const code = await runCli(['operator', '--once', '--namespace', 'refused', '--format', 'json'], {
        stdout: (s) => out.push(s),
        stderr: () => undefined,
        isTTY: false,
      });
      expect(code).toBe(6);
    } finally {
      if (previous === undefined) delete process.env.MCP_FACTORY_KUBECONFIG;
      else process.env.MCP_FACTORY_KUBECONFIG = previous;
    }
    const { ok, results } = JSON.parse(out.join(''));
    expect(ok).toBe(false);
    const [result] = results;
    expect(result).toMatchObject({ key: 'refused/calc', outcome: 'invalid', applied: 0 });
    const made = requests.slice(before);
    // One list and one status patch: no apply (PATCH of another object), no delete.
    expect(made.map((r) => `${r.method} ${new URL(r.url, 'http://x').pathname}`)).toEqual([
      `GET ${REFUSED}`,
      `PATCH ${REFUSED}/calc/status`,
    ]);
    const status = JSON.parse(made[1]?.body ?? '{}').status;
    expect(status.conditions.find((c: { type: string }) => c.type === 'Degraded')).toMatchObject({
      status: 'True',
      reason: 'CodeNotAllowed',
    });
  });

  it('explains a cluster without the CRD (404) instead of failing internally', async () => {
    const previous = process.env.MCP_FACTORY_KUBECONFIG;
    process.env.MCP_FACTORY_KUBECONFIG = join(kubeconfigDir, 'config');
    const err: string[] = [];
    try {
      const code = await runCli(['operator', '--once', '--namespace', 'nocrd'], {
        stdout: () => undefined,
        stderr: (s) => err.push(s),
        isTTY: false,
      });
      expect(code).toBe(6);
    } finally {
      if (previous === undefined) delete process.env.MCP_FACTORY_KUBECONFIG;
      else process.env.MCP_FACTORY_KUBECONFIG = previous;
    }
    expect(err.join('')).toContain('mcp-factory operator --print-crd | kubectl apply -f -');
  });
});
