/**
 * The toolsmith over the HTTP API (POST /mcp/analyze, GET /mcp/analyze/:run, reviews) and as tools of the
 * factory's MCP server (analyze_data): the same operations, the policy's roles (a developer asks, a reviewer
 * reviews, a viewer sees no runs), remote callers confined to the policy's dataRoots, the answer as Markdown
 * text for a model with the data as structuredContent.
 */
import { Client, InMemoryTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccessControl } from '../../src/identity/access.js';
import { TokenStore } from '../../src/identity/tokens.js';
import { createApi } from '../../src/surfaces/api/index.js';
import { createFactoryMcpServer } from '../../src/surfaces/mcp/server.js';
import { FakeControlPlane } from '../api/fake-control-plane.js';
import { dataFile, type Harness, newToolScript, sqlBody, startHarness } from './harness.js';

let h: Harness;
let api: ReturnType<typeof createApi>;
const bearer: Record<string, string> = {};

beforeAll(async () => {
  h = await startHarness();
  const tokens = TokenStore.open({ home: h.home });
  for (const role of ['developer', 'reviewer', 'viewer'] as const)
    bearer[role] = tokens.create({ name: `${role}-1`, role }).token;
  bearer.reviewer2 = tokens.create({ name: 'reviewer-2', role: 'reviewer' }).token;
  const cp = new FakeControlPlane(h.registry);
  api = createApi({
    controlPlane: cp,
    registry: h.registry,
    tokens,
    access: new AccessControl({ tokens, registry: h.registry }),
    toolsmith: h.toolsmith,
  });
});
afterAll(async () => {
  await h?.close();
});

function call(method: string, path: string, who: string, body?: unknown) {
  return api.fetch(
    new Request(`http://localhost${path}`, {
      method,
      headers: {
        authorization: `Bearer ${bearer[who]}`,
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
    }),
  );
}

const SCRIPT = () =>
  newToolScript({
    columns: ['weather'],
    name: 'days_per_weather',
    source: sqlBody('SELECT weather, count(*) AS days FROM dataset GROUP BY 1 ORDER BY days DESC, weather'),
  });

describe('toolsmith over HTTP', () => {
  let run = '';
  it('a developer asks; the run is accepted at once and polled to its answer', async () => {
    h.fake.push(...SCRIPT());
    const res = await call('POST', '/mcp/analyze', 'developer', {
      query: 'How many days of each weather kind?',
      file_path: dataFile('seattle-weather.csv'),
    });
    expect(res.status).toBe(202);
    const started = (await res.json()) as { id: string; status: string };
    run = started.id;
    await h.toolsmith.wait(run);
    const got = await call('GET', `/mcp/analyze/${run}`, 'developer');
    expect(got.status).toBe(200);
    const view = (await got.json()) as {
      status: string;
      toolState: string;
      result: { markdown: string; svg?: string };
      events: unknown[];
    };
    expect([view.status, view.toolState]).toEqual(['waiting', 'STAGED']);
    expect(view.result.markdown).toContain('| sun');
    expect(view.result.svg).toMatch(/^<svg/);
    expect(view.events.length).toBeGreaterThan(3);
  }, 120_000);

  it('remote callers are confined to dataRoots; viewers see no runs; developers cannot review', async () => {
    const outside = await call('POST', '/mcp/analyze', 'developer', {
      query: 'What is in passwd?',
      file_path: '/etc/passwd.csv',
    });
    expect(outside.status).toBe(400);
    expect(((await outside.json()) as { error: string }).error).toBe('TOOLSMITH_DATASET_INVALID');
    expect((await call('GET', '/mcp/analyze', 'viewer')).status).toBe(403);
    expect(
      (await call('POST', `/mcp/analyze/${run}/review`, 'developer', { decision: 'approve' })).status,
    ).toBe(403);
    expect((await call('GET', '/mcp/analyze/run_0000000000000000', 'reviewer')).status).toBe(404);
    expect((await call('GET', '/mcp/analyze/..%2F..%2Fetc', 'reviewer')).status).toBe(400);
  });

  it('two reviewers approve (stage 1, then stage 2); the tool is promoted; pending lists nothing', async () => {
    const pending = (await (await call('GET', '/mcp/analyze?pending=1', 'reviewer')).json()) as {
      runs: Array<{ id: string }>;
    };
    expect(pending.runs.map((r) => r.id)).toEqual([run]);
    expect(
      (await call('POST', `/mcp/analyze/${run}/review`, 'reviewer', { decision: 'approve', note: 'right' }))
        .status,
    ).toBe(200);
    const second = await call('POST', `/mcp/analyze/${run}/review`, 'reviewer2', {
      decision: 'approve',
      stage: 2,
    });
    expect(second.status).toBe(200);
    const done = await h.toolsmith.wait(run);
    expect(done.toolState).toBe('PROMOTED');
    const again = await call('POST', `/mcp/analyze/${run}/review`, 'reviewer', { decision: 'approve' });
    expect(again.status).toBe(409);
    expect(
      ((await (await call('GET', '/mcp/analyze?pending=1', 'reviewer')).json()) as { runs: unknown[] }).runs,
    ).toEqual([]);
  }, 120_000);

  it('is described in the OpenAPI document', async () => {
    const doc = (await (await call('GET', '/openapi.json', 'viewer')).json()) as {
      paths: Record<string, unknown>;
    };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/mcp/analyze',
        '/mcp/analyze/{run}',
        '/mcp/analyze/{run}/review',
        '/mcp/toolsmith/tools/{tool}/rollback',
      ]),
    );
  });
});

describe('analyze_data on the factory MCP server', () => {
  it('answers with Markdown text and the run as structuredContent', async () => {
    const [intent, ...rest] = newToolScript({
      columns: ['weather', 'temp_max'],
      name: 'hottest_day_by_weather',
      source: sqlBody('SELECT weather, max(temp_max) AS hottest FROM dataset GROUP BY 1 ORDER BY 1'),
    });
    // The promoted days_per_weather is offered for reuse; the model declines.
    h.fake.push(intent!, { json: { reuse: false, reason: 'another question' } }, ...rest);
    const server = createFactoryMcpServer({
      controlPlane: new FakeControlPlane(h.registry),
      registry: h.registry,
      toolsmith: h.toolsmith,
      actor: 'agent',
      allowLocalFiles: true,
    });
    const [a, b] = InMemoryTransport.createLinkedPair();
    await server.connect(a);
    const client = new Client({ name: 't', version: '1' });
    await client.connect(b);
    const tools = (await client.listTools()).tools.map((t) => t.name);
    expect(tools).toContain('analyze_data');
    const result = await client.callTool({
      name: 'analyze_data',
      arguments: { query: 'Hottest day for each weather kind?', file_path: dataFile('seattle-weather.csv') },
    });
    const text = (result.content as Array<{ text: string }>)[0]!.text;
    expect(result.isError, text).toBeFalsy();
    expect(text).toContain('**Question:**');
    expect(text).toContain('stage 1 review');
    expect(result.structuredContent).toMatchObject({ status: 'waiting', toolState: 'STAGED' });
    await client.close();
  }, 120_000);
});
