#!/usr/bin/env node
/**
 * Evaluate a live model on the toolsmith question set: every case (question + dataset) goes through the real
 * toolsmith pipeline with the configured model — intent, spec, code, validation with repairs, execution in the
 * sandbox — and the rows the run executed (the output waiting for stage-1 review) are compared with the case's
 * independently computed `expected` rows.
 *
 *   npm run build
 *   MCP_FACTORY_LLM_PROVIDER=anthropic ANTHROPIC_API_KEY=… node scripts/toolsmith-eval.mjs
 *   node scripts/toolsmith-eval.mjs --provider openai --model gpt-4.1 --only weather-days-per-year,cars-count-by-origin
 *   node scripts/toolsmith-eval.mjs --provider openai-compatible --base-url http://127.0.0.1:11434/v1 --model qwen2.5-coder:32b
 *
 * Options:
 *   --cases FILE          the question set (default test/toolsmith/cases/cases.json): a JSON array of
 *                         { id, dataset, question, expected: [rows] } (other fields are ignored)
 *   --data-dir DIR        where relative `dataset` names are (default node_modules/vega-datasets/data)
 *   --only id,id          only these cases
 *   --provider, --model, --base-url, --api-key-env
 *                         the model, over the normal LLM configuration (flags > MCP_FACTORY_LLM_* variables >
 *                         the config file; the key is read from the variable apiKeyEnv names)
 *   --concurrency N       runs at once (default 1; validation is CPU-heavy and providers rate-limit)
 *   --timeout S           longest wait for one run, in seconds (default 900)
 *   --fail-under PCT      exit 1 when the share answered correctly is below PCT
 *   --json FILE           also write the per-case results and the summary as JSON
 *   --keep                keep the temporary factory home (runs, generated projects) and print where it is
 *
 * The toolsmith works on a temporary factory home whose policy (toolsmith/policy.yaml, named by
 * MCP_FACTORY_TOOLSMITH_POLICY for this process) lets the eval's remote caller read the data directory;
 * promoted tools never exist there, so every case makes a new tool (no reuse). Each case is:
 *   ok       the rows equal `expected`: same count, same columns in the same order, numbers within 1e-9 relative
 *   renamed  the same values in the same order, but other column names (counted as answered correctly,
 *            reported separately)
 *   wrong    the run reached review but the rows differ (the first difference is printed)
 *   failed   the run failed or timed out (its error is printed)
 * Then the share answered correctly (ok + renamed) and the model's time and calls. Without a configured model
 * (no provider, no model name, the key variable unset) it stops before any run with the LLM_NOT_CONFIGURED
 * message, exit 2. Exit 0 once the set has run (1 with --fail-under not met, or on a crash).
 */
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Numbers equal within a relative 1e-9; anything else by its JSON. */
function same(got, want) {
  if (typeof want === 'number' && typeof got === 'number')
    return Math.abs(got - want) <= 1e-9 * Math.max(1, Math.abs(want));
  return JSON.stringify(got) === JSON.stringify(want);
}

/**
 * Compare executed rows with the expected ones: { verdict: 'ok' | 'renamed' | 'wrong', difference? }.
 * 'renamed': every row has the expected values in the expected order under other column names.
 */
export function compareRows(actual, expected) {
  if (!Array.isArray(actual))
    return { verdict: 'wrong', difference: `no rows: ${JSON.stringify(actual)?.slice(0, 200)}` };
  if (actual.length !== expected.length)
    return { verdict: 'wrong', difference: `${actual.length} row(s), expected ${expected.length}` };
  let renamed = false;
  for (let i = 0; i < expected.length; i++) {
    const got = actual[i] ?? {};
    const want = expected[i];
    const gotKeys = Object.keys(got);
    const wantKeys = Object.keys(want);
    if (gotKeys.length !== wantKeys.length)
      return {
        verdict: 'wrong',
        difference: `row ${i}: columns ${JSON.stringify(gotKeys)}, expected ${JSON.stringify(wantKeys)}`,
      };
    for (let k = 0; k < wantKeys.length; k++) {
      const key = wantKeys[k];
      if (gotKeys[k] !== key) renamed = true;
      if (!same(got[gotKeys[k]], want[key]))
        return {
          verdict: 'wrong',
          difference: `row ${i} ${key}${gotKeys[k] !== key ? ` (as ${gotKeys[k]})` : ''}: ${JSON.stringify(got[gotKeys[k]])}, expected ${JSON.stringify(want[key])}`,
        };
    }
  }
  return renamed
    ? {
        verdict: 'renamed',
        difference: `columns ${JSON.stringify(Object.keys(actual[0] ?? {}))}, expected ${JSON.stringify(Object.keys(expected[0] ?? {}))}`,
      }
    : { verdict: 'ok' };
}

const USAGE =
  'usage: node scripts/toolsmith-eval.mjs [--cases FILE] [--data-dir DIR] [--only id,id] [--provider P] [--model M] [--base-url URL] [--api-key-env NAME] [--concurrency N] [--timeout S] [--fail-under PCT] [--json FILE] [--keep]';

async function main() {
  let flags;
  try {
    ({ values: flags } = parseArgs({
      options: {
        cases: { type: 'string' },
        'data-dir': { type: 'string' },
        only: { type: 'string' },
        provider: { type: 'string' },
        model: { type: 'string' },
        'base-url': { type: 'string' },
        'api-key-env': { type: 'string' },
        concurrency: { type: 'string', default: '1' },
        timeout: { type: 'string', default: '900' },
        'fail-under': { type: 'string' },
        json: { type: 'string' },
        keep: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (error) {
    console.error(`${error.message}\n${USAGE}`);
    return 2;
  }
  if (flags.help) {
    console.log(USAGE);
    return 0;
  }
  const concurrency = Number(flags.concurrency);
  const timeoutMs = Number(flags.timeout) * 1000;
  const failUnder = flags['fail-under'] === undefined ? undefined : Number(flags['fail-under']);
  if (
    !Number.isInteger(concurrency) ||
    concurrency < 1 ||
    !(timeoutMs > 0) ||
    (failUnder !== undefined && !(failUnder >= 0))
  ) {
    console.error(
      `--concurrency must be a positive integer, --timeout and --fail-under positive numbers\n${USAGE}`,
    );
    return 2;
  }

  const dist = join(ROOT, 'dist', 'toolsmith', 'index.js');
  let toolsmithModule;
  let configModule;
  let storeModule;
  let homeModule;
  try {
    [toolsmithModule, configModule, storeModule, homeModule] = await Promise.all([
      import(dist),
      import(join(ROOT, 'dist', 'llm', 'config.js')),
      import(join(ROOT, 'dist', 'store', 'index.js')),
      import(join(ROOT, 'dist', 'platform', 'home.js')),
    ]);
  } catch (error) {
    console.error(`cannot load ${dist} (${error.message}): run \`npm run build\` first`);
    return 2;
  }

  // The model first: without one, nothing else happens.
  const llmSettings = {
    ...(flags.provider ? { provider: flags.provider } : {}),
    ...(flags.model ? { model: flags.model } : {}),
    ...(flags['base-url'] ? { baseUrl: flags['base-url'] } : {}),
    ...(flags['api-key-env'] ? { apiKeyEnv: flags['api-key-env'] } : {}),
  };
  let llm;
  try {
    llm = configModule.resolveLlmConfig({ flags: llmSettings, env: process.env });
    configModule.resolveApiKey(llm, process.env);
  } catch (error) {
    const hint = error?.issues?.[0]?.hint;
    console.error(`${error?.code ?? 'ERROR'}: ${error?.message ?? error}${hint ? `\n  hint: ${hint}` : ''}`);
    return 2;
  }

  const casesFile = resolve(flags.cases ?? join(ROOT, 'test', 'toolsmith', 'cases', 'cases.json'));
  const dataDir = resolve(flags['data-dir'] ?? join(ROOT, 'node_modules', 'vega-datasets', 'data'));
  let cases;
  try {
    cases = JSON.parse(readFileSync(casesFile, 'utf8'));
    if (!Array.isArray(cases)) throw new Error('not a JSON array');
    for (const c of cases)
      if (
        typeof c?.id !== 'string' ||
        typeof c.dataset !== 'string' ||
        typeof c.question !== 'string' ||
        !Array.isArray(c.expected)
      )
        throw new Error(
          `a case needs id, dataset, question and expected: ${JSON.stringify(c)?.slice(0, 200)}`,
        );
  } catch (error) {
    console.error(`${casesFile}: ${error.message}`);
    return 2;
  }
  if (flags.only) {
    const wanted = flags.only
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const unknown = wanted.filter((id) => !cases.some((c) => c.id === id));
    if (unknown.length > 0) {
      console.error(`--only: no case ${unknown.join(', ')} in ${casesFile}`);
      return 2;
    }
    cases = cases.filter((c) => wanted.includes(c.id));
  }

  const home = mkdtempSync(join(tmpdir(), 'mcpf-toolsmith-eval-'));
  const policyFile = join(home, 'toolsmith', 'policy.yaml');
  const datasetOf = (c) => (isAbsolute(c.dataset) ? c.dataset : join(dataDir, c.dataset));
  const roots = [...new Set([dataDir, ...cases.map((c) => dirname(datasetOf(c)))])].map((d) => {
    try {
      return realpathSync(d);
    } catch {
      return d;
    }
  });
  mkdirSync(dirname(policyFile), { recursive: true });
  writeFileSync(policyFile, `dataRoots:\n${roots.map((r) => `  - ${JSON.stringify(r)}`).join('\n')}\n`);
  const registry = await storeModule.openRegistry({ home });
  const toolsmith = toolsmithModule.openToolsmith({
    registry,
    layout: homeModule.homeLayout(home),
    env: { ...process.env, MCP_FACTORY_TOOLSMITH_POLICY: policyFile },
    llmSettings,
  });
  console.log(
    `toolsmith eval: ${cases.length} case(s) from ${casesFile}; model ${llm.provider}/${llm.model}${llm.baseUrl ? ` at ${llm.baseUrl}` : ''}; concurrency ${concurrency}`,
  );

  const caller = { actor: 'eval', local: false };
  const results = [];
  const started = performance.now();
  const queue = [...cases];
  const one = async (c) => {
    const t0 = performance.now();
    const base = { id: c.id, question: c.question };
    let view;
    try {
      const run = await toolsmith.analyze({ question: c.question, dataset: datasetOf(c), caller });
      await toolsmith.wait(run.id, { timeoutMs });
      view = await toolsmith.get(run.id);
    } catch (error) {
      return {
        ...base,
        verdict: 'failed',
        error: `${error?.code ? `${error.code}: ` : ''}${error?.message ?? error}`,
        wallMs: performance.now() - t0,
        modelMs: 0,
        modelCalls: 0,
      };
    }
    const timing = {
      run: view.id,
      tool: view.tool?.name,
      wallMs: performance.now() - t0,
      modelMs: view.timing.modelMs,
      modelCalls: view.timing.modelCalls,
      repairs: view.repairs,
    };
    if (view.status === 'running')
      return {
        ...base,
        ...timing,
        verdict: 'failed',
        error: `still running at ${view.node} after ${flags.timeout} s`,
      };
    if (view.status === 'failed' || !view.result)
      return {
        ...base,
        ...timing,
        verdict: 'failed',
        error: view.error ?? `stopped at ${view.node} without a result`,
      };
    const rows = view.result.value?.rows;
    const compared = compareRows(rows, c.expected);
    return {
      ...base,
      ...timing,
      verdict: compared.verdict,
      ...(compared.difference ? { difference: compared.difference } : {}),
      rows: Array.isArray(rows) ? rows.slice(0, 20) : view.result.value,
    };
  };
  const print = (r) => {
    const what = r.verdict === 'failed' ? r.error : (r.difference ?? '');
    const cost = `model ${(r.modelMs / 1000).toFixed(1)} s, ${r.modelCalls} call(s)${r.repairs ? `, ${r.repairs} repair(s)` : ''}; ${(r.wallMs / 1000).toFixed(1)} s`;
    console.log(
      `${r.verdict.padEnd(7)}  ${r.id}  (${cost})${what ? `\n         ${String(what).split('\n')[0].slice(0, 400)}` : ''}`,
    );
  };
  try {
    await Promise.all(
      Array.from({ length: Math.min(concurrency, queue.length) }, async () => {
        for (let c = queue.shift(); c; c = queue.shift()) {
          const r = await one(c);
          results.push(r);
          print(r);
        }
      }),
    );
  } finally {
    await toolsmith.close().catch(() => undefined);
    await registry.close().catch(() => undefined);
    if (flags.keep) console.log(`kept the factory home: ${home}`);
    else rmSync(home, { recursive: true, force: true });
  }

  const count = (v) => results.filter((r) => r.verdict === v).length;
  const correct = count('ok') + count('renamed');
  const share = results.length ? (100 * correct) / results.length : 0;
  const modelMs = results.reduce((n, r) => n + (r.modelMs ?? 0), 0);
  const modelCalls = results.reduce((n, r) => n + (r.modelCalls ?? 0), 0);
  const summary = {
    cases: results.length,
    correct,
    exact: count('ok'),
    renamed: count('renamed'),
    wrong: count('wrong'),
    failed: count('failed'),
    share: Math.round(share * 10) / 10,
    modelMs: Math.round(modelMs),
    modelCalls,
    wallMs: Math.round(performance.now() - started),
    model: `${llm.provider}/${llm.model}`,
  };
  console.log(
    `\nanswered correctly: ${correct}/${results.length} (${Math.round(share)}%) — ${summary.exact} exact, ${summary.renamed} with other column names; ${summary.wrong} wrong, ${summary.failed} failed`,
  );
  console.log(
    `model: ${modelCalls} call(s), ${(modelMs / 1000).toFixed(1)} s in total, ${results.length ? (modelMs / 1000 / results.length).toFixed(1) : 0} s per case; wall ${(summary.wallMs / 1000).toFixed(1)} s`,
  );
  if (flags.json) writeFileSync(flags.json, `${JSON.stringify({ summary, results }, null, 2)}\n`);
  if (failUnder !== undefined && share < failUnder) {
    console.error(`the share answered correctly, ${share.toFixed(1)}%, is below --fail-under ${failUnder}%`);
    return 1;
  }
  return 0;
}

if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (error) => {
      console.error(error?.stack ?? error);
      process.exitCode = 1;
    },
  );
}
