/**
 * The toolsmith with the sandbox's docker backend (policy `sandbox: docker`): the candidate's generated tests and
 * the execution run in containers (no network, read-only root, only the project and the dataset bound, uid 1000),
 * with the same answers as under bubblewrap; code that opens a socket reaches nothing. Needs a Docker engine
 * (MCP_FACTORY_TEST_DOCKER=1); the Node image is built from this machine's node (nothing is pulled).
 */
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerEngine, importLocalNodeImage } from '../../src/deploy/targets/docker/engine.js';
import { REQUIRE_SERVICES } from '../helpers/services.js';
import { dataFile, type Harness, newToolScript, rowsOf, sqlBody, startHarness } from './harness.js';

const enabled = process.env.MCP_FACTORY_TEST_DOCKER === '1';
const IMAGE = 'mcp-factory-node:test';

describe.skipIf(!enabled && !REQUIRE_SERVICES)('toolsmith in docker containers', () => {
  let h: Harness;
  let listener: Server;
  let connections = 0;
  let port = 0;

  beforeAll(async () => {
    await importLocalNodeImage(new DockerEngine({ baseImage: IMAGE }).docker, IMAGE);
    h = await startHarness({ policy: { sandbox: 'docker', docker: { image: IMAGE }, maxRepairs: 0 } });
    listener = createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    port = (listener.address() as { port: number }).port;
  }, 180_000);
  afterAll(async () => {
    listener?.close();
    await h?.close();
  });

  it('validates and executes in containers, with the answer bubblewrap gives', async () => {
    h.fake.push(
      ...newToolScript({
        columns: ['Origin'],
        name: 'cars_by_origin',
        source: sqlBody('SELECT Origin AS origin, count(*) AS cars FROM dataset GROUP BY 1 ORDER BY 1'),
      }),
    );
    const run = await h.toolsmith.analyze({
      question: 'How many cars come from each origin?',
      dataset: dataFile('cars.json'),
      caller: { actor: 'alice', local: false },
    });
    const waiting = await h.toolsmith.wait(run.id);
    const view = await h.toolsmith.get(run.id);
    expect(waiting.error).toBeNull();
    expect(view.validation).toMatchObject({ schema_ok: true, tests_ok: true, sandbox_ok: true });
    expect(rowsOf(view)).toEqual([
      { origin: 'Europe', cars: 73 },
      { origin: 'Japan', cars: 79 },
      { origin: 'USA', cars: 254 },
    ]);
  }, 180_000);

  it('code that opens a socket to a loopback listener reaches nothing (no network in the container)', async () => {
    h.fake.push(
      ...newToolScript({
        columns: ['Origin'],
        name: 'phone_home',
        source: `const r = await fetch('http://127.0.0.1:${port}/x', { signal: ctx.signal });\nreturn { status: r.status };`,
      }),
    );
    const run = await h.toolsmith.analyze({
      question: 'Call home please',
      dataset: dataFile('cars.json'),
      caller: { actor: 'alice', local: false },
    });
    const done = await h.toolsmith.wait(run.id);
    expect(done.status).toBe('failed');
    expect(connections).toBe(0);
  }, 180_000);
});
