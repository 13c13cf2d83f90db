/**
 * scripts/toolsmith-eval.mjs (run from dist/: `npm run build` first) against the local fake provider: with two
 * cases, one scripted right and one scripted wrong, it prints `ok` for the first, `wrong` with the first
 * difference for the second and `1/2 (50%)`, with the model's calls; without a configured model (no provider,
 * or the key variable unset) it stops before any run with LLM_NOT_CONFIGURED and exit 2. Its row comparison
 * accepts the expected values under other column names only as `renamed`.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error plain JavaScript script without type declarations
import { compareRows } from '../../scripts/toolsmith-eval.mjs';
import { type FakeProvider, startFakeProvider } from '../llm/fake-provider.js';
import { FAKE_KEY } from '../llm/helpers.js';
import casesJson from './cases/cases.json' with { type: 'json' };
import { newToolScript, sqlBody } from './harness.js';
import type { QuestionCase as Case } from './question-cases.js';

const SCRIPT = resolve(import.meta.dirname, '../../scripts/toolsmith-eval.mjs');

type Verdict = { verdict: 'ok' | 'renamed' | 'wrong'; difference?: string };
const compare = compareRows as (actual: unknown, expected: Record<string, unknown>[]) => Verdict;

let fake: FakeProvider;
let work: string;
beforeAll(async () => {
  fake = await startFakeProvider({ apiKey: FAKE_KEY });
  work = mkdtempSync(join(tmpdir(), 'mcpf-toolsmith-eval-test-'));
});
afterAll(async () => {
  await fake?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** The script in a child process with only the given environment (no keys or config of this machine). */
function runScript(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  const started = performance.now();
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [SCRIPT, ...args], {
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: work,
        MCP_FACTORY_HOME: join(work, 'factory'),
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr, ms: performance.now() - started }));
  });
}

function script(c: Case, sql: string) {
  return newToolScript({
    columns: [],
    name: c.toolName,
    description: c.description,
    parameters: c.parameters,
    arguments: c.arguments,
    source: sqlBody(sql, c.values),
  });
}

describe('scripts/toolsmith-eval.mjs', () => {
  it('scores one right and one wrong answer as 1/2 (50%)', async () => {
    const cases = casesJson as Case[];
    const right = cases.find((c) => c.id === 'weather-days-per-year')!;
    const wrong = cases.find((c) => c.id === 'cars-count-by-origin')!;
    const file = join(work, 'two-cases.json');
    writeFileSync(file, JSON.stringify([right, wrong]));
    // One run at a time: the first three answers are the first case's, the next three the second's.
    fake.push(...script(right, right.sql), ...script(wrong, wrong.sql.replace('count(*)', 'count(*) + 1')));
    expect(wrong.sql).toContain('count(*)');
    const before = fake.requests.length;
    const out = await runScript(
      [
        '--cases',
        file,
        '--provider',
        'openai',
        '--model',
        'gpt-4.1-mini',
        '--base-url',
        `${fake.url}/v1`,
        '--api-key-env',
        'FAKE_LLM_KEY',
      ],
      { FAKE_LLM_KEY: FAKE_KEY },
    );
    expect(out.code, out.stderr + out.stdout).toBe(0);
    expect(out.stdout).toMatch(/^ok\s+weather-days-per-year\s+\(model [\d.]+ s, 3 call\(s\)/m);
    expect(out.stdout).toMatch(/^wrong\s+cars-count-by-origin\s/m);
    expect(out.stdout).toMatch(/row 0 \w+: \d+, expected \d+/);
    expect(out.stdout).toContain(
      'answered correctly: 1/2 (50%) — 1 exact, 0 with other column names; 1 wrong, 0 failed',
    );
    expect(out.stdout).toMatch(/model: 6 call\(s\)/);
    expect(fake.requests.length - before).toBe(6);
    expect(fake.pending()).toBe(0);
  }, 300_000);

  it('stops at once with LLM_NOT_CONFIGURED when no model is configured', async () => {
    const before = fake.requests.length;
    const none = await runScript(['--only', 'weather-days-per-year'], {});
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('LLM_NOT_CONFIGURED: no LLM provider is configured');
    expect(none.stdout).toBe('');
    const noKey = await runScript(
      ['--provider', 'openai', '--model', 'gpt-4.1-mini', '--base-url', `${fake.url}/v1`],
      {},
    );
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toContain('LLM_NOT_CONFIGURED: OPENAI_API_KEY is not set');
    expect(fake.requests.length).toBe(before);
  }, 60_000);

  it('compares rows: exact, renamed columns, wrong values', () => {
    const expected = [
      { year: 2012, days: 191 },
      { year: 2013, days: 158.1 },
    ];
    expect(
      compare(
        [
          { year: 2012, days: 191 },
          { year: 2013, days: 158.1 + 1e-12 },
        ],
        expected,
      ),
    ).toEqual({ verdict: 'ok' });
    expect(
      compare(
        [
          { y: 2012, n: 191 },
          { y: 2013, n: 158.1 },
        ],
        expected,
      ).verdict,
    ).toBe('renamed');
    expect(
      compare(
        [
          { days: 191, year: 2012 },
          { days: 158.1, year: 2013 },
        ],
        expected,
      ).verdict,
    ).toBe('wrong');
    expect(compare([{ year: 2012, days: 191 }], expected)).toEqual({
      verdict: 'wrong',
      difference: '1 row(s), expected 2',
    });
    expect(
      compare(
        [
          { year: 2012, days: 191 },
          { year: 2013, days: 158.2 },
        ],
        expected,
      ).difference,
    ).toBe('row 1 days: 158.2, expected 158.1');
    expect(
      compare(
        [
          { year: 2012, days: 191, extra: 1 },
          { year: 2013, days: 158.1, extra: 1 },
        ],
        expected,
      ).verdict,
    ).toBe('wrong');
    expect(compare({ result: 3 }, expected).verdict).toBe('wrong');
  });
});
