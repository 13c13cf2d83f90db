/**
 * The toolsmith from the shell, and its durability across processes: `mcp-factory analyze` is killed (SIGKILL)
 * while its run validates; the run stays checkpointed at that node; once the dead process's lease has passed,
 * `toolsmith resume` (another process) finishes it; a run waiting for review outlives every process and is
 * approved by two more (`toolsmith approve`); `toolsmith show` prints the trail and writes the chart.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRegistry, type Registry } from '../../src/store/index.js';
import { ensureBuilt, ROOT } from '../helpers/build.js';
import { runProcess } from '../helpers/run.js';
import { type FakeProvider, startFakeProvider } from '../llm/fake-provider.js';
import { FAKE_KEY } from '../llm/helpers.js';
import { dataFile, newToolScript, sqlBody } from './harness.js';

const BIN = join(ROOT, 'bin', 'mcp-factory.mjs');
let home: string;
let fake: FakeProvider;
let env: NodeJS.ProcessEnv;
let registry: Registry;

beforeAll(async () => {
  ensureBuilt();
  home = mkdtempSync(join(tmpdir(), 'mcpf-ts-cli-'));
  fake = await startFakeProvider({ apiKey: FAKE_KEY });
  env = {
    ...process.env,
    MCP_FACTORY_HOME: home,
    MCP_FACTORY_CONFIG: '',
    MCP_FACTORY_LLM_PROVIDER: 'openai',
    MCP_FACTORY_LLM_MODEL: 'gpt-4.1-mini',
    MCP_FACTORY_LLM_BASE_URL: `${fake.url}/v1`,
    MCP_FACTORY_LLM_API_KEY_ENV: 'FAKE_LLM_KEY',
    FAKE_LLM_KEY: FAKE_KEY,
    // Long enough that the first resume (a process start, slow on a loaded machine) runs inside the lease.
    MCP_FACTORY_TOOLSMITH_LEASE_MS: '15000',
  };
  registry = await openRegistry({ home });
});
afterAll(async () => {
  await registry?.close();
  await fake?.close();
  rmSync(home, { recursive: true, force: true });
});

const cli = (...args: string[]) => runProcess(process.execPath, [BIN, ...args], { env, cwd: home });

describe('toolsmith CLI across processes', () => {
  let runId = '';

  it('analyze is killed while validating; the run waits at that node; toolsmith resume finishes it', async () => {
    fake.push(
      ...newToolScript({
        columns: ['weather', 'precipitation', 'date'],
        name: 'precipitation_per_month',
        parameters: { year: { type: 'integer', description: 'Year', default: 2015 } },
        arguments: { year: 2015 },
        source: sqlBody(
          'SELECT month(date) AS month, round(sum(precipitation), 1) AS precipitation FROM dataset WHERE year(date) = $1 GROUP BY 1 ORDER BY 1',
          ['year'],
        ),
      }),
    );
    const child = spawn(
      process.execPath,
      [BIN, 'analyze', 'Total precipitation per month in 2015?', '--data', dataFile('seattle-weather.csv')],
      {
        env,
        cwd: home,
        stdio: 'ignore',
      },
    );
    const deadline = Date.now() + 60_000;
    for (;;) {
      const [run] = await registry.toolsmith.listRuns();
      if (run?.node === 'validate') {
        runId = run.id;
        break;
      }
      if (Date.now() > deadline) throw new Error(`the run never reached validate: ${JSON.stringify(run)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const dead = await registry.toolsmith.getRun(runId);
    expect([dead.status, dead.node, dead.toolState]).toEqual(['running', 'validate', 'DRAFT']);
    expect(dead.leaseOwner).toContain(`:${child.pid}:`);

    // While the dead process's lease lasts, nobody takes the run over.
    const early = await cli('toolsmith', 'resume');
    expect(early.code, early.err).toBe(0);
    expect(early.out).toContain('nothing to resume');

    await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(dead.leaseUntil!) - Date.now()) + 200));
    const resumed = await cli('toolsmith', 'resume');
    expect(resumed.code, resumed.err).toBe(0);
    expect(resumed.out).toContain(`${runId}: waiting/STAGED at review_output`);
    const trail = await registry.toolsmith.events(runId);
    expect(trail.filter((e) => e.node === 'validate' && e.kind === 'node')).toHaveLength(1);
  }, 180_000);

  it('the waiting run is approved by two later processes and promoted; show prints it with its trail and chart', async () => {
    const first = await cli('toolsmith', 'approve', runId, '--note', 'matches the data');
    expect(first.code, first.err).toBe(0);
    expect(first.out).toContain('stage 2 review');
    const second = await cli('toolsmith', 'approve', runId, '--stage', '2');
    expect(second.code, second.err).toBe(0);
    expect(second.out).toContain('done/PROMOTED');
    const chart = join(home, 'chart.svg');
    const shown = await cli('toolsmith', 'show', runId, '--chart', chart);
    expect(shown.code, shown.err).toBe(0);
    expect(shown.out).toContain('precipitation_per_month v1');
    expect(shown.out).toMatch(/stage1\.approve.*matches the data/);
    expect(readFileSync(chart, 'utf8')).toMatch(/^<svg/);
    const events = await registry.toolsmith.events(runId);
    // The local user asked and approved stage 2: allowed for the shell's user, and recorded.
    expect(events.find((e) => e.kind === 'stage2.approve')?.details).toEqual({ selfApproval: true });
    const listed = await cli('toolsmith', 'list', '--format', 'json');
    expect(JSON.parse(listed.out)[0]).toMatchObject({ id: runId, toolState: 'PROMOTED' });
  }, 180_000);

  it('bad input: a missing dataset exits 1 with the code, and no run is created', async () => {
    const before = (await registry.toolsmith.listRuns()).length;
    const r = await cli('analyze', 'anything here?', '--data', join(home, 'missing.csv'));
    expect(r.code).toBe(1);
    expect(r.err).toContain('cannot be read: ENOENT');
    expect((await registry.toolsmith.listRuns()).length).toBe(before);
  });
});
