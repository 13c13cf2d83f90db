#!/usr/bin/env node
/**
 * Toolsmith on a ~100 MB CSV: pipeline overhead excluding model time, tool execution vs DuckDB in-process, and
 * sandbox start vs an unsandboxed start of the same bundle.
 *
 *   npm run build && node bench/toolsmith.mjs       # 3 counted runs after one warm-up (BENCH_TOOLSMITH_RUNS)
 *   node bench/toolsmith.mjs --quick                # 1 counted run, 3 samples in (b) and (c)
 *   node bench/toolsmith.mjs --rows 500000          # another dataset size (default 2,200,000 rows ≈ 100 MB)
 *
 * The dataset is scripts/gen-dataset.mjs's sales CSV, written under os.tmpdir() and deleted at the end with the
 * temporary factory home. The model is a local fake of the OpenAI Chat Completions API that answers at once, by
 * the structured-output schema asked for (intent, tool_interface, tool_code), with a fixed tool: orders and
 * revenue per region (one DuckDB SELECT). The real Toolsmith (openToolsmith from dist/, provider 'openai' aimed
 * at the fake) runs every node; each run's rows are checked against the generator's known orders per region.
 *
 *   (a) pipeline overhead: analyze() → run waiting for review (stage 1), minus RunView.timing.modelMs; broken
 *       down into keep dataset + profile (analyze() itself), the model nodes, validate (with its build steps)
 *       and execute (sandbox start + call). Target < 3 s.
 *   (b) tool execution: the validated tool called in its sandbox (executeTool, callMs = the MCP tools/call)
 *       vs the same SQL in-process with @duckdb/node-api (a fresh instance per query, the tool's memory limit
 *       and threads, all rows read): ratio of medians, alternating samples.
 *   (c) sandbox start: executeTool's startMs (bubblewrap + node + MCP initialize) vs `node dist/server.mjs
 *       --transport stdio` of the same bundle unsandboxed, also up to a finished MCP initialize: ratio.
 * No timed assertions: prints tables, verdicts against the targets and a last line `BENCH_JSON {…}`; exits
 * non-zero only when something failed (a run did not reach review, a wrong answer).
 */
import { once } from 'node:events';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { generateSalesDataset } from '../scripts/gen-dataset.mjs';
import { median, ROOT, r1, r2, table, verdict } from './lib.mjs';

const { values: flags } = parseArgs({
  options: { quick: { type: 'boolean', default: false }, rows: { type: 'string' } },
});
const RUNS =
  Number(process.env.BENCH_TOOLSMITH_RUNS) > 0
    ? Number(process.env.BENCH_TOOLSMITH_RUNS)
    : flags.quick
      ? 1
      : 3;
const SAMPLES = flags.quick ? 3 : 7;
const ROWS = flags.rows ? Number(flags.rows.replaceAll('_', '')) : 2_200_000;

const { openToolsmith, DATA_ROOTS_ENV } = await import(join(ROOT, 'dist/toolsmith/index.js'));
const { executeTool } = await import(join(ROOT, 'dist/toolsmith/execute.js'));
const { openRegistry } = await import(join(ROOT, 'dist/store/index.js'));
const { homeLayout } = await import(join(ROOT, 'dist/platform/home.js'));

const SQL =
  'SELECT region, count(*) AS orders, CAST(sum(quantity * price) AS DOUBLE) AS revenue FROM dataset GROUP BY 1 ORDER BY 1';
const TOOL = 'orders_and_revenue_per_region';
const QUESTION = 'How many orders and how much revenue does each region have?';
const ANSWERS = {
  intent: {
    operation: 'groupby_aggregate',
    columns: ['region', 'quantity', 'price'],
    metrics: ['count', 'sum(quantity * price)'],
    filters: [],
    sort_by: ['region'],
    output_format: 'table',
    implementation_plan: [{ step: 1, action: 'query', details: 'one DuckDB SELECT over dataset' }],
    edge_cases: [],
  },
  tool_interface: {
    name: TOOL,
    description: 'Counts the orders and sums the revenue (quantity × price) of each region.',
    parameters: {},
    arguments: {},
  },
  tool_code: {
    source: `const { rows, columns, truncated } = await ctx.dataset('data', args.dataset).query(${JSON.stringify(SQL)}, []);\nreturn { rows, columns, truncated };`,
  },
  reuse_decision: { reuse: false, reason: 'benchmark: always a new tool' },
};

// Zero-delay fake of POST /v1/chat/completions: the answer is chosen by the response_format schema name.
let served = 0;
const fake = createServer(async (req, res) => {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  let name;
  try {
    name = JSON.parse(Buffer.concat(chunks).toString('utf8')).response_format?.json_schema?.name;
  } catch {}
  const answer = ANSWERS[name];
  const body = answer
    ? JSON.stringify({
        id: 'chatcmpl-bench',
        object: 'chat.completion',
        created: 1_760_000_000,
        model: 'bench-model',
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: JSON.stringify(answer), refusal: null },
            finish_reason: 'stop',
          },
        ],
        usage: { prompt_tokens: 1000, completion_tokens: 200, total_tokens: 1200 },
      })
    : JSON.stringify({
        error: { message: `bench fake: no answer for schema ${name}`, type: 'server_error' },
      });
  served++;
  res.writeHead(answer ? 200 : 500, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
});
fake.listen(0, '127.0.0.1');
await once(fake, 'listening');
const baseUrl = `http://127.0.0.1:${fake.address().port}/v1`;

const work = mkdtempSync(join(tmpdir(), 'mcpf-bench-toolsmith-'));
let registry;
let toolsmith;
let failed = false;
const runs = [];
const exec = { sandboxStart: [], sandboxCall: [], plainStart: [], plainCall: [], direct: [] };
let dataset;
let generated;
let datasetMb = 0;

/** Start the bundle unsandboxed over stdio (MCP initialize), optionally call the tool; both timed. */
async function plainStartAndCall(bundle, datasetPath, callToo) {
  const t0 = performance.now();
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [bundle, '--transport', 'stdio'],
    cwd: '/',
    env: { PATH: '/usr/bin:/bin', LOG_LEVEL: 'warn', [DATA_ROOTS_ENV]: dirname(datasetPath) },
    stderr: 'pipe',
  });
  const client = new Client({ name: 'bench', version: '1.0.0' }, { versionNegotiation: { mode: 'auto' } });
  try {
    await client.connect(transport);
    const startMs = performance.now() - t0;
    let callMs;
    if (callToo) {
      const t1 = performance.now();
      const result = await client.callTool({ name: TOOL, arguments: { dataset: datasetPath } });
      callMs = performance.now() - t1;
      if (result.isError) throw new Error(`unsandboxed call failed: ${JSON.stringify(result.content)}`);
    }
    return { startMs, callMs };
  } finally {
    await client.close().catch(() => undefined);
  }
}

/** The tool's SQL in-process, as the runtime runs it: a fresh instance, 512 MB, 2 threads, every row read. */
async function directQuery(path) {
  const t0 = performance.now();
  const instance = await DuckDBInstance.create(':memory:', {
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
    memory_limit: '512MB',
    threads: '2',
  });
  const connection = await instance.connect();
  try {
    await connection.run(`CREATE VIEW dataset AS SELECT * FROM read_csv('${path.replaceAll("'", "''")}')`);
    const reader = await connection.runAndReadAll(SQL);
    const rows = reader.getRowObjects();
    if (rows.length !== 4) throw new Error(`direct query: ${rows.length} rows`);
    return performance.now() - t0;
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

try {
  const t = performance.now();
  generated = await generateSalesDataset({ out: join(work, 'data'), rows: ROWS, format: 'csv' });
  dataset = generated.files[0];
  datasetMb = statSync(dataset).size / 1e6;
  console.log(
    `dataset: ${ROWS} rows, ${r1(datasetMb)} MB CSV in ${r1(performance.now() - t)} ms (${dataset})`,
  );

  const home = join(work, 'home');
  registry = await openRegistry({ home });
  toolsmith = openToolsmith({
    registry,
    layout: homeLayout(home),
    env: { BENCH_LLM_KEY: 'bench-key' },
    configFile: false,
    llmSettings: {
      provider: 'openai',
      model: 'bench-model',
      baseUrl,
      apiKeyEnv: 'BENCH_LLM_KEY',
      maxRetries: 0,
    },
  });
  const caller = { actor: 'bench', local: true };

  // One warm-up run (module loading, esbuild's service, the first DuckDB load): not counted.
  for (let i = 0; i <= RUNS; i++) {
    const t0 = performance.now();
    const run = await toolsmith.analyze({ question: QUESTION, dataset, caller });
    const analyzeMs = performance.now() - t0;
    await toolsmith.wait(run.id);
    const totalMs = performance.now() - t0;
    const view = await toolsmith.get(run.id);
    if (view.status !== 'waiting' || view.toolState !== 'STAGED')
      throw new Error(
        `run ${run.id} is ${view.status}/${view.toolState} at ${view.node}: ${view.error} ${JSON.stringify(view.validation?.errors ?? [])}`,
      );
    const rows = view.result.value.rows;
    const orders = Object.fromEntries(rows.map((r) => [r.region, r.orders]));
    for (const [region, n] of Object.entries(generated.expected.ordersByRegion))
      if (orders[region] !== n)
        throw new Error(`wrong answer: ${region} has ${orders[region]} orders, expected ${n}`);
    const record = await registry.toolsmith.getRun(run.id);
    if (i === 0) continue;
    runs.push({
      id: run.id,
      totalMs,
      analyzeMs,
      profileMs: record.state.profile.profileMs,
      modelMs: view.timing.modelMs,
      modelCalls: view.timing.modelCalls,
      nodeMs: view.timing.nodeMs,
      steps: Object.fromEntries(view.validation.steps.map((s) => [s.step, s.ms])),
      execute: view.result.timing,
      projectDir: record.state.projectDir,
      datasetPath: record.state.dataset.path,
    });
  }

  // (b) and (c) on the last run's validated bundle and kept dataset copy; samples alternate.
  const last = runs.at(-1);
  const bundle = join(last.projectDir, 'dist', 'server.mjs');
  const policy = toolsmith.policy;
  await directQuery(last.datasetPath); // warm the native library
  for (let i = 0; i < SAMPLES; i++) {
    const sandboxed = await executeTool({
      projectDir: last.projectDir,
      tool: TOOL,
      arguments: { dataset: last.datasetPath },
      datasetPath: last.datasetPath,
      policy,
    });
    if (sandboxed.isError) throw new Error(`sandboxed call failed: ${sandboxed.text}`);
    exec.sandboxStart.push(sandboxed.startMs);
    exec.sandboxCall.push(sandboxed.callMs);
    exec.direct.push(await directQuery(last.datasetPath));
    const plain = await plainStartAndCall(bundle, last.datasetPath, true);
    exec.plainStart.push(plain.startMs);
    exec.plainCall.push(plain.callMs);
  }
} catch (error) {
  failed = true;
  console.error(`✖ ${error?.stack ?? error}`);
} finally {
  await toolsmith?.close().catch(() => undefined);
  await registry?.close().catch(() => undefined);
  fake.close();
  rmSync(work, { recursive: true, force: true });
}

if (!failed) {
  const med = (f) => r1(median(runs.map(f)));
  const overhead = median(runs.map((r) => r.totalMs - r.modelMs));
  const nodes = (r) => Object.values(r.nodeMs).reduce((n, v) => n + v, 0);
  table(
    `(a) Pipeline to review, excluding model time (${RUNS} run(s) after a warm-up; ${ROWS} rows, ${r1(datasetMb)} MB, medians)`,
    ['part', 'ms', 'note'],
    [
      ['analyze(): keep dataset (sha256 + copy) + profile', med((r) => r.analyzeMs), ''],
      ['  of which profile (DuckDB)', med((r) => r.profileMs), ''],
      [
        'intent + reuse + spec + code nodes',
        med(
          (r) => (r.nodeMs.intent ?? 0) + (r.nodeMs.reuse ?? 0) + (r.nodeMs.spec ?? 0) + (r.nodeMs.code ?? 0),
        ),
        'including model',
      ],
      ['  of which model (fake, HTTP)', med((r) => r.modelMs), `${runs[0]?.modelCalls} calls`],
      ['validate', med((r) => r.nodeMs.validate ?? 0), 'generate → tests (steps overlap)'],
      ...Object.keys(runs[0]?.steps ?? {}).map((step) => [
        `  step ${step}`,
        med((r) => r.steps[step] ?? 0),
        '',
      ]),
      ['execute', med((r) => r.nodeMs.execute ?? 0), 'sandbox + call + present'],
      ['  sandbox start', med((r) => r.execute.startMs), ''],
      ['  tool call', med((r) => r.execute.callMs), ''],
      [
        'checkpoints, scheduling (total − analyze − nodes)',
        med((r) => r.totalMs - r.analyzeMs - nodes(r)),
        '',
      ],
      ['total (analyze → waiting)', med((r) => r.totalMs), ''],
      ['overhead (total − model)', r1(overhead), ''],
    ],
  );
  const direct = median(exec.direct);
  const sandboxCall = median(exec.sandboxCall);
  const plainCall = median(exec.plainCall);
  const sandboxStart = median(exec.sandboxStart);
  const plainStart = median(exec.plainStart);
  table(
    `(b) Tool execution vs DuckDB in-process (${SAMPLES} samples each, medians)`,
    ['variant', 'ms', 'ratio'],
    [
      ['DuckDB in-process (fresh instance, same SQL)', r1(direct), '1.00'],
      ['tool call, sandboxed (MCP tools/call)', r1(sandboxCall), r2(sandboxCall / direct)],
      ['tool call, unsandboxed bundle', r1(plainCall), r2(plainCall / direct)],
    ],
  );
  table(
    `(c) Server start up to MCP initialize (${SAMPLES} samples each, medians)`,
    ['variant', 'ms', 'ratio'],
    [
      ['node dist/server.mjs --transport stdio', r1(plainStart), '1.00'],
      ['same bundle in the sandbox (executeTool startMs)', r1(sandboxStart), r2(sandboxStart / plainStart)],
    ],
  );
  table(
    'Targets',
    ['what', 'value', 'target', 'verdict'],
    [
      [
        'pipeline to review on ~100 MB, excluding model time',
        `${r1(overhead)} ms`,
        '< 3000 ms',
        verdict(overhead, 3000),
      ],
    ],
  );
  console.log(
    `BENCH_JSON ${JSON.stringify({
      rows: ROWS,
      datasetMb: r1(datasetMb),
      runs: runs.map(({ projectDir: _p, datasetPath: _d, ...r }) => r),
      overheadMs: r1(overhead),
      execution: {
        directMs: r1(direct),
        sandboxCallMs: r1(sandboxCall),
        plainCallMs: r1(plainCall),
        ratio: r2(sandboxCall / direct),
      },
      start: { plainMs: r1(plainStart), sandboxMs: r1(sandboxStart), ratio: r2(sandboxStart / plainStart) },
      samples: exec,
      requests: served,
    })}`,
  );
}
process.exit(failed ? 1 : 0);
