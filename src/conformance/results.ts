/**
 * Reading what the suite left behind: one `server-<scenario>-<timestamp>/checks.json` per scenario in the
 * raw output directory, and the scenario names of the SUMMARY block on its stdout.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { SuiteCheck } from './types.js';
import { exists, readJson } from './util.js';

const RESULT_DIR_RE = /^server-(.+)-(\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z)$/;

export interface ScenarioResults {
  dir: string;
  checks: SuiteCheck[];
}

export function readResults(rawDir: string): Record<string, ScenarioResults> {
  const byScenario: Record<string, ScenarioResults> = {};
  for (const d of fs.readdirSync(rawDir).sort()) {
    const m = RESULT_DIR_RE.exec(d);
    const file = path.join(rawDir, d, 'checks.json');
    if (!m || !exists(file)) continue;
    byScenario[m[1] as string] = { dir: path.join(rawDir, d), checks: readJson(file) as SuiteCheck[] };
  }
  return byScenario;
}

/** Scenario names from the suite's stdout SUMMARY block ("✓ name: 1 passed, 0 failed"). */
export function parseSummary(stdout: string): string[] {
  const names: string[] = [];
  const idx = stdout.indexOf('=== SUMMARY ===');
  if (idx < 0) return names;
  for (const line of stdout.slice(idx).split('\n')) {
    const m = /^[✓✗] ([^:\s]+): \d+ passed, \d+ failed/.exec(line.trim());
    if (m) names.push(m[1] as string);
  }
  return names;
}
