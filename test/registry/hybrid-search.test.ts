/**
 * Hybrid tool search of the registry (src/store/search.ts with src/llm/embeddings.ts) against a local fake of the
 * OpenAI embeddings API (test/llm/fake-embeddings.ts): semantic matches keyword search cannot find, tool vectors
 * cached in the registry (mcpf_embeddings) and never re-embedded, keyword answers when the provider fails, and no
 * API key in the logs. On SQLite, and on PostgreSQL when MCP_FACTORY_TEST_PG_URL is set.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmbedder, type EmbeddingsConfig } from '../../src/llm/embeddings.js';
import { openRegistry, type Registry, type ToolInput } from '../../src/store/index.js';
import { DIMS, type FakeEmbeddings, startFakeEmbeddings } from '../llm/fake-embeddings.js';
import { availableBackends, type BackendHandle, hash } from './backends.js';

/** Matches none of the redaction patterns: only the provider's own key filter keeps it out of the log. */
const KEY = 'local-embeddings-key-51d0e2';

const TOOLS: Record<string, ToolInput[]> = {
  weather: [{ name: 'get_forecast', description: 'Weather forecast for a city' }],
  files: [{ name: 'read_file', description: 'Read the contents of a file' }],
  mail: [{ name: 'send_email', description: 'Send an email to a recipient' }],
  calendar: [{ name: 'create_event', description: 'Create a calendar event' }],
  notes: [{ name: 'add_note', description: 'Add a note to the notebook' }],
  db: [{ name: 'run_query', description: 'Run a SQL query against the database' }],
};
const TOOL_COUNT = Object.values(TOOLS).flat().length;

const ids = (matches: Array<{ server: string; tool: string }>) => matches.map((m) => `${m.server}/${m.tool}`);

describe.each(availableBackends())('hybrid tool search ($name)', (backend) => {
  let handle: BackendHandle;
  let fake: FakeEmbeddings;
  let config: EmbeddingsConfig;
  /** Keyword only (no embedder): also registers the servers. */
  let keyword: Registry;
  const opened: Registry[] = [];

  const reset = (mode: FakeEmbeddings['mode'] = 'ok') => {
    fake.mode = mode;
    fake.requests = 0;
    fake.inputs.length = 0;
  };

  /** A registry on the same database with hybrid search (a fresh instance: empty memory caches). */
  async function hybrid(options: { cooldownMs?: number; log?: (line: string) => void } = {}) {
    const registry = await openRegistry({
      ...handle.options,
      embedder: createEmbedder(config, KEY),
      hybrid: { cooldownMs: options.cooldownMs ?? 0, log: options.log ?? (() => undefined) },
    });
    opened.push(registry);
    return registry;
  }

  beforeAll(async () => {
    handle = await backend.create();
    fake = await startFakeEmbeddings(KEY);
    config = {
      provider: 'openai',
      model: 'text-embedding-3-small',
      apiKeyEnv: 'OPENAI_API_KEY',
      baseUrl: fake.url,
      timeoutMs: 2000,
    };
    keyword = await openRegistry(handle.options);
    for (const [name, tools] of Object.entries(TOOLS)) {
      await keyword.createServerVersion({
        name,
        version: '1.0.0',
        spec: {},
        artifactHash: hash(name),
        actor: 'test',
        tools,
      });
    }
  });

  afterAll(async () => {
    for (const r of opened) await r.close();
    await keyword?.close();
    await fake?.close();
    await handle?.cleanup();
  });

  it('finds a tool by meaning where keyword search finds nothing', async () => {
    reset();
    const registry = await hybrid();
    expect(await keyword.searchTools('meteorological prediction')).toEqual([]);
    expect(ids(await registry.searchTools('meteorological prediction')).slice(0, 1)).toEqual([
      'weather/get_forecast',
    ]);
    expect(await keyword.searchTools('dispatch correspondence')).toEqual([]);
    expect(ids(await registry.searchTools('dispatch correspondence', { limit: 3 }))[0]).toBe(
      'mail/send_email',
    );
    // A keyword match still leads when the words are there.
    expect(ids(await registry.searchTools('sql query'))[0]).toBe('db/run_query');
    expect(registry.hybridSearchStats()).toMatchObject({ hybrid: 3, fallbacks: 0 });
    // Without an embedder the provider is never asked.
    const before = fake.requests;
    await keyword.searchTools('weather forecast');
    expect(fake.requests).toBe(before);
    expect(keyword.hybridSearchStats()).toBeUndefined();
  });

  it('embeds each tool text once: later searches, rebuilt indexes and other instances reuse the vectors', async () => {
    // A model of its own: vectors of other models (earlier tests) are never mixed in.
    const embedder = () => createEmbedder({ ...config, model: 'cache-test-model' }, KEY);
    const open = async () => {
      const registry = await openRegistry({
        ...handle.options,
        embedder: embedder(),
        hybrid: { cooldownMs: 0, log: () => undefined },
      });
      opened.push(registry);
      return registry;
    };
    reset();
    const first = await open();
    await first.searchTools('read a document');
    expect(fake.inputs).toHaveLength(TOOL_COUNT + 1);
    expect(fake.inputs.filter((t) => t === 'read a document')).toHaveLength(1);
    expect(first.hybridSearchStats()).toMatchObject({ toolTextsEmbedded: TOOL_COUNT, queriesEmbedded: 1 });

    reset();
    await first.searchTools('open a dossier');
    await first.searchTools('read a document'); // from the query LRU
    expect(fake.inputs).toEqual(['open a dossier']);

    // A new version changes one tool's text: only that text is embedded when the index is rebuilt.
    await keyword.createServerVersion({
      name: 'notes',
      version: '1.1.0',
      spec: {},
      artifactHash: hash('notes-2'),
      actor: 'test',
      tools: [{ name: 'add_note', description: 'Append a note to the notebook' }],
    });
    reset();
    await first.searchTools('write something down');
    expect(fake.inputs).toHaveLength(2);
    expect(fake.inputs.filter((t) => t.includes('Append a note'))).toHaveLength(1);
    expect(fake.inputs).toContain('write something down');

    // Another instance (another process) finds every tool vector in the registry.
    reset();
    const second = await open();
    await second.searchTools('weather outlook');
    expect(fake.inputs).toEqual(['weather outlook']);
    expect(second.hybridSearchStats()).toMatchObject({ toolTextsEmbedded: 0, queriesEmbedded: 1, hybrid: 1 });

    const rows = await first.kysely
      .selectFrom('mcpf_embeddings')
      .selectAll()
      .where('model', '=', 'openai:cache-test-model')
      .execute();
    expect(rows).toHaveLength(TOOL_COUNT + 1);
    for (const row of rows) {
      expect(row.key).toMatch(/^[0-9a-f]{64}$/);
      expect(Number(row.dims)).toBe(DIMS);
      expect(row.vector.length).toBe(DIMS * 4);
    }
  });

  it('answers with keyword results when the provider is down, logs once and cools down', async () => {
    const log: string[] = [];
    const registry = await hybrid({ cooldownMs: 60_000, log: (line) => log.push(line) });
    reset('down');
    const expected = await keyword.searchTools('send email');
    expect(expected.length).toBeGreaterThan(0);
    expect(await registry.searchTools('send email')).toEqual(expected);
    expect(fake.requests).toBeGreaterThan(0);
    expect(log).toHaveLength(1);
    expect(log[0]).toMatch(/embeddings failed, answering with keyword results.*LLM_PROVIDER_ERROR.*HTTP 500/);
    // Cooling down: the provider is not asked for the next query.
    expect(await registry.searchTools('read file')).toEqual(await keyword.searchTools('read file'));
    expect(fake.inputs).not.toContain('read file');
    expect(fake.inputs).toContain('send email');
    expect(registry.hybridSearchStats()).toMatchObject({ fallbacks: 2, hybrid: 0 });
    reset();
  });

  it('recovers when the provider is back (no cooldown)', async () => {
    const registry = await hybrid({ cooldownMs: 0 });
    reset('down');
    expect(await registry.searchTools('meteorological prediction')).toEqual([]);
    reset();
    expect(ids(await registry.searchTools('meteorological prediction'))[0]).toBe('weather/get_forecast');
  });

  it.each(['wrong-count', 'nan', 'huge', 'garbage', 'hang'] as const)(
    'falls back to keyword results on a %s answer to the query',
    async (mode) => {
      const log: string[] = [];
      const registry = await openRegistry({
        ...handle.options,
        embedder: createEmbedder({ ...config, timeoutMs: 300 }, KEY),
        hybrid: { cooldownMs: 0, log: (line) => log.push(line) },
      });
      opened.push(registry);
      reset();
      await registry.searchTools('warm up'); // tool vectors loaded while the provider is sound
      reset(mode);
      const query = `create calendar event ${mode}`;
      expect(await registry.searchTools(query)).toEqual(await keyword.searchTools(query));
      expect(log).toHaveLength(1);
      expect(log[0]).toMatch(mode === 'hang' ? /LLM_TIMEOUT/ : /LLM_PROVIDER_ERROR: .*malformed|not JSON/);
      reset();
    },
  );

  it('never logs the API key, even when the provider repeats it', async () => {
    const log: string[] = [];
    const registry = await hybrid({ log: (line) => log.push(line) });
    reset('reject-key');
    expect(await registry.searchTools('read file')).toEqual(await keyword.searchTools('read file'));
    expect(fake.requests).toBeGreaterThan(0);
    expect(log).toHaveLength(1);
    expect(log[0]).toMatch(/LLM_AUTH/);
    expect(log[0]).toMatch(/Incorrect API key provided: \[REDACTED\]/);
    expect(log.join('\n')).not.toContain(KEY);
    reset();
  });
});
