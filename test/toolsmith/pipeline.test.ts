/**
 * The toolsmith pipeline end to end with a scripted model: question + dataset → intent → spec → code →
 * validated (type-check, scan, generated tests in the sandbox) → executed in the sandbox → two reviews →
 * promoted into the toolsmith server, whose own generated tests replay the approved output.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataFile, type Harness, newToolScript, rowsOf, sqlBody, startHarness } from './harness.js';

let h: Harness;

/** The expected answer, computed from the CSV in plain JavaScript (not by DuckDB). */
function rainyDaysPerYear(): Array<{ year: number; days: number }> {
  const [header, ...lines] = readFileSync(dataFile('seattle-weather.csv'), 'utf8').trim().split('\n');
  const cols = header!.split(',');
  const counts = new Map<number, number>();
  for (const line of lines) {
    const cells = line.split(',');
    if (cells[cols.indexOf('weather')] !== 'rain') continue;
    const year = Number(cells[cols.indexOf('date')]!.slice(0, 4));
    counts.set(year, (counts.get(year) ?? 0) + 1);
  }
  return [...counts].sort((a, b) => a[0] - b[0]).map(([year, days]) => ({ year, days }));
}
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

const local = { actor: 'alice', local: false };

describe('toolsmith pipeline', () => {
  it('answers, waits for two reviews, promotes', async () => {
    h.fake.push(
      ...newToolScript({
        columns: ['weather', 'date'],
        name: 'days_by_weather_per_year',
        parameters: { weather: { type: 'string', description: 'Weather kind', default: 'rain' } },
        arguments: { weather: 'rain' },
        source: sqlBody(
          'SELECT year(date) AS year, count(*) AS days FROM dataset WHERE weather = $1 GROUP BY 1 ORDER BY 1',
          ['weather'],
        ),
      }),
    );
    const run = await h.toolsmith.analyze({
      question: 'How many rainy days were there in each year?',
      dataset: dataFile('seattle-weather.csv'),
      caller: { actor: 'alice', local: true },
    });
    const waiting = await h.toolsmith.wait(run.id);
    const view = await h.toolsmith.get(run.id, { events: true });
    expect(view.error, JSON.stringify(view.validation)).toBeNull();
    expect(waiting.status).toBe('waiting');
    expect(view.toolState).toBe('STAGED');
    expect(view.validation).toMatchObject({ schema_ok: true, tests_ok: true, sandbox_ok: true });
    expect(rowsOf(view)).toEqual(rainyDaysPerYear());
    await h.toolsmith.decide(run.id, { decision: 'approve', caller: { actor: 'bob', local: false } });
    await expect(
      h.toolsmith.decide(run.id, { decision: 'approve', caller: { actor: 'alice', local: false } }),
    ).rejects.toMatchObject({ code: 'TOOLSMITH_SELF_APPROVAL' });
    await h.toolsmith.decide(run.id, { decision: 'approve', caller: { actor: 'carol', local: false } });
    const done = await h.toolsmith.wait(run.id);
    expect(done.error).toBeNull();
    expect(done.toolState).toBe('PROMOTED');
    expect(local.actor).toBe('alice');
  }, 120_000);

  it('code that needs two repairs: a type error, then a wrong column; each problem goes back to the model', async () => {
    // cars.json has no weather column: the tool promoted above does not fit it, so no reuse question is asked.
    const good = sqlBody('SELECT Origin AS origin, count(*) AS cars FROM dataset GROUP BY 1 ORDER BY 1');
    h.fake.push(
      ...newToolScript({
        columns: ['Origin'],
        name: 'cars_by_origin',
        source: `const n: number = 'not a number';\n${good}`,
      }),
      {
        json: {
          source: sqlBody('SELECT Orign AS origin, count(*) AS cars FROM dataset GROUP BY 1 ORDER BY 1'),
        },
      },
      { json: { source: good } },
    );
    const run = await h.toolsmith.analyze({
      question: 'How many cars come from each origin?',
      dataset: dataFile('cars.json'),
      caller: { actor: 'alice', local: false },
    });
    const waiting = await h.toolsmith.wait(run.id);
    const view = await h.toolsmith.get(run.id);
    expect(waiting.error).toBeNull();
    expect(view.repairs).toBe(2);
    const state = (await h.registry.toolsmith.getRun(run.id)).state as {
      attempts: Array<{ errors: string[] }>;
    };
    expect(state.attempts[0]!.errors.join('\n')).toMatch(/TYPECHECK_FAILED.*not assignable to type 'number'/);
    expect(state.attempts[1]!.errors.join('\n')).toMatch(/Orign/);
    const repairs = h.fake.requests.slice(-2).map((r) => JSON.stringify(r.body));
    expect(repairs[0]).toContain('not assignable');
    expect(repairs[1]).toContain('Orign');
    expect(rowsOf(view)).toEqual([
      { origin: 'Europe', cars: 73 },
      { origin: 'Japan', cars: 79 },
      { origin: 'USA', cars: 254 },
    ]);
  }, 180_000);
});
