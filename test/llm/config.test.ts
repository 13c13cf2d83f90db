/** LLM configuration: flags > MCP_FACTORY_LLM_* > config file > provider defaults; keys only by variable name. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FactoryError } from '../../src/core/errors/index.js';
import {
  configFilePath,
  resolveApiKey,
  resolveLlmConfig,
  resolveResearchSettings,
} from '../../src/llm/config.js';

const dir = mkdtempSync(join(tmpdir(), 'mcpf-llm-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, data: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof data === 'string' ? data : JSON.stringify(data));
  return path;
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof FactoryError ? error.code : `not a FactoryError: ${String(error)}`;
  }
  return undefined;
}

describe('resolveLlmConfig', () => {
  it('applies the precedence flags > env > file > defaults and records the source of each value', () => {
    const configFile = file('layers.json', {
      llm: {
        provider: 'openai',
        model: 'file-model',
        temperature: 0.7,
        maxRetries: 5,
        baseUrl: 'http://file',
      },
    });
    const config = resolveLlmConfig({
      flags: { model: 'flag-model' },
      env: {
        MCP_FACTORY_LLM_MODEL: 'env-model',
        MCP_FACTORY_LLM_TEMPERATURE: '0.1',
        MCP_FACTORY_LLM_TIMEOUT_MS: '5000',
      },
      configFile,
    });
    expect(config).toMatchObject({
      provider: 'openai',
      model: 'flag-model',
      temperature: 0.1,
      maxRetries: 5,
      timeoutMs: 5000,
      baseUrl: 'http://file',
      apiKeyEnv: 'OPENAI_API_KEY',
      structuredOutput: 'schema',
      configFile,
    });
    expect(config.sources).toMatchObject({
      provider: 'file',
      model: 'flag',
      temperature: 'env',
      maxRetries: 'file',
      timeoutMs: 'env',
      apiKeyEnv: 'default',
    });
  });

  it('uses low temperature and provider defaults when nothing else is given', () => {
    const config = resolveLlmConfig({ flags: { provider: 'anthropic' }, env: {}, configFile: false });
    expect(config).toMatchObject({
      provider: 'anthropic',
      model: 'claude-sonnet-4-5',
      apiKeyEnv: 'ANTHROPIC_API_KEY',
      temperature: 0.2,
      maxRetries: 3,
      timeoutMs: 180_000,
    });
    expect(
      resolveLlmConfig({ flags: { provider: 'google' }, env: {}, configFile: false }).structuredOutput,
    ).toBe('json');
  });

  it('detects the provider from a conventional key variable when none is configured', () => {
    const config = resolveLlmConfig({ env: { OPENAI_API_KEY: 'x' }, configFile: false });
    expect(config.provider).toBe('openai');
    expect(config.sources.provider).toBe('detected');
    const gemini = resolveLlmConfig({ env: { GEMINI_API_KEY: 'x' }, configFile: false });
    expect(gemini).toMatchObject({ provider: 'google', apiKeyEnv: 'GEMINI_API_KEY' });
  });

  it('reports LLM_NOT_CONFIGURED without a provider, and without a model for openai-compatible', () => {
    expect(codeOf(() => resolveLlmConfig({ env: {}, configFile: false }))).toBe('LLM_NOT_CONFIGURED');
    expect(
      codeOf(() =>
        resolveLlmConfig({ flags: { provider: 'openai-compatible' }, env: {}, configFile: false }),
      ),
    ).toBe('LLM_NOT_CONFIGURED');
    const ollama = resolveLlmConfig({
      flags: { provider: 'openai-compatible', model: 'llama3.1' },
      env: {},
      configFile: false,
    });
    expect(ollama.baseUrl).toBe('http://127.0.0.1:11434/v1');
    expect(ollama.apiKeyEnv).toBeUndefined();
    expect(resolveApiKey(ollama, {})).toBeUndefined();
  });

  it('refuses API keys in the config file, by field name and by value', () => {
    expect(
      codeOf(() =>
        resolveLlmConfig({
          env: {},
          configFile: file('k1.json', { llm: { provider: 'openai', apiKey: 'x' } }),
        }),
      ),
    ).toBe('LLM_CONFIG_INVALID');
    expect(
      codeOf(() =>
        resolveLlmConfig({
          env: {},
          configFile: file('k2.json', {
            llm: { provider: 'openai', model: 'sk-proj-abcdefghijklmnopqrstuvwxyz' },
          }),
        }),
      ),
    ).toBe('LLM_CONFIG_INVALID');
    expect(
      codeOf(() =>
        resolveLlmConfig({
          env: {},
          configFile: file('k3.json', {
            llm: { provider: 'openai', apiKeyEnv: 'sk-abcdefghijklmnopqrstuvwxyz012' },
          }),
        }),
      ),
    ).toBe('LLM_CONFIG_INVALID');
    expect(
      codeOf(() =>
        resolveLlmConfig({
          flags: { provider: 'openai', baseUrl: 'https://user:pw@example.com/v1' },
          env: {},
          configFile: false,
        }),
      ),
    ).toBe('LLM_CONFIG_INVALID');
  });

  it('rejects bad values with LLM_CONFIG_INVALID', () => {
    const bad = [
      { provider: 'cohere' },
      { provider: 'openai', temperature: 3 },
      { provider: 'openai', maxRetries: 1.5 },
      { provider: 'openai', timeoutMs: 0 },
      { provider: 'openai', baseUrl: 'ftp://x' },
      { provider: 'openai', structuredOutput: 'xml' },
    ];
    for (const flags of bad)
      expect(
        codeOf(() => resolveLlmConfig({ flags: flags as never, env: {}, configFile: false })),
        JSON.stringify(flags),
      ).toBe('LLM_CONFIG_INVALID');
    expect(
      codeOf(() =>
        resolveLlmConfig({
          env: { MCP_FACTORY_LLM_PROVIDER: 'openai', MCP_FACTORY_LLM_MAX_RETRIES: 'many' },
          configFile: false,
        }),
      ),
    ).toBe('LLM_CONFIG_INVALID');
    expect(codeOf(() => resolveLlmConfig({ env: {}, configFile: file('bad.json', '{ not json') }))).toBe(
      'LLM_CONFIG_INVALID',
    );
    expect(
      codeOf(() =>
        resolveLlmConfig({ env: {}, configFile: file('typo.json', { llm: { providr: 'openai' } }) }),
      ),
    ).toBe('LLM_CONFIG_INVALID');
  });

  it('finds the config file through MCP_FACTORY_CONFIG, MCP_FACTORY_HOME or ~/.mcp-factory, and ignores other sections', () => {
    expect(configFilePath({ MCP_FACTORY_CONFIG: '/etc/f.json', HOME: '/h' })).toBe('/etc/f.json');
    expect(configFilePath({ MCP_FACTORY_HOME: '/srv/factory', HOME: '/h' })).toBe('/srv/factory/config.json');
    expect(configFilePath({ HOME: '/h' })).toBe('/h/.mcp-factory/config.json');
    const path = file('shared.json', { registry: { url: 'x' }, llm: { provider: 'google' } });
    expect(resolveLlmConfig({ env: { MCP_FACTORY_CONFIG: path } }).provider).toBe('google');
    expect(codeOf(() => resolveLlmConfig({ env: { MCP_FACTORY_CONFIG: join(dir, 'missing.json') } }))).toBe(
      'LLM_CONFIG_INVALID',
    );
    // A missing default file is fine.
    expect(
      resolveLlmConfig({ flags: { provider: 'openai' }, env: { HOME: dir } }).configFile,
    ).toBeUndefined();
  });

  it('reads the key only from the named variable and says which one is missing', () => {
    const config = resolveLlmConfig({
      flags: { provider: 'anthropic', apiKeyEnv: 'MY_KEY' },
      env: {},
      configFile: false,
    });
    expect(resolveApiKey(config, { MY_KEY: ' k ' })).toBe('k');
    try {
      resolveApiKey(config, {});
      expect.unreachable();
    } catch (error) {
      expect((error as FactoryError).code).toBe('LLM_NOT_CONFIGURED');
      expect((error as FactoryError).message).toContain('MY_KEY');
    }
  });

  it('keeps research off unless the file or MCP_FACTORY_RESEARCH turns it on', () => {
    expect(resolveResearchSettings({ env: {}, configFile: false }).enabled).toBeUndefined();
    expect(resolveResearchSettings({ env: { MCP_FACTORY_RESEARCH: '1' }, configFile: false }).enabled).toBe(
      true,
    );
    const path = file('research.json', { research: { enabled: true, maxResults: 3 } });
    expect(resolveResearchSettings({ env: {}, configFile: path })).toMatchObject({
      enabled: true,
      maxResults: 3,
    });
    expect(resolveResearchSettings({ env: { MCP_FACTORY_RESEARCH: 'off' }, configFile: path }).enabled).toBe(
      false,
    );
  });
});
