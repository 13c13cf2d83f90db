/** `create --prompt`: resolvePromptSource as main.ts will call it (flags → settings, notes, create with repairs). */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ProgressEvent } from '../../src/build/create.js';
import { promptFlags, resolvePromptSource } from '../../src/surfaces/cli/prompt-source.js';
import { specToYaml } from '../../src/surfaces/cli/sources.js';
import { type FakeProvider, startFakeProvider } from '../llm/fake-provider.js';
import { FAKE_KEY, failure, loadTranscript } from '../llm/helpers.js';

let fake: FakeProvider;
let work: string;
beforeAll(async () => {
  fake = await startFakeProvider({ apiKey: FAKE_KEY });
  work = mkdtempSync(join(tmpdir(), 'mcpf-nl-cli-'));
});
afterAll(async () => {
  await fake.close();
  rmSync(work, { recursive: true, force: true });
});
beforeEach(() => {
  fake.requests.length = 0;
});

describe('resolvePromptSource', () => {
  it('turns the flags into the highest configuration layer', () => {
    expect(
      promptFlags({
        provider: 'openai',
        model: 'gpt-4.1',
        temperature: '0',
        maxRetries: '5',
        timeout: '90',
        apiKeyEnv: 'K',
      }),
    ).toEqual({
      provider: 'openai',
      model: 'gpt-4.1',
      temperature: 0,
      maxRetries: 5,
      timeoutMs: 90_000,
      apiKeyEnv: 'K',
    });
    expect(() => promptFlags({ maxRetries: 'x' })).toThrow(/--max-retries/);
  });

  it('gives the spec (for --emit-spec), env notes and progress, then builds with the repair loop', async () => {
    const t = loadTranscript('code-compile-error');
    fake.push(...t.turns.map((turn) => turn.respond));
    const events: ProgressEvent[] = [];
    const source = await resolvePromptSource({
      prompt: t.prompt,
      provider: 'openai',
      model: 'gpt-4.1',
      baseUrl: `${fake.url}/v1`,
      apiKeyEnv: 'FAKE_LLM_KEY',
      env: { FAKE_LLM_KEY: FAKE_KEY },
      configFile: false,
      research: false,
      onProgress: (e) => events.push(e),
    });
    expect(source.origin).toBe('prompt (openai gpt-4.1)');
    expect(source.spec.name).toBe('text-tools-mcp');
    expect(specToYaml(source.input)).toContain('name: text-tools-mcp');
    expect(source.report.rounds).toHaveLength(1);
    expect(events.filter((e) => e.status === 'done').map((e) => e.step)).toEqual(['llm: extract spec']);
    const outDir = join(work, 'text-tools');
    const result = await source.create({ outDir, onProgress: (e) => events.push(e) });
    expect(result.outDir).toBe(outDir);
    expect(existsSync(join(outDir, 'dist', 'server.mjs'))).toBe(true);
    expect(events.map((e) => `${e.step}:${e.status}`)).toContain('typecheck:failed');
    expect(events.map((e) => `${e.step}:${e.status}`)).toContain(
      'llm: repair code (build 1 type-check):done',
    );
    const log = JSON.parse(readFileSync(join(outDir, 'execution_log.json'), 'utf8'));
    expect(log.llmCalls).toHaveLength(2);
  });

  it('lists the environment variables to set', async () => {
    const t = loadTranscript('inventory-postgres');
    fake.push(...t.turns.map((turn) => turn.respond));
    const source = await resolvePromptSource({
      prompt: t.prompt,
      provider: 'anthropic',
      baseUrl: `${fake.url}/v1`,
      apiKeyEnv: 'FAKE_LLM_KEY',
      env: { FAKE_LLM_KEY: FAKE_KEY },
      configFile: false,
    });
    expect(source.notes[0]).toBe('Set these environment variables when running the server:');
    expect(source.notes.join('\n')).toContain(
      'INVENTORY_DATABASE_URL [secret]: postgresql connection URL for inventory_db',
    );
    expect(source.notes.join('\n')).toContain('INVENTORY_API_KEY [secret]');
  });

  it('reads --prompt-file and refuses both or neither', async () => {
    const file = join(work, 'prompt.txt');
    writeFileSync(file, '\u0000\n');
    const env = { FAKE_LLM_KEY: FAKE_KEY };
    const common = {
      provider: 'openai',
      baseUrl: `${fake.url}/v1`,
      apiKeyEnv: 'FAKE_LLM_KEY',
      env,
      configFile: false as const,
    };
    expect((await failure(resolvePromptSource({ ...common, promptFile: file }))).code).toBe(
      'NL_PROMPT_EMPTY',
    );
    expect((await failure(resolvePromptSource({ ...common, promptFile: file, prompt: 'x' }))).code).toBe(
      'INVALID_ARGUMENTS',
    );
    expect(
      (await failure(resolvePromptSource({ ...common, promptFile: join(work, 'missing.txt') }))).code,
    ).toBe('INVALID_ARGUMENTS');
    expect((await failure(resolvePromptSource({ ...common, prompt: '' }))).code).toBe('NL_PROMPT_EMPTY');
    expect(fake.requests).toHaveLength(0);
  });

  it('reports a missing key or provider with LLM_NOT_CONFIGURED', async () => {
    expect(
      (await failure(resolvePromptSource({ prompt: 'A server.', env: {}, configFile: false }))).code,
    ).toBe('LLM_NOT_CONFIGURED');
    const error = await failure(
      resolvePromptSource({ prompt: 'A server.', provider: 'anthropic', env: {}, configFile: false }),
    );
    expect(error.code).toBe('LLM_NOT_CONFIGURED');
    expect(error.message).toContain('ANTHROPIC_API_KEY');
  });
});
