/**
 * Shared by the question-set test files (question-set*.test.ts): registers, for a slice of the cases of
 * cases/cases.json, one test per case that runs the case's question through the real toolsmith pipeline with a
 * scripted model (intent naming the columns the SQL uses, the case's interface, code = sqlBody(sql, values))
 * and requires the run to stop at review_output (waiting / STAGED, schema_ok, tests_ok and sandbox_ok all
 * true, exactly three model calls) with executed rows equal to the case's independently computed `expected`
 * (same columns in the same order, numbers within a relative 1e-9). Runs go concurrently on a few lanes over the
 * file's one harness (same home and registry); each case gets its own fake provider and Toolsmith, because a
 * fake replays its script in arrival order and concurrent runs would take each other's answers. After the
 * slice, the median and p90 of the validate and execute node times are printed once.
 */
import { realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { homeLayout } from '../../src/platform/home.js';
import { DEFAULT_POLICY, type RunView, Toolsmith, type ToolsmithPolicy } from '../../src/toolsmith/index.js';
import { startFakeProvider } from '../llm/fake-provider.js';
import { FAKE_KEY, fakeClient } from '../llm/helpers.js';
import { CASES, type QuestionCase } from './question-cases.js';

export { CASES, type QuestionCase } from './question-cases.js';

import { DATA_DIR, dataFile, type Harness, newToolScript, sqlBody, startHarness } from './harness.js';

/** Cases i with i % parts === part: the files split the set evenly whatever its order. */
export function slice(part: number, parts: number): QuestionCase[] {
  return CASES.filter((_, i) => i % parts === part);
}

function reader(file: string): string {
  const path = join(DATA_DIR, file).replaceAll("'", "''");
  if (file.endsWith('.tsv')) return `read_csv('${path}', header = true, delim = '\t')`;
  if (file.endsWith('.csv')) return `read_csv('${path}', header = true)`;
  if (file.endsWith('.json')) return `read_json('${path}')`;
  return `read_parquet('${path}')`;
}

/** The dataset's columns that the SQL names (all of them when it names none, e.g. count(*) only). */
async function sqlColumns(db: DuckDBInstance, c: QuestionCase): Promise<string[]> {
  const conn = await db.connect();
  try {
    const described = await conn.runAndReadAll(`DESCRIBE SELECT * FROM ${reader(c.dataset)}`);
    const all = described.getRowObjects().map((r) => String(r.column_name));
    const literal = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const used = all.filter((name) => new RegExp(`(^|[^\\w])${literal(name)}($|[^\\w])`, 'i').test(c.sql));
    return used.length > 0 ? used : all;
  } finally {
    conn.closeSync();
  }
}

/** Null when equal; else the first difference, in words. */
export function rowsDiffer(actual: unknown, expected: Record<string, unknown>[]): string | null {
  if (!Array.isArray(actual)) return `rows is not an array: ${JSON.stringify(actual)?.slice(0, 200)}`;
  if (actual.length !== expected.length) return `${actual.length} rows, expected ${expected.length}`;
  for (let i = 0; i < expected.length; i++) {
    const got = actual[i] as Record<string, unknown>;
    const want = expected[i]!;
    const gotKeys = Object.keys(got ?? {});
    const wantKeys = Object.keys(want);
    if (gotKeys.join('\0') !== wantKeys.join('\0'))
      return `row ${i}: columns ${JSON.stringify(gotKeys)}, expected ${JSON.stringify(wantKeys)}`;
    for (const key of wantKeys) {
      const g = got[key];
      const w = want[key];
      const same =
        typeof w === 'number' && typeof g === 'number'
          ? Math.abs(g - w) <= 1e-9 * Math.max(1, Math.abs(w))
          : JSON.stringify(g) === JSON.stringify(w);
      if (!same) return `row ${i} ${key}: ${JSON.stringify(g)}, expected ${JSON.stringify(w)}`;
    }
  }
  return null;
}

interface Outcome {
  view?: RunView;
  error?: string;
  wallMs: number;
}

function percentile(values: number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] ?? Number.NaN;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Register the tests of one slice of the set (one describe; the caller is a *.test.ts file). */
export function questionSetSuite(label: string, cases: QuestionCase[], lanes = 2): void {
  let h: Harness;
  const outcomes = new Map<string, Promise<Outcome>>();
  let started = 0;

  /** One case: a fresh fake provider and Toolsmith on the harness's home, so no case can take another's answers. */
  async function runCase(c: QuestionCase, columns: string[], policy: ToolsmithPolicy): Promise<Outcome> {
    const t0 = performance.now();
    const fake = await startFakeProvider({ apiKey: FAKE_KEY });
    const toolsmith = new Toolsmith({
      registry: h.registry,
      layout: homeLayout(h.home),
      policy,
      llm: () => fakeClient('openai', fake),
    });
    try {
      fake.push(
        ...newToolScript({
          columns,
          name: c.toolName,
          description: c.description,
          parameters: c.parameters,
          arguments: c.arguments,
          source: sqlBody(c.sql, c.values),
        }),
      );
      const run = await toolsmith.analyze({
        question: c.question,
        dataset: dataFile(c.dataset),
        caller: { actor: 'asker', local: false },
      });
      await toolsmith.wait(run.id);
      return { view: await toolsmith.get(run.id), wallMs: performance.now() - t0 };
    } catch (error) {
      return { error: String((error as Error)?.stack ?? error), wallMs: performance.now() - t0 };
    } finally {
      await toolsmith.close();
      await fake.close();
    }
  }

  describe(`question set through the pipeline (${label})`, () => {
    beforeAll(async () => {
      h = await startHarness();
      const policy = {
        ...DEFAULT_POLICY,
        dataRoots: [realpathSync(DATA_DIR), realpathSync(tmpdir())],
      } as ToolsmithPolicy;
      const db = await DuckDBInstance.create(':memory:');
      const columns = new Map<string, string[]>();
      try {
        for (const c of cases) columns.set(c.id, await sqlColumns(db, c));
      } finally {
        db.closeSync();
      }
      const queue = [...cases];
      const deferred = new Map<string, (o: Outcome) => void>();
      for (const c of cases)
        outcomes.set(c.id, new Promise<Outcome>((resolve) => deferred.set(c.id, resolve)));
      const lane = async () => {
        for (let c = queue.shift(); c; c = queue.shift())
          deferred.get(c.id)!(await runCase(c, columns.get(c.id)!, policy));
      };
      started = performance.now();
      // Not awaited: each test awaits its own case while the lanes work through the queue.
      for (let i = 0; i < lanes; i++) void lane();
    }, 120_000);

    afterAll(async () => {
      const settled = await Promise.all([...outcomes.values()]);
      const wall = performance.now() - started;
      const node = (name: 'validate' | 'execute') =>
        settled.map((o) => o.view?.timing.nodeMs[name]).filter((v): v is number => typeof v === 'number');
      const validate = node('validate');
      const execute = node('execute');
      console.log(
        `question set (${label}): ${settled.length} cases on ${lanes} lanes in ${(wall / 1000).toFixed(1)} s; ` +
          `validate median ${median(validate)} ms, p90 ${percentile(validate, 0.9)} ms (n=${validate.length}); ` +
          `execute median ${median(execute)} ms, p90 ${percentile(execute, 0.9)} ms (n=${execute.length})`,
      );
      await h?.close();
    }, 600_000);

    it.each(cases.map((c) => [c.id, c] as const))(
      '%s',
      async (_id, c) => {
        const outcome = await outcomes.get(c.id)!;
        expect(outcome.error, c.id).toBeUndefined();
        const view = outcome.view!;
        const detail = JSON.stringify({ error: view.error, validation: view.validation?.errors }).slice(
          0,
          3000,
        );
        expect(view.error, detail).toBeNull();
        expect([view.status, view.toolState, view.node], detail).toEqual([
          'waiting',
          'STAGED',
          'review_output',
        ]);
        expect(view.validation, detail).toMatchObject({ schema_ok: true, tests_ok: true, sandbox_ok: true });
        expect(view.timing.modelCalls, 'intent, interface, code: no reuse question, no repair').toBe(3);
        expect(view.repairs).toBe(0);
        const rows = (view.result?.value as { rows?: unknown } | undefined)?.rows;
        expect(rowsDiffer(rows, c.expected), `${c.id}: ${JSON.stringify(rows)?.slice(0, 1000)}`).toBeNull();
      },
      600_000,
    );
  });
}
