/**
 * The Grafana dashboard (deploy/grafana/mcp-factory.json) asks only for series that exist: every metric name in
 * every PromQL expression, and every label it groups by or matches on, is checked against what the code exports
 * when it runs — the HTTP API's /metrics and a real gateway's /metrics (with a real upstream behind it, so the
 * labelled series exist), and the generated servers' runtime metrics module (runtime/metrics.ts) after a tool
 * call, a trigger run and a command run. The dashboard's structure is checked too (ids, grid, data source).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrometheusMetrics } from '../../runtime/metrics.js';
import { freePort } from '../../src/conformance/server.js';
import { parseGatewayConfig } from '../../src/gateway/config.js';
import { Gateway } from '../../src/gateway/gateway.js';
import { AccessControl } from '../../src/identity/access.js';
import { TokenStore } from '../../src/identity/tokens.js';
import { openRegistry, type Registry } from '../../src/store/index.js';
import { createApi } from '../../src/surfaces/api/index.js';
import { createGatewayHttp } from '../../src/surfaces/gateway/http.js';
import { FakeControlPlane } from '../api/fake-control-plane.js';
import type { Loose } from '../targets/kubernetes-helpers.js';

const DASHBOARD = join(import.meta.dirname, '..', '..', 'deploy', 'grafana', 'mcp-factory.json');
const FIXTURE = join(import.meta.dirname, '..', 'gateway', 'fixtures', 'upstream.mjs');
// Labels Prometheus adds to every scraped series.
const TARGET_LABELS = new Set(['job', 'instance']);

/** Series name → its label names, from Prometheus text exposition (histograms as _bucket/_sum/_count). */
type Exported = Map<string, Set<string>>;

function parseExposition(text: string, into: Exported = new Map()): Exported {
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\w+)$/.exec(line);
    if (type) {
      const names =
        type[2] === 'histogram' ? ['_bucket', '_sum', '_count'].map((s) => type[1] + s) : [type[1]!];
      for (const n of names) if (!into.has(n)) into.set(n, new Set());
      continue;
    }
    const sample = /^([A-Za-z_:][\w:]*)(?:\{(.*)\})? /.exec(line);
    if (!sample) continue;
    const labels = into.get(sample[1]!) ?? new Set<string>();
    for (const m of (sample[2] ?? '').matchAll(/([A-Za-z_]\w*)="/g)) labels.add(m[1]!);
    into.set(sample[1]!, labels);
  }
  return into;
}

const FUNCTIONS_AND_KEYWORDS = new Set([
  'sum',
  'max',
  'min',
  'avg',
  'count',
  'rate',
  'irate',
  'increase',
  'histogram_quantile',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'and',
  'or',
  'unless',
  'bool',
  'offset',
]);

/** The metric names and the labels (grouping and matchers) an expression uses. */
function namesIn(expr: string): { metrics: Set<string>; labels: Set<string> } {
  const labels = new Set<string>();
  let rest = expr
    .replace(/\[[^\]]*\]/g, ' ') // range selectors ([$__rate_interval], [5m])
    .replace(/\{([^}]*)\}/g, (_m, matchers: string) => {
      for (const m of matchers.matchAll(/([A-Za-z_]\w*)\s*(=~|!~|!=|=)/g)) labels.add(m[1]!);
      return ' ';
    });
  rest = rest.replace(/\b(by|without|on|ignoring)\s*\(([^)]*)\)/g, (_m, _k, list: string) => {
    for (const l of list.split(',')) if (l.trim()) labels.add(l.trim());
    return ' ';
  });
  const metrics = new Set<string>();
  for (const m of rest.matchAll(/[A-Za-z_:][\w:]*/g))
    if (!FUNCTIONS_AND_KEYWORDS.has(m[0]) && !/^\d/.test(m[0])) metrics.add(m[0]);
  return { metrics, labels };
}

let work: string;
let registry: Registry;
let upstream: ChildProcess | undefined;
const exported: Exported = new Map();

async function scrape(fetcher: (r: Request) => Promise<Response>, token: string): Promise<string> {
  const response = await fetcher(
    // A Request built in-process has no Host header; a client on the wire always sends one.
    new Request('http://127.0.0.1/metrics', {
      headers: { authorization: `Bearer ${token}`, host: '127.0.0.1' },
    }),
  );
  expect(response.status, await response.clone().text()).toBe(200);
  return response.text();
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'mcpf-dashboard-'));
  registry = await openRegistry({ home: work });
  const tokens = TokenStore.open({ home: work });
  const token = tokens.create({ name: 'scraper' }).token;
  const slow = tokens.create({ name: 'slow', requestsPerMinute: 1 }).token;

  // The HTTP API: requests that succeed, are refused without a token, and are rate limited.
  const api = createApi({ controlPlane: new FakeControlPlane(registry), registry, tokens });
  await api.fetch(new Request('http://127.0.0.1/health'));
  await api.fetch(new Request('http://127.0.0.1/mcp/servers'));
  for (let i = 0; i < 3; i++)
    await api.fetch(
      new Request('http://127.0.0.1/mcp/servers', { headers: { authorization: `Bearer ${slow}` } }),
    );
  parseExposition(await scrape((r) => api.fetch(r), token), exported);

  // A gateway over a real upstream with a result cache: a call, a cache hit, a miss.
  const port = await freePort();
  upstream = spawn(process.execPath, [FIXTURE, 'alpha', 'http', String(port)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    upstream!.stdout!.once('data', () => resolve());
    upstream!.once('exit', (code) => reject(new Error(`upstream exited ${code}`)));
  });
  const gateway = new Gateway({
    config: parseGatewayConfig({
      metaTools: 'never',
      registry: false,
      servers: [
        { name: 'alpha', url: `http://127.0.0.1:${port}/mcp`, cache: { ttlMs: 60_000, tools: ['*'] } },
      ],
    }),
  });
  await gateway.start();
  const access = new AccessControl({ tokens, registry });
  const http = createGatewayHttp({ gateway, access });
  try {
    for (const message of ['a', 'a', 'b']) await gateway.callTool('alpha__echo', { message });
    parseExposition(await scrape((r) => http.fetch(r), token), exported);
  } finally {
    await http.close();
    await gateway.close();
  }

  // A generated server's metrics module, as its tools, triggers and command tools report to it.
  const runtime = await createPrometheusMetrics();
  runtime.observeCall('get_product', 'ok', 0.01);
  runtime.observeCall('get_product', 'error', 0.02);
  runtime.observeTrigger('0', 'cron', 'ok', 0.1);
  runtime.observeCommand?.('run_report', 'native', 'ok', 0.2, 128);
  parseExposition((await runtime.render())!.body, exported);
}, 60_000);

afterAll(async () => {
  upstream?.kill();
  await registry?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('the Grafana dashboard', () => {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Loose;
  const panels = dashboard.panels as Loose[];
  const queries = panels.flatMap((p) =>
    (p.targets ?? []).map((t: Loose) => ({ panel: p.title, expr: t.expr })),
  );

  it('is an importable dashboard: unique ids, grid positions, the Prometheus data source variable', () => {
    expect(dashboard.uid).toBe('mcp-factory');
    const ids = panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of panels) {
      expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24);
      if (p.type !== 'row') {
        expect(p.datasource, p.title).toEqual({ type: 'prometheus', uid: '${datasource}' });
        expect(p.targets.length, p.title).toBeGreaterThan(0);
      }
    }
    expect(dashboard.templating.list).toContainEqual(
      expect.objectContaining({ name: 'datasource', type: 'datasource', query: 'prometheus' }),
    );
    expect(queries.length).toBeGreaterThan(20);
  });

  it('queries only metrics the API, the gateway and generated servers export, by labels they carry', () => {
    // The scrape itself must have seen each surface, or an empty scrape would make this vacuous.
    for (const name of ['mcpf_api_requests_total', 'mcpf_gateway_calls_total', 'mcp_tool_calls_total'])
      expect(exported.has(name), name).toBe(true);
    const surfaces = new Set<string>();
    for (const { panel, expr } of queries) {
      const { metrics, labels } = namesIn(expr);
      expect(metrics.size, `${panel}: ${expr}`).toBeGreaterThan(0);
      const carried = new Set<string>([...TARGET_LABELS, 'le']);
      for (const metric of metrics) {
        expect(exported.has(metric), `${panel}: ${metric} is not exported`).toBe(true);
        for (const l of exported.get(metric) ?? []) carried.add(l);
        surfaces.add(metric.split('_').slice(0, 2).join('_'));
      }
      for (const label of labels)
        expect(carried.has(label), `${panel}: label ${label} in ${expr}`).toBe(true);
    }
    // Every surface has panels: the API, the gateway, the servers' tools, triggers, commands and processes.
    expect([...surfaces].sort()).toEqual(
      expect.arrayContaining([
        'mcpf_api',
        'mcpf_gateway',
        'mcp_tool',
        'mcp_trigger',
        'mcp_command',
        'process_resident',
      ]),
    );
  });

  it('extracts names the way PromQL reads them (the checker itself)', () => {
    const { metrics, labels } = namesIn(
      'histogram_quantile(0.95, sum by (le, route) (rate(mcpf_api_request_duration_seconds_bucket{status=~"5.."}[$__rate_interval]))) / on (route) foo_total',
    );
    expect([...metrics].sort()).toEqual(['foo_total', 'mcpf_api_request_duration_seconds_bucket']);
    expect([...labels].sort()).toEqual(['le', 'route', 'status']);
    // A metric that no surface exports is caught.
    expect(exported.has('mcpf_api_requests_totl')).toBe(false);
  });
});
