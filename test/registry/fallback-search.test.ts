/**
 * The registry's fallback search engine (`like`: SQLite without FTS5, or forced) ranks with the shared search
 * (src/core/search): Unicode-aware, across pages of the scan, with the FTS field weights and stable ties.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRegistry, type Registry, type ToolInput } from '../../src/store/index.js';
import { type BackendHandle, createSqliteHome, hash } from './backends.js';

describe('fallback search', () => {
  let handle: BackendHandle;
  let registry: Registry;

  beforeAll(async () => {
    handle = createSqliteHome();
    registry = await openRegistry({ ...handle.options, search: 'like' });
    const create = (name: string, tools: ToolInput[]) =>
      registry.createServerVersion({
        name,
        version: '1.0.0',
        spec: {},
        artifactHash: hash(name),
        actor: 't',
        tools,
      });
    await create('wetter', [
      { name: 'vorhersage', title: 'Wettervorhersage für Köln', description: 'Temperatur und Niederschlag.' },
      { name: 'getStationData', title: 'Station data', description: 'Rohdaten einer Messstation.' },
    ]);
    await create('tokyo', [{ name: 'weather', title: '東京都の天気', description: '天気予報を返します。' }]);
    // More tools than one scan page (500), so ranking spans pages.
    await create(
      'bulk',
      Array.from({ length: 620 }, (_, i) => ({
        name: `tool_${String(i).padStart(3, '0')}`,
        description: 'filler',
      })),
    );
    await create('zz-last', [{ name: 'needle', description: 'The one tool that says needle.' }]);
  });

  afterAll(async () => {
    await registry.close();
    await handle.cleanup();
  });

  it('reports the fallback engine', () => {
    expect(registry.info().search).toBe('like');
  });

  it('folds case and diacritics', async () => {
    for (const query of ['koln', 'KÖLN', 'Köln']) {
      expect((await registry.searchTools(query)).map((m) => m.tool)).toEqual(['vorhersage']);
    }
  });

  it('splits identifiers and finds CJK words without spaces', async () => {
    expect((await registry.searchTools('station')).map((m) => m.tool)).toEqual(['getStationData']);
    expect((await registry.searchTools('東京')).map((m) => `${m.server}/${m.tool}`)).toEqual([
      'tokyo/weather',
    ]);
    expect((await registry.searchTools('天気')).map((m) => m.tool)).toEqual(['weather']);
  });

  it('ranks every current tool, beyond the first scan page', async () => {
    expect((await registry.searchTools('needle')).map((m) => m.server)).toEqual(['zz-last']);
    const filler = await registry.searchTools('filler', { limit: 3 });
    // Equal scores: ordered by server, then tool name.
    expect(filler.map((m) => m.tool)).toEqual(['tool_000', 'tool_001', 'tool_002']);
    expect(new Set(filler.map((m) => m.score)).size).toBe(1);
  });
});
