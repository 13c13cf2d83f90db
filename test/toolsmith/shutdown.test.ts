/**
 * A process that stops while a node runs (close(): a server shutting down) leaves the run where its last
 * checkpoint put it, lease released — not failed — and another toolsmith finishes it from that node.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataFile, type Harness, newToolScript, sqlBody, startHarness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

describe('stopping mid-node', () => {
  it('drops the node result, releases the run; a later toolsmith resumes it at that node', async () => {
    const [intent, spec, code] = newToolScript({
      columns: ['weather'],
      name: 'days_per_weather',
      source: sqlBody('SELECT weather, count(*) AS days FROM dataset GROUP BY 1 ORDER BY 1'),
    });
    // The model takes 5 s to answer the intent: the process stops meanwhile.
    h.fake.push({ ...(intent as { json: unknown }), delayMs: 5000 });
    const run = await h.toolsmith.analyze({
      question: 'Days per weather kind?',
      dataset: dataFile('seattle-weather.csv'),
      caller: { actor: 'alice', local: false },
    });
    await new Promise((r) => setTimeout(r, 500));
    await h.toolsmith.close();
    const stopped = await h.registry.toolsmith.getRun(run.id);
    expect([stopped.status, stopped.node, stopped.leaseOwner, stopped.error]).toEqual([
      'running',
      'intent',
      null,
      null,
    ]);

    h.fake.push(intent!, spec!, code!);
    const next = h.another();
    expect(await next.resume()).toEqual([run.id]);
    const done = await next.wait(run.id);
    expect(done.error).toBeNull();
    expect([done.status, done.toolState]).toEqual(['waiting', 'STAGED']);
  }, 120_000);
});
