/**
 * One protocol revision against a running server: picks a suite release that knows the revision (the
 * stable release falls back to next), runs it with Node 22 under a timeout, and classifies every scenario
 * it expected — from the requirements file, the SUMMARY block and the result directories, so a scenario
 * that produced nothing is reported as a failure rather than silently missing.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { classifyScenario } from './classify.js';
import { parseDeclaredRequirements } from './declared.js';
import { REPO } from './paths.js';
import { parseSummary, readResults } from './results.js';
import {
  type Engine,
  ensureSuite,
  loadRequirements,
  type NodeBinary,
  SUITE_PKG,
  SUITES,
  suiteKnowsVersion,
} from './suite.js';
import type { ScenarioReport, ServerProbe, VersionReport } from './types.js';
import { log } from './util.js';

interface ProcessOutcome {
  code: number | null;
  timedOut: boolean;
}

function runProcess(
  bin: string,
  args: string[],
  { logFile, timeoutMs, env }: { logFile: string; timeoutMs: number; env: NodeJS.ProcessEnv },
): Promise<ProcessOutcome> {
  return new Promise((resolve) => {
    const out = fs.openSync(logFile, 'w');
    const child = spawn(bin, args, { stdio: ['ignore', out, out], env, cwd: path.dirname(logFile) });
    fs.closeSync(out);
    let timedOut = false;
    const t = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(t);
      resolve({ code, timedOut });
    });
  });
}

export interface VersionRun {
  version: string;
  engine: Engine;
  node22: NodeBinary;
  url: string;
  outDir: string;
  probe: ServerProbe;
  timeoutMs: number;
}

export async function runVersion({
  version,
  engine,
  node22,
  url,
  outDir,
  probe,
  timeoutMs,
}: VersionRun): Promise<VersionReport> {
  let suite = ensureSuite(engine);
  let engineUsed: Engine = engine;
  if (!suiteKnowsVersion(node22.bin, suite, version)) {
    if (engine === 'stable') {
      log(
        `${SUITE_PKG}@${suite.version} does not know spec version ${version}; using ${SUITES.next.version}`,
      );
      engineUsed = 'next';
      suite = ensureSuite('next');
    }
    if (!suiteKnowsVersion(node22.bin, suite, version)) {
      throw new Error(`${SUITE_PKG}@${suite.version} does not know spec version ${version}`);
    }
  }
  const rawDir = path.join(outDir, 'raw', version);
  fs.rmSync(rawDir, { recursive: true, force: true });
  fs.mkdirSync(rawDir, { recursive: true });
  const requirements = engineUsed === 'next' ? loadRequirements(suite, version) : null;
  const args = [suite.cli, 'server', '--url', url, '-o', rawDir];
  if (requirements) args.push('--requirements', version);
  else args.push('--spec-version', version);
  const logFile = path.join(rawDir, 'suite-output.txt');
  const env = {
    ...process.env,
    PATH: `${path.dirname(node22.bin)}${path.delimiter}${process.env.PATH ?? ''}`,
  };
  const started = Date.now();
  log(`${version}: ${SUITE_PKG}@${suite.version} ${args.slice(2).join(' ')}`);
  const run = await runProcess(node22.bin, args, { logFile, timeoutMs, env });
  const durationMs = Date.now() - started;
  const stdout = fs.readFileSync(logFile, 'utf8');

  const declaredAll = parseDeclaredRequirements(fs.readFileSync(suite.cli, 'utf8'));
  const results = readResults(rawDir);
  const expected = new Set([
    ...(requirements ? [...requirements.scored, ...Object.keys(requirements.notScored)] : []),
    ...parseSummary(stdout),
    ...Object.keys(results),
  ]);
  const scenarios: ScenarioReport[] = [];
  for (const name of expected) {
    const scored = requirements ? !(name in requirements.notScored) : true;
    const notScoredReason = requirements?.notScored[name] ?? null;
    const r = results[name];
    if (!r) {
      scenarios.push({
        scenario: name,
        status: 'fail',
        classification: 'protocol',
        reason: run.timedOut
          ? `suite timed out after ${timeoutMs} ms before this scenario reported`
          : 'the suite produced no results for this scenario (see suite-output.txt)',
        scored,
        notScoredReason,
        checks: { total: 0, failed: 0, warnings: 0 },
        failures: [],
        warnings: [],
      });
      continue;
    }
    const c = classifyScenario(name, r.checks, {
      probe,
      declared: declaredAll[name] ?? { fixtures: [], endpoints: [] },
    });
    scenarios.push({ ...c, scored, notScoredReason, resultsDir: path.relative(outDir, r.dir) });
  }
  const count = (pred: (s: ScenarioReport) => boolean) => scenarios.filter(pred).length;
  return {
    suite: `${SUITE_PKG}@${suite.version}`,
    mode: requirements ? `--requirements ${version}` : `--spec-version ${version}`,
    requirementsFile: requirements ? path.relative(REPO, requirements.file) : null,
    suiteExitCode: run.code,
    suiteTimedOut: run.timedOut,
    durationMs,
    serverProbe: {
      ok: probe.ok,
      error: probe.error,
      capabilities: probe.capabilities,
      tools: probe.tools.map((t) => t.name),
      prompts: probe.prompts.map((p) => p.name),
      resources: probe.resources.map((r) => r.uri),
      resourceTemplates: probe.resourceTemplates.map((t) => t.uriTemplate),
    },
    summary: {
      scenarios: scenarios.length,
      pass: count((s) => s.classification === 'pass'),
      fixtureRequired: count((s) => s.classification === 'fixture-required'),
      protocol: count((s) => s.classification === 'protocol'),
      protocolScored: count((s) => s.classification === 'protocol' && s.scored),
    },
    scenarios,
  };
}
