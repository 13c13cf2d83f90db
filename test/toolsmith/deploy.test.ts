/**
 * A promoted toolsmith tool is served: the `toolsmith` server is deployed on the local target (its supervisor
 * sandbox binds DATASET_ROOTS read-only), and the tool answers on a new dataset in those roots — and refuses a
 * file outside them.
 */
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, Toolsmith } from '../../src/toolsmith/index.js';
import { type FakeProvider, startFakeProvider } from '../llm/fake-provider.js';
import { FAKE_KEY, fakeClient } from '../llm/helpers.js';
import { ensureBuilt, fastEnv, newHome, type TestHome } from '../supervisor/helpers.js';
import { dataFile, newToolScript, sqlBody } from './harness.js';

let t: TestHome;
let fake: FakeProvider;
let toolsmith: Toolsmith;
let roots: string;

beforeAll(async () => {
  ensureBuilt();
  t = newHome('ts-deploy', fastEnv('22300-22349'));
  fake = await startFakeProvider({ apiKey: FAKE_KEY });
  toolsmith = new Toolsmith({
    registry: await t.cp.registry(),
    layout: t.cp.layout,
    policy: DEFAULT_POLICY,
    llm: () => fakeClient('openai', fake),
  });
  roots = mkdtempSync(join(tmpdir(), 'mcpf-ts-roots-'));
});
afterAll(async () => {
  await toolsmith?.close();
  await fake?.close();
  await t?.cleanup();
  rmSync(roots, { recursive: true, force: true });
});

describe('the toolsmith server, deployed', () => {
  it('serves a promoted tool on new data inside DATASET_ROOTS and nothing outside', async () => {
    fake.push(
      ...newToolScript({
        columns: ['symbol', 'price'],
        name: 'max_price_per_symbol',
        source: sqlBody('SELECT symbol, max(price) AS max_price FROM dataset GROUP BY 1 ORDER BY 1'),
      }),
    );
    const local = { actor: 'me', local: true };
    const run = await toolsmith.analyze({
      question: 'Highest price of each stock?',
      dataset: dataFile('stocks.csv'),
      caller: local,
    });
    expect((await toolsmith.wait(run.id)).status).toBe('waiting');
    await toolsmith.decide(run.id, { decision: 'approve', caller: local });
    await toolsmith.decide(run.id, { decision: 'approve', caller: local });
    expect((await toolsmith.wait(run.id)).toolState).toBe('PROMOTED');

    const data = join(roots, 'prices.csv');
    copyFileSync(dataFile('stocks.csv'), data);
    // The server runs as its own uid: first with a root it cannot enter (a clear error), then readable.
    const denied = await t.cp.deploy({
      name: 'toolsmith',
      target: 'local',
      env: { DATASET_ROOTS: roots },
      actor: 'me',
    });
    expect(denied.status).toBe('running');
    const refused = await t.cp.callTool('toolsmith', 'max_price_per_symbol', { dataset: data });
    // As root the sandbox runs servers under a uid of their own (setuid mode); a user's own sandbox maps to it.
    if (process.getuid?.() === 0) {
      expect(refused.isError).toBe(true);
      expect(refused.text).toContain("permission denied for the server's user");
    }
    chmodSync(roots, 0o755);
    const deployment = await t.cp.deploy({
      name: 'toolsmith',
      target: 'local',
      env: { DATASET_ROOTS: roots },
      actor: 'me',
    });
    expect(deployment.status).toBe('running');
    const answer = await t.cp.callTool('toolsmith', 'max_price_per_symbol', { dataset: data });
    expect(answer.isError, answer.text).toBe(false);
    const expected = new Map<string, number>();
    for (const line of readFileSync(data, 'utf8').trim().split('\n').slice(1)) {
      const [symbol, , price] = line.split(',');
      expected.set(symbol!, Math.max(expected.get(symbol!) ?? -Infinity, Number(price)));
    }
    const rows = (JSON.parse(answer.text) as { rows: Array<{ symbol: string; max_price: number }> }).rows;
    expect(rows).toEqual(
      [...expected]
        .sort((a, b) => (a[0] < b[0] ? -1 : 1))
        .map(([symbol, max_price]) => ({ symbol, max_price })),
    );

    const outside = await t.cp.callTool('toolsmith', 'max_price_per_symbol', {
      dataset: dataFile('stocks.csv'),
    });
    expect(outside.isError).toBe(true);
    expect(outside.text).not.toContain('AAPL');
  }, 240_000);
});
