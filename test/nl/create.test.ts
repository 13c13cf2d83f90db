/**
 * createFromPrompt end to end: scripted model answers over HTTP → validated spec → generated, type-checked,
 * security-scanned, bundled server whose own tests pass; compile errors, security findings and failing tests go
 * back to the model; the execution log (steps and LLM calls) lands in the generated project.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createServerProject } from '../../src/build/create.js';
import { FactoryError } from '../../src/core/errors/index.js';
import { ServerSpec, validateSpec } from '../../src/core/spec/index.js';
import { createFromPrompt, nlFailureContext } from '../../src/sources/nl/index.js';
import { type FakeProvider, lastUserText, startFakeProvider } from '../llm/fake-provider.js';
import { FAKE_KEY, failure, fakeClient, loadTranscript } from '../llm/helpers.js';

let fake: FakeProvider;
let work: string;
beforeAll(async () => {
  fake = await startFakeProvider({ apiKey: FAKE_KEY });
  work = mkdtempSync(join(tmpdir(), 'mcpf-nl-create-'));
});
afterAll(async () => {
  await fake.close();
  rmSync(work, { recursive: true, force: true });
});
beforeEach(() => {
  fake.requests.length = 0;
  expect(fake.pending()).toBe(0);
});

function script(name: string): ReturnType<typeof loadTranscript> {
  const t = loadTranscript(name);
  fake.push(...t.turns.map((turn) => turn.respond));
  return t;
}

describe('createFromPrompt', () => {
  it('seed 001 on SQLite: prompt → tested, bundled server with the LLM calls in its execution log', async () => {
    const t = script('inventory-sqlite');
    const outDir = join(work, 'inventory-mcp');
    const result = await createFromPrompt(t.prompt, {
      llm: await fakeClient('anthropic', fake),
      research: false,
      configFile: false,
      specDir: resolve('examples'),
      outDir,
    });
    expect(result.buildAttempts).toBe(1);
    expect(result.result.tests?.failed).toBe(0);
    expect(result.result.tests?.passed).toBeGreaterThan(0);
    expect(result.envRefs.map((r) => r.name)).toEqual(['INVENTORY_API_KEY']);
    expect(existsSync(join(outDir, 'dist', 'server.mjs'))).toBe(true);
    expect(existsSync(join(outDir, 'data', 'inventory.db'))).toBe(true);

    const log = JSON.parse(readFileSync(join(outDir, 'execution_log.json'), 'utf8'));
    expect(log.subject).toBe('inventory-mcp@1.0.0');
    expect(log.steps.map((s: { step: string; status: string }) => `${s.step}:${s.status}`)).toEqual([
      'nl: validate description:ok',
      'research:skipped',
      'llm: extract spec:ok',
      'generate:ok',
      'write:ok',
      'typecheck:ok',
      'security-scan:ok',
      'bundle:ok',
      'generated-tests:ok',
    ]);
    expect(log.llmCalls).toHaveLength(1);
    expect(log.llmCalls[0]).toMatchObject({
      provider: 'anthropic',
      model: 'claude-sonnet-4-5',
      tokensIn: 5400,
      tokensOut: 1900,
      retries: 0,
      estimatedCostUsd: 0.0447,
    });
    expect(log.llmCalls[0].systemPrompt).toContain('You are the spec writer of MCP Factory');
    expect(log.llmCalls[0].userPrompt).toContain('search products by name, SKU, or category');
    expect(log.llmCalls[0].rawResponse).toContain('"search_products"');
    expect(log.llmCalls[0].latencyMs).toBeGreaterThanOrEqual(0);
    const markdown = readFileSync(join(outDir, 'EXECUTION_LOG.md'), 'utf8');
    expect(markdown).toContain('## LLM calls');
    expect(markdown).toContain('anthropic claude-sonnet-4-5');
  });

  it('seed 001 on env-referenced PostgreSQL (OpenAI-compatible): secret repaired, DB tools skipped in tests', async () => {
    const t = script('inventory-postgres');
    const result = await createFromPrompt(t.prompt, {
      llm: await fakeClient('openai-compatible', fake),
      research: false,
      configFile: false,
      specDir: work,
      outDir: join(work, 'inventory-pg'),
      testEnv: { INVENTORY_DATABASE_URL: undefined },
    });
    expect(result.rounds.map((r) => r.outcome)).toEqual(['invalid', 'valid', 'built']);
    expect(result.envRefs.map((r) => r.name)).toEqual(['INVENTORY_DATABASE_URL', 'INVENTORY_API_KEY']);
    expect(result.result.tests?.skipped.join('\n')).toContain('INVENTORY_DATABASE_URL');
    const log = JSON.parse(readFileSync(join(work, 'inventory-pg', 'execution_log.json'), 'utf8'));
    expect(log.llmCalls).toHaveLength(2);
    expect(JSON.stringify(log)).not.toContain('S3cretPassw0rd');
  });

  it('a body that does not compile: the compiler error goes back, the model corrects the body only', async () => {
    const t = script('code-compile-error');
    const outDir = join(work, 'text-tools');
    const result = await createFromPrompt(t.prompt, {
      llm: await fakeClient('openai', fake),
      research: false,
      configFile: false,
      specDir: work,
      outDir,
    });
    expect(result.buildAttempts).toBe(2);
    expect(result.rounds.map((r) => `${r.purpose}:${r.outcome}`)).toEqual([
      'extract spec:valid',
      'build 1:build-failed',
      'repair code (build 1 type-check):valid',
      'build 2:built',
    ]);
    const repair = lastUserText(fake.requests[1]!);
    expect(repair).toContain('## Tool "word_stats"');
    expect(repair).toContain("Property 'txt' does not exist");
    expect(repair).not.toContain('## Tool "slugify"');
    expect(result.spec.tools[0]?.code?.source).toContain('args.text.toLowerCase()');
    const log = JSON.parse(readFileSync(join(outDir, 'execution_log.json'), 'utf8'));
    expect(
      log.steps
        .filter((s: { step: string }) => s.step === 'typecheck')
        .map((s: { status: string }) => s.status),
    ).toEqual(['failed', 'ok']);
  });

  it('a failing generated test: the failure output goes back and the corrected body passes', async () => {
    const t = script('failing-tests');
    const result = await createFromPrompt(t.prompt, {
      llm: await fakeClient('google', fake),
      research: false,
      configFile: false,
      specDir: work,
      outDir: join(work, 'slug'),
    });
    expect(result.buildAttempts).toBe(2);
    const repair = lastUserText(fake.requests[1]!);
    expect(repair).toContain('generated tests failed');
    expect(repair).toContain('slugify example 1: expected "hello-world" in hello_world');
    expect(repair).not.toContain('duration_ms');
    expect(result.result.tests?.failed).toBe(0);
  });

  it('fails before calling the model when the output directory exists', async () => {
    const outDir = join(work, 'exists');
    mkdirSync(outDir, { recursive: true });
    const error = await failure(
      createFromPrompt('A server.', {
        llm: await fakeClient('openai', fake),
        configFile: false,
        specDir: work,
        outDir,
      }),
    );
    expect(error.code).toBe('OUTPUT_EXISTS');
    expect(fake.requests).toHaveLength(0);
  });
});

describe('a prompt asking for a shell backdoor', () => {
  it('the code check refuses the backdoor as data: no project is generated, nothing runs', async () => {
    const t = loadTranscript('shell-backdoor');
    const backdoor = (t.turns[0]!.respond as { json: unknown }).json;
    const checked = validateSpec(backdoor);
    expect(checked.ok).toBe(false);
    expect(
      checked.issues.some(
        (i) =>
          i.code === 'SPEC_UNSAFE_CODE' &&
          i.path === 'tools[1].code.source' &&
          i.message.includes('code-host-module'),
      ),
    ).toBe(true);
    // Even a spec that skipped the loader is refused before a file is written.
    const outDir = join(work, 'backdoor');
    const error = await failure(
      createServerProject({ spec: ServerSpec.parse(backdoor), specDir: work, outDir }),
    );
    expect(error.code).toBe('SPEC_UNSAFE_CODE');
    expect(existsSync(outDir)).toBe(false);
  });

  it('the finding goes back to the model; an inert body passes', async () => {
    const t = script('shell-backdoor');
    const result = await createFromPrompt(t.prompt, {
      llm: await fakeClient('openai', fake),
      research: false,
      configFile: false,
      specDir: work,
      outDir: join(work, 'text-utils'),
    });
    expect(result.buildAttempts).toBe(1);
    expect(lastUserText(fake.requests[1]!)).toContain('high code-host-module');
    expect(result.spec.tools[1]?.code?.source).not.toContain('child_process');
    expect(result.result.security.findings.filter((f) => f.severity === 'critical')).toEqual([]);
  });

  it('a model that insists is stopped after maxRepairs with SPEC_UNSAFE_CODE and the rounds', async () => {
    const t = loadTranscript('shell-backdoor');
    fake.push(t.turns[0]!.respond, t.turns[0]!.respond);
    const outDir = join(work, 'insist');
    const error = await failure(
      createFromPrompt(t.prompt, {
        llm: await fakeClient('openai', fake),
        research: false,
        configFile: false,
        specDir: work,
        outDir,
        maxRepairs: 1,
      }),
    );
    expect(error.code).toBe('SPEC_UNSAFE_CODE');
    expect(((error.details?.rounds ?? []) as Array<{ outcome: string }>).map((r) => r.outcome)).toEqual([
      'invalid',
      'invalid',
    ]);
    expect(existsSync(outDir)).toBe(false);
    expect(nlFailureContext(error)?.log.llmCalls).toHaveLength(2);
  });
});

describe('pluggable build (for the HTTP API)', () => {
  it('repairs the whole spec when a failure is not in a code tool, and scrubs secrets from the test env', async () => {
    const t = loadTranscript('inventory-sqlite');
    const first = t.turns[0]!.respond;
    fake.push(first, first);
    process.env.MCPF_TEST_SECRET_TOKEN = 'do-not-leak';
    const seen: Array<{ attempt: number; secret: unknown; hasSecretKey: boolean }> = [];
    try {
      const result = await createFromPrompt<string>(t.prompt, {
        llm: await fakeClient('openai', fake),
        research: false,
        configFile: false,
        specDir: resolve('examples'),
        build: async (spec, context) => {
          seen.push({
            attempt: context.attempt,
            secret: context.testEnv.MCPF_TEST_SECRET_TOKEN,
            hasSecretKey: 'MCPF_TEST_SECRET_TOKEN' in context.testEnv,
          });
          if (context.attempt === 1)
            throw new FactoryError('GENERATED_TESTS_FAILED', 'the generated tests failed (1 failed)', {
              details: { output: 'not ok 1 - server\n  error: server did not start: missing table' },
            });
          return `registered ${spec.name}`;
        },
      });
      expect(result.result).toBe('registered inventory-mcp');
      expect(seen).toEqual([
        { attempt: 1, secret: undefined, hasSecretKey: true },
        { attempt: 2, secret: undefined, hasSecretKey: true },
      ]);
      const repair = lastUserText(fake.requests[1]!);
      expect(repair).toContain('generated tests failed');
      expect(repair).toContain('server did not start: missing table');
      expect(repair).toContain('Return the complete corrected spec');
    } finally {
      delete process.env.MCPF_TEST_SECRET_TOKEN;
    }
  });

  it('throws other build failures at once', async () => {
    const t = loadTranscript('inventory-sqlite');
    fake.push(t.turns[0]!.respond);
    const error = await failure(
      createFromPrompt(t.prompt, {
        llm: await fakeClient('openai', fake),
        research: false,
        configFile: false,
        specDir: resolve('examples'),
        build: async () => {
          throw new FactoryError('BUNDLE_FAILED', 'esbuild failed');
        },
      }),
    );
    expect(error.code).toBe('BUNDLE_FAILED');
    expect(fake.requests).toHaveLength(1);
  });
});
