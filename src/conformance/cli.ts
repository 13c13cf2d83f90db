/**
 * The conformance runner's command line (`node scripts/conformance.mjs …`, a shim over this module):
 * parses the flags, installs the tools, starts the server from its bundle (or uses --url), probes it and
 * runs the suite once per revision, writes conformance.json and conformance.md, prints a summary and
 * returns the exit status: 0 when every failure is fixture-required, 1 otherwise, 2 on usage errors.
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { renderMarkdown } from './markdown.js';
import { REPO } from './paths.js';
import { probeServer } from './probe.js';
import { runVersion } from './run.js';
import { freePort, startServer, stopServer } from './server.js';
import {
  DEFAULT_VERSIONS,
  ensureNode22,
  ensureSuite,
  isEngine,
  NODE_MAJOR,
  SUITE_PKG,
  SUITES,
} from './suite.js';
import { type ConformanceReport, isVersionFailure, type ScenarioReport } from './types.js';
import { exists, log, messageOf } from './util.js';

export const USAGE = `usage: node scripts/conformance.mjs --server <bundled-server.mjs> [options]
       node scripts/conformance.mjs --url http://127.0.0.1:<port>/mcp [options]

  --server <file>      server bundle; started as: node <file> --transport http --port <free port>
                       (env PORT=<port>, MCP_TRANSPORT=http) and served at http://127.0.0.1:<port>/mcp
  --url <url>          test an already running server instead of starting one
  --out <dir>          report directory (default: out/conformance)
  --versions <list>    protocol revisions, comma separated (default: ${DEFAULT_VERSIONS.join(',')})
  --engine next|stable suite release: next = ${SUITE_PKG}@${SUITES.next.version} (default; the only
                       release that knows 2026-07-28), stable = @${SUITES.stable.version} (npm latest;
                       2025-11-25 and older only — falls back to next for 2026-07-28)
  --mcp-path <path>    endpoint path (default: /mcp)
  --scored-only        exit status ignores scenarios the suite marks not_scored (pending/extension)
  --timeout <s>        per-revision suite timeout in seconds (default: 600)
  --install-only       install Node ${NODE_MAJOR} and both suite releases into .tools/ and exit

exit status: 0 when every failure is classified fixture-required, 1 otherwise, 2 on usage errors`;

function parseFlags(argv: string[]) {
  return parseArgs({
    args: argv,
    options: {
      server: { type: 'string' },
      url: { type: 'string' },
      out: { type: 'string' },
      versions: { type: 'string' },
      engine: { type: 'string', default: 'next' },
      'mcp-path': { type: 'string', default: '/mcp' },
      'scored-only': { type: 'boolean', default: false },
      timeout: { type: 'string', default: '600' },
      'install-only': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  }).values;
}

/** Run the command line; resolves to the process exit status. */
export async function main(argv: string[] = process.argv.slice(2)): Promise<number> {
  let opts: ReturnType<typeof parseFlags>;
  try {
    opts = parseFlags(argv);
  } catch (e) {
    console.error(`${messageOf(e)}\n\n${USAGE}`);
    return 2;
  }
  if (opts.help) {
    console.log(USAGE);
    return 0;
  }
  const engine = opts.engine;
  if (!isEngine(engine)) {
    console.error(`--engine must be one of ${Object.keys(SUITES).join(', ')}\n\n${USAGE}`);
    return 2;
  }
  if (opts['install-only']) {
    const node22 = ensureNode22();
    for (const e of Object.keys(SUITES)) ensureSuite(e);
    log(`ready: node ${node22.version} at ${path.relative(REPO, node22.bin)}`);
    return 0;
  }
  if (!opts.server && !opts.url) {
    console.error(`--server or --url is required\n\n${USAGE}`);
    return 2;
  }
  const versions = (opts.versions ?? DEFAULT_VERSIONS.join(','))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (!versions.length || versions.some((v) => !/^\d{4}-\d{2}-\d{2}$/.test(v))) {
    console.error(`--versions must list dated revisions like 2026-07-28\n\n${USAGE}`);
    return 2;
  }
  const bundle = opts.server ? path.resolve(opts.server) : null;
  if (bundle && !exists(bundle)) {
    console.error(`server bundle not found: ${bundle}`);
    return 2;
  }
  const outDir = path.resolve(opts.out ?? path.join(REPO, 'out', 'conformance'));
  fs.mkdirSync(outDir, { recursive: true });
  const timeoutMs = Math.max(1, Number(opts.timeout) || 600) * 1000;

  const started = Date.now();
  const node22 = ensureNode22();
  ensureSuite(engine);

  let child: ChildProcess | null = null;
  let url = opts.url;
  const onSignal = async () => {
    await stopServer(child);
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const draft: Omit<ConformanceReport, 'durationMs' | 'ok'> = {
    generatedAt: new Date().toISOString(),
    server: bundle ? path.relative(REPO, bundle) || bundle : null,
    url: null,
    tools: { node: node22.version, nodeBinary: path.relative(REPO, node22.bin) },
    versions: {},
  };
  try {
    if (bundle) {
      const port = await freePort();
      url = `http://127.0.0.1:${port}${opts['mcp-path']}`;
      log(`starting ${path.relative(REPO, bundle) || bundle} on port ${port}`);
      child = await startServer(bundle, { port, logFile: path.join(outDir, 'server.log') });
    }
    draft.url = url ?? null;
    for (const version of versions) {
      const probe = await probeServer(url as string, version);
      if (!probe.ok) log(`${version}: probe failed: ${probe.error}`);
      try {
        draft.versions[version] = await runVersion({
          version,
          engine,
          node22,
          url: url as string,
          outDir,
          probe,
          timeoutMs,
        });
      } catch (e) {
        draft.versions[version] = { error: messageOf(e), scenarios: [] };
      }
    }
  } catch (e) {
    draft.error = messageOf(e);
  } finally {
    await stopServer(child);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  const counted = (s: ScenarioReport) => !opts['scored-only'] || s.scored;
  const report: ConformanceReport = Object.assign(draft, {
    durationMs: Date.now() - started,
    ok:
      !draft.error &&
      Object.values(draft.versions).every(
        (v) =>
          !(isVersionFailure(v) && v.error) &&
          v.scenarios.filter(counted).every((s) => s.classification !== 'protocol'),
      ),
  });
  fs.writeFileSync(path.join(outDir, 'conformance.json'), `${JSON.stringify(report, null, 2)}\n`);
  fs.writeFileSync(path.join(outDir, 'conformance.md'), renderMarkdown(report));
  printSummary(report, outDir);
  return report.ok ? 0 : 1;
}

function printSummary(report: ConformanceReport, outDir: string): void {
  console.log(`\nMCP conformance: ${report.url ?? '(no server)'}`);
  if (report.error) console.log(`  error: ${report.error}`);
  for (const [version, v] of Object.entries(report.versions)) {
    if (isVersionFailure(v)) {
      console.log(`  ${version}: error: ${v.error}`);
      continue;
    }
    const s = v.summary;
    console.log(
      `  ${version} (${v.suite}, ${(v.durationMs / 1000).toFixed(1)} s): ${s.scenarios} scenarios, ${s.pass} pass, ${s.fixtureRequired} fixture-required, ${s.protocol} protocol`,
    );
    for (const sc of v.scenarios.filter((x) => x.classification === 'protocol')) {
      console.log(
        `    PROTOCOL ${sc.scenario}${sc.scored ? '' : ` (not scored: ${sc.notScoredReason})`}: ${sc.reason}`,
      );
    }
  }
  console.log(`  report: ${path.join(outDir, 'conformance.md')}`);
  console.log(`  ${report.ok ? 'OK: every failure is fixture-required' : 'FAIL: protocol failures found'}`);
}
