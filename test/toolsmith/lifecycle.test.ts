/**
 * Lifecycle of toolsmith tools: a promoted tool answers a later question on another dataset (reuse, no new
 * tool), a second version of a tool supersedes the first (both kept), rollback serves the first again, archive
 * takes it out of the server; stage-1 revise sends the output back to the model. Every state change is in the
 * run's trail with its actor.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataFile, type Harness, newToolScript, rowsOf, sqlBody, startHarness } from './harness.js';

let h: Harness;
let work: string;
beforeAll(async () => {
  h = await startHarness();
  work = mkdtempSync(join(tmpdir(), 'mcpf-toolsmith-data-'));
});
afterAll(async () => {
  await h?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

const asker = { actor: 'alice', local: false };
const reviewer = { actor: 'bob', local: false };
const promoter = { actor: 'carol', local: false };

const SQL =
  'SELECT year(date) AS year, count(*) AS days FROM dataset WHERE weather = $1 GROUP BY 1 ORDER BY 1';

function weatherScript(source = sqlBody(SQL, ['weather'])) {
  return newToolScript({
    columns: ['weather', 'date'],
    name: 'days_by_weather_per_year',
    description:
      'Counts the days of one weather kind (rain, sun, fog…) in each year of a daily weather dataset.',
    parameters: { weather: { type: 'string', description: 'Weather kind', default: 'rain' } },
    arguments: { weather: 'rain' },
    source,
  });
}

/** Days of `weather` per year in a CSV, computed in plain JavaScript. */
function daysPerYear(file: string, weather: string) {
  const [header, ...lines] = readFileSync(file, 'utf8').trim().split('\n');
  const cols = header!.split(',');
  const counts = new Map<number, number>();
  for (const line of lines) {
    const cells = line.split(',');
    if (cells[cols.indexOf('weather')] !== weather) continue;
    const year = Number(cells[cols.indexOf('date')]!.slice(0, 4));
    counts.set(year, (counts.get(year) ?? 0) + 1);
  }
  return [...counts].sort((a, b) => a[0] - b[0]).map(([year, days]) => ({ year, days }));
}

async function promoted(question: string, dataset: string): Promise<string> {
  const run = await h.toolsmith.analyze({ question, dataset, caller: asker });
  const waiting = await h.toolsmith.wait(run.id);
  expect(waiting.error).toBeNull();
  await h.toolsmith.decide(run.id, { decision: 'approve', caller: reviewer });
  await h.toolsmith.decide(run.id, { decision: 'approve', caller: promoter });
  const done = await h.toolsmith.wait(run.id);
  expect(done.error).toBeNull();
  expect(done.toolState).toBe('PROMOTED');
  return run.id;
}

describe('toolsmith lifecycle', () => {
  let v1 = '';
  let v2 = '';

  it('promotes v1 and reuses it for the same question on another dataset (no new tool)', async () => {
    h.fake.push(...weatherScript());
    v1 = await promoted('How many rainy days were there in each year?', dataFile('seattle-weather.csv'));
    const server = await h.registry.getServer('toolsmith');
    expect(server.currentRevision).toBe(1);
    const trail = await h.registry.toolsmith.events(v1);
    expect(trail.filter((e) => e.toState).map((e) => `${e.actor}:${e.toState}`)).toEqual([
      'alice:DRAFT',
      'toolsmith:STAGED',
      'bob:APPROVED',
      'toolsmith:PROMOTED',
    ]);
    expect(trail.find((e) => e.kind === 'stage2.approve')?.actor).toBe('carol');

    // A smaller dataset with the same columns: the first 500 days.
    const lines = readFileSync(dataFile('seattle-weather.csv'), 'utf8').trim().split('\n');
    const subset = join(work, 'weather-500.csv');
    writeFileSync(subset, `${lines.slice(0, 501).join('\n')}\n`);
    h.fake.push(...weatherScript().slice(0, 1), {
      json: {
        reuse: true,
        tool: 'days_by_weather_per_year',
        arguments: { weather: 'sun' },
        reason: 'same question',
      },
    });
    const before = h.fake.requests.length;
    const run = await h.toolsmith.analyze({
      question: 'How many sunny days were there in each year?',
      dataset: subset,
      caller: asker,
    });
    const done = await h.toolsmith.wait(run.id);
    const view = await h.toolsmith.get(run.id);
    expect(done.error).toBeNull();
    expect(done.status).toBe('done');
    expect(view.reused).toMatchObject({ tool: 'days_by_weather_per_year', run: v1 });
    expect(rowsOf(view)).toEqual(daysPerYear(subset, 'sun'));
    expect(h.fake.requests.length - before).toBe(2); // intent + reuse check: no spec, no code
    expect(view.validation).toBeUndefined();
  }, 180_000);

  it('v2 supersedes v1 (both kept); rollback serves v1 again; archive takes it out', async () => {
    // The same tool, written differently (an explicit null filter): a second version.
    // v1 is offered for reuse; the model declines (asked for a new version).
    const script = weatherScript(
      sqlBody(
        'SELECT year(date) AS year, count(*) AS days FROM dataset WHERE weather = $1 AND date IS NOT NULL GROUP BY 1 ORDER BY 1',
        ['weather'],
      ),
    );
    h.fake.push(
      script[0]!,
      { json: { reuse: false, reason: 'asked for a new version' } },
      ...script.slice(1),
    );
    v2 = await promoted('How many rainy days were there per year (v2)?', dataFile('seattle-weather.csv'));
    const r1 = await h.registry.toolsmith.getRun(v1);
    const r2 = await h.registry.toolsmith.getRun(v2);
    expect([r1.toolState, r1.toolVersion, r2.toolState, r2.toolVersion]).toEqual([
      'ARCHIVED',
      1,
      'PROMOTED',
      2,
    ]);
    expect((await h.registry.getServer('toolsmith')).currentRevision).toBe(2);

    const back = await h.toolsmith.rollback('days_by_weather_per_year', 1, {
      note: 'v2 is slower',
      caller: promoter,
    });
    expect(back.id).toBe(v1);
    expect((await h.registry.toolsmith.getRun(v1)).toolState).toBe('PROMOTED');
    expect((await h.registry.toolsmith.getRun(v2)).toolState).toBe('ARCHIVED');
    const revision = await h.registry.getVersion('toolsmith');
    expect(JSON.stringify(revision.spec)).toContain('WHERE weather = $1 GROUP BY 1 ORDER BY 1');
    expect(JSON.stringify(revision.spec)).not.toContain('date IS NOT NULL');

    await h.toolsmith.archive(v1, { note: 'not needed', caller: promoter });
    expect((await h.registry.toolsmith.getRun(v1)).toolState).toBe('ARCHIVED');
    expect((await h.registry.getServer('toolsmith')).status).toBe('removed');
    await expect(h.toolsmith.archive(v1, { caller: promoter })).rejects.toMatchObject({
      code: 'TOOLSMITH_NOT_DECIDABLE',
    });
  }, 240_000);

  it('stage 1 revise sends the note back to the model; the repaired output is staged again', async () => {
    h.fake.push(
      ...weatherScript(sqlBody('SELECT count(*) AS days FROM dataset WHERE weather = $1', ['weather'])),
    );
    const run = await h.toolsmith.analyze({
      question: 'Rainy days in each year, please',
      dataset: dataFile('seattle-weather.csv'),
      caller: asker,
    });
    expect((await h.toolsmith.wait(run.id)).toolState).toBe('STAGED');
    h.fake.push({ json: { source: sqlBody(SQL, ['weather']) } });
    await h.toolsmith.decide(run.id, {
      decision: 'revise',
      note: 'I asked per year, this is one total',
      caller: reviewer,
    });
    const again = await h.toolsmith.wait(run.id);
    expect(again.toolState).toBe('STAGED');
    const view = await h.toolsmith.get(run.id);
    expect(rowsOf(view)).toEqual(daysPerYear(dataFile('seattle-weather.csv'), 'rain'));
    expect(view.repairs).toBe(1);
    const repairPrompt = JSON.stringify(h.fake.requests.at(-1)?.body);
    expect(repairPrompt).toContain('I asked per year, this is one total');
    await h.toolsmith.decide(run.id, { decision: 'reject', note: 'not needed after all', caller: reviewer });
    expect((await h.registry.toolsmith.getRun(run.id)).toolState).toBe('REJECTED');
  }, 180_000);
});
