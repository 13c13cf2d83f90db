#!/usr/bin/env node
/**
 * Natural language → server: pipeline overhead excluding model time.
 *
 *   npm run build && node bench/nl.mjs            # BENCH_NL_RUNS=5 runs per case
 *   node bench/nl.mjs --quick                     # 2 runs per case
 *
 * A local fake of the OpenAI-compatible Chat Completions API answers at once with the scripted seed-001 inventory
 * spec (test/fixtures/llm/inventory-sqlite.json: 3 sql tools + 1 TypeScript code tool on the shipped SQLite
 * database). The real @ai-sdk/openai-compatible client talks to it over loopback HTTP, so the figures include
 * the HTTP round trip, structured-output parsing, spec validation, the NL checks and the execution log.
 *
 * Cases (each in a fresh output folder):
 *   extract        specFromPrompt: description → validated spec (no build)
 *   nl+build       createFromPrompt: description → validated, generated, type-checked, scanned, bundled server
 *   build only     createServerProject on the same spec (the baseline a hand-written spec pays)
 *   nl+build+tests createFromPrompt including the generated server's own tests (child processes)
 * "model" is the time spent inside the provider calls as the execution log records it (HTTP to the fake); the
 * overhead columns subtract it. Target: nl+build overhead < 2 s on top of model latency.
 * Prints tables and a last line `BENCH_JSON {…}`; exits non-zero only when something failed.
 */
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { median, ROOT, r1, table, verdict } from './lib.mjs';

const { values: flags } = parseArgs({ options: { quick: { type: 'boolean', default: false } } });
const RUNS = Number(process.env.BENCH_NL_RUNS) > 0 ? Number(process.env.BENCH_NL_RUNS) : flags.quick ? 2 : 5;

const importStarted = performance.now();
const nl = await import(join(ROOT, 'dist/sources/nl/index.js'));
const { createServerProject } = await import(join(ROOT, 'dist/build/create.js'));
const importMs = performance.now() - importStarted;

const fixture = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/llm/inventory-sqlite.json'), 'utf8'));
const answer = JSON.stringify(fixture.turns[0].respond.json);
const usage = fixture.turns[0].respond.usage;

// Zero-delay fake of POST /v1/chat/completions.
let served = 0;
const fake = createServer(async (req, res) => {
  for await (const _ of req);
  served++;
  const body = JSON.stringify({
    id: 'chatcmpl-bench',
    object: 'chat.completion',
    created: 1_760_000_000,
    model: 'bench-model',
    choices: [{ index: 0, message: { role: 'assistant', content: answer }, finish_reason: 'stop' }],
    usage: { prompt_tokens: usage.in, completion_tokens: usage.out, total_tokens: usage.in + usage.out },
  });
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
});
fake.listen(0, '127.0.0.1');
await once(fake, 'listening');
const baseUrl = `http://127.0.0.1:${fake.address().port}/v1`;
const work = mkdtempSync(join(tmpdir(), 'mcpf-bench-nl-'));
const specDir = join(ROOT, 'examples');

const settings = { provider: 'openai-compatible', model: 'bench-model', baseUrl, maxRetries: 0 };
const common = { llmSettings: settings, env: {}, configFile: false, research: false, specDir };
const modelMs = (log) => log.llmCalls.reduce((n, c) => n + c.latencyMs, 0);

const results = { extract: [], nlBuild: [], buildOnly: [], nlBuildTests: [] };
let failed = false;
let n = 0;
try {
  // Warm-up (module loading, esbuild service, first TLS-free HTTP connection): not counted.
  const warm = await nl.createFromPrompt(fixture.prompt, {
    ...common,
    outDir: join(work, `warm`),
    runTests: false,
  });
  const spec = warm.spec;
  for (let i = 0; i < RUNS; i++) {
    let t0 = performance.now();
    const extracted = await nl.specFromPrompt(fixture.prompt, common);
    const extractMs = performance.now() - t0;
    results.extract.push({ total: extractMs, model: modelMs(extracted.log) });

    t0 = performance.now();
    const built = await nl.createFromPrompt(fixture.prompt, {
      ...common,
      outDir: join(work, `nl-${n++}`),
      runTests: false,
    });
    results.nlBuild.push({ total: performance.now() - t0, model: modelMs(built.log) });

    t0 = performance.now();
    await createServerProject({ spec, specDir, outDir: join(work, `spec-${n++}`), runTests: false });
    results.buildOnly.push({ total: performance.now() - t0, model: 0 });

    t0 = performance.now();
    const tested = await nl.createFromPrompt(fixture.prompt, { ...common, outDir: join(work, `nlt-${n++}`) });
    if (tested.result.tests?.failed !== 0) throw new Error('the generated tests failed');
    results.nlBuildTests.push({ total: performance.now() - t0, model: modelMs(tested.log) });
  }
} catch (error) {
  failed = true;
  console.error(`✖ ${error?.stack ?? error}`);
} finally {
  fake.close();
  rmSync(work, { recursive: true, force: true });
}

const row = (name, samples) => {
  const totals = samples.map((s) => s.total);
  const models = samples.map((s) => s.model);
  const overheads = samples.map((s) => s.total - s.model);
  return [
    name,
    samples.length,
    r1(median(totals)),
    r1(Math.min(...totals)),
    r1(Math.max(...totals)),
    r1(median(models)),
    r1(median(overheads)),
  ];
};
if (!failed) {
  table(
    `NL pipeline (${RUNS} runs, fake provider with zero delay; NL modules load in ${r1(importMs)} ms, the AI SDK on first use)`,
    ['case', 'n', 'median ms', 'min', 'max', 'model ms', 'overhead ms'],
    [
      row('extract (prompt → validated spec)', results.extract),
      row('nl+build (→ bundled server)', results.nlBuild),
      row('build only (same spec)', results.buildOnly),
      row('nl+build+tests', results.nlBuildTests),
    ],
  );
  const nlOverhead = median(results.nlBuild.map((s) => s.total - s.model));
  const added = nlOverhead - median(results.buildOnly.map((s) => s.total));
  const extractOverhead = median(results.extract.map((s) => s.total - s.model));
  table(
    'Targets',
    ['what', 'value', 'target', 'verdict'],
    [
      [
        'prompt → validated, bundled server, excluding model time',
        `${r1(nlOverhead)} ms`,
        '< 2000 ms',
        verdict(nlOverhead, 2000),
      ],
      ['added by the NL layer vs a hand-written spec', `${r1(added)} ms`, '', ''],
      ['prompt → validated spec, excluding model time', `${r1(extractOverhead)} ms`, '', ''],
    ],
  );
  console.log(
    `BENCH_JSON ${JSON.stringify({ runs: RUNS, importMs: r1(importMs), requests: served, ...Object.fromEntries(Object.entries(results).map(([k, v]) => [k, v.map((s) => ({ total: r1(s.total), model: r1(s.model) }))])) })}`,
  );
}
process.exit(failed ? 1 : 0);
