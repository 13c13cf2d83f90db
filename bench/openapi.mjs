#!/usr/bin/env node
/**
 * OpenAPI importer benchmark: time and peak memory (maxRSS), each case in its own child process.
 *
 *   npm run build && node bench/openapi.mjs            # all cases
 *   node bench/openapi.mjs --only=import,synthetic     # import | server | tools-server | synthetic
 *   node bench/openapi.mjs --ops=3000                  # size of the synthetic document (default 1500)
 *
 * Cases:
 *   import        Twilio (197 operations) → spec (dynamic mode, the default), incl. schema validation
 *   server        Twilio → spec → generated, type-checked, bundled server (createServerProject, no generated tests)
 *   tools-server  the same with dynamic mode off: 197 tools
 *   synthetic     a ~1,500-operation document merged from copies of the corpus documents (paths and operationIds
 *                 renamed) → spec. Targets: < 5 s and < 500 MB.
 * The corpus is read from ../shared/corpus/openapi. Prints a table and a last line `BENCH_JSON {…}`.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CORPUS = resolve(ROOT, '../shared/corpus/openapi');
const TWILIO = join(CORPUS, 'twilio_api_v2010.json');
const PETSTORE = join(CORPUS, 'petstore-3.0.yaml');
const DIST = join(ROOT, 'dist/sources/openapi/index.js');

const { values } = parseArgs({
  options: {
    child: { type: 'string' },
    file: { type: 'string' },
    out: { type: 'string' },
    only: { type: 'string' },
    ops: { type: 'string', default: '1500' },
  },
});

if (values.child) await runChild(values.child, values.file, values.out);
else await main();

/** One measurement, in this (fresh) process: prints `RESULT {…}` on stdout. */
async function runChild(task, file, out) {
  const { importOpenApi } = await import(pathToFileURL(DIST).href);
  const { validateSpec } = await import(pathToFileURL(join(ROOT, 'dist/core/spec/load.js')).href);
  const started = performance.now();
  const options = task === 'tools-server' ? { dynamic: false } : {};
  const { spec, report } = await importOpenApi(file, options);
  const importMs = performance.now() - started;
  const checked = validateSpec(JSON.parse(JSON.stringify(spec)));
  if (!checked.ok) throw new Error(`invalid spec: ${JSON.stringify(checked.issues.slice(0, 3))}`);
  const specMs = performance.now() - started;
  const result = {
    task,
    importMs: Math.round(importMs),
    specMs: Math.round(specMs),
    operations: report.counts.operations,
    imported: report.counts.imported,
    mode: report.mode,
    specBytes: Buffer.byteLength(JSON.stringify(spec)),
  };
  if (task === 'server' || task === 'tools-server') {
    const { createServerProject } = await import(pathToFileURL(join(ROOT, 'dist/build/create.js')).href);
    const created = await createServerProject({
      spec: checked.spec,
      specDir: dirname(file),
      outDir: out,
      runTests: false,
    });
    result.serverMs = Math.round(performance.now() - started);
    result.steps = Object.fromEntries(
      created.log.steps.map((s) => [s.step ?? s.name, Math.round(s.durationMs)]),
    );
    result.bundleBytes = created.bundle.bytes;
  }
  result.totalMs = Math.round(performance.now() - started);
  result.maxRssMB = Math.round(process.resourceUsage().maxRSS / 1024);
  console.log(`RESULT ${JSON.stringify(result)}`);
}

function child(task, file, out) {
  return new Promise((resolvePromise, reject) => {
    const proc = spawn(
      process.execPath,
      [fileURLToPath(import.meta.url), `--child=${task}`, `--file=${file}`, ...(out ? [`--out=${out}`] : [])],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (c) => {
      stdout += c;
    });
    proc.stderr.on('data', (c) => {
      stderr += c;
    });
    const timer = setTimeout(() => proc.kill('SIGKILL'), 600_000);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
      if (code !== 0 || !line) reject(new Error(`${task} failed (exit ${code}): ${stderr.slice(-2000)}`));
      else resolvePromise(JSON.parse(line.slice(7)));
    });
  });
}

/** Copies of the corpus documents with renamed paths and operationIds, merged into one document. */
async function syntheticDocument(target, scratch) {
  const { parse } = await import('yaml');
  const twilio = JSON.parse(readFileSync(TWILIO, 'utf8'));
  const petstore = parse(readFileSync(PETSTORE, 'utf8'));
  const count = (doc) =>
    Object.values(doc.paths).reduce(
      (n, item) =>
        n +
        Object.keys(item).filter((k) =>
          ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'].includes(k),
        ).length,
      0,
    );
  const perRound = count(twilio) + count(petstore);
  const rounds = Math.ceil(target / perRound);
  const merged = {
    openapi: '3.0.3',
    info: { title: 'Synthetic Merged API', version: '1.0.0' },
    servers: petstore.servers,
    components: {
      schemas: { ...twilio.components.schemas, ...petstore.components.schemas },
      requestBodies: { ...petstore.components.requestBodies },
      securitySchemes: { ...twilio.components.securitySchemes, ...petstore.components.securitySchemes },
    },
    security: twilio.security,
    paths: {},
  };
  for (let round = 0; round < rounds; round++) {
    for (const [name, doc] of [
      ['twilio', twilio],
      ['pets', petstore],
    ]) {
      for (const [path, item] of Object.entries(doc.paths)) {
        const copy = structuredClone(item);
        for (const operation of Object.values(copy))
          if (operation && typeof operation === 'object' && typeof operation.operationId === 'string')
            operation.operationId = `${operation.operationId}_${name}${round}`;
        merged.paths[`/${name}${round}${path}`] = copy;
      }
    }
  }
  const file = join(scratch, 'synthetic.json');
  writeFileSync(file, JSON.stringify(merged));
  return { file, operations: count(merged), bytes: Buffer.byteLength(JSON.stringify(merged)) };
}

async function main() {
  if (!existsSync(DIST)) {
    console.error('dist/ is missing or stale: run `npm run build` first.');
    process.exit(2);
  }
  if (!existsSync(TWILIO) || !existsSync(PETSTORE)) {
    console.error(`corpus not found in ${CORPUS}`);
    process.exit(2);
  }
  const only = values.only ? new Set(values.only.split(',')) : undefined;
  const want = (t) => !only || only.has(t);
  const scratch = mkdtempSync(join(tmpdir(), 'mcpf-openapi-bench-'));
  const results = [];
  try {
    if (want('import')) results.push({ name: 'Twilio → spec', ...(await child('import', TWILIO)) });
    if (want('server'))
      results.push({
        name: 'Twilio → bundled server (dynamic)',
        ...(await child('server', TWILIO, join(scratch, 'twilio'))),
      });
    if (want('tools-server'))
      results.push({
        name: 'Twilio → bundled server (197 tools)',
        ...(await child('tools-server', TWILIO, join(scratch, 'twilio-tools'))),
      });
    if (want('synthetic')) {
      const doc = await syntheticDocument(Number(values.ops), scratch);
      const r = await child('synthetic', doc.file);
      results.push({
        name: `synthetic ${doc.operations} ops (${(doc.bytes / 1048576).toFixed(1)} MiB) → spec`,
        ...r,
      });
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  const rows = results.map((r) => [
    r.name,
    `${r.imported}/${r.operations}`,
    r.mode,
    `${r.importMs} ms`,
    `${r.specMs} ms`,
    r.serverMs !== undefined ? `${r.serverMs} ms` : '-',
    `${r.maxRssMB} MB`,
  ]);
  const header = ['case', 'ops', 'mode', 'import', '+ validateSpec', '+ server', 'peak RSS'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => String(row[i]).length)));
  const line = (cells) => cells.map((c, i) => String(c).padEnd(widths[i])).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows) console.log(line(row));
  for (const r of results)
    if (r.steps)
      console.log(
        `  ${r.name} steps: ${Object.entries(r.steps)
          .map(([k, v]) => `${k} ${v} ms`)
          .join(', ')}; bundle ${(r.bundleBytes / 1024).toFixed(0)} KiB`,
      );
  const synthetic = results.find((r) => r.task === 'synthetic');
  if (synthetic) {
    const ok = synthetic.specMs < 5000 && synthetic.maxRssMB < 500;
    console.log(
      `target synthetic → spec < 5 s and < 500 MB: ${ok ? 'ok' : 'MISSED'} (${synthetic.specMs} ms, ${synthetic.maxRssMB} MB)`,
    );
  }
  let node = process.version;
  try {
    node = execFileSync(process.execPath, ['--version']).toString().trim();
  } catch {}
  console.log(`BENCH_JSON ${JSON.stringify({ node, results })}`);
}
