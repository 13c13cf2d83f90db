/**
 * Triggers of a server on the docker target: its root file system is read-only, so the factory mounts the
 * server's state folder of the home; the cron trigger's history lands there, the factory imports it (status),
 * and it survives the container being replaced (stop/start), so idempotency keys outlive the container.
 * Gated like the other docker tests (MCP_FACTORY_TEST_DOCKER=1, set by .ci/run).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerEngine, importLocalNodeImage } from '../../src/deploy/targets/docker/engine.js';
import { TRIGGER_HISTORY_FILE, triggerStateDir } from '../../src/deploy/trigger-history.js';
import { REQUIRE_SERVICES } from '../helpers/services.js';
import {
  createText,
  ensureBuilt,
  fastEnv,
  newHome,
  type TestHome,
  waitUntil,
} from '../supervisor/helpers.js';

const enabled = process.env.MCP_FACTORY_TEST_DOCKER === '1';
const NAME = 'docker-triggers';
const BASE = 'mcp-factory-node:test';

describe.skipIf(!enabled && !REQUIRE_SERVICES)('triggers on the docker target', () => {
  let t: TestHome;
  const engine = new DockerEngine({ baseImage: BASE });

  beforeAll(async () => {
    expect(enabled, 'MCP_FACTORY_TEST_DOCKER=1 must be set when services are required').toBe(true);
    ensureBuilt();
    process.env.MCP_FACTORY_NODE_IMAGE = BASE;
    process.env.MCP_FACTORY_DOCKER_NETWORK = 'host';
    await importLocalNodeImage(engine.docker, BASE);
    t = newHome('docker-triggers', fastEnv('23450-23499'));
  }, 120_000);

  afterAll(async () => {
    await engine.remove(NAME).catch(() => undefined);
    await engine.removeImages(NAME).catch(() => undefined);
    await t?.cleanup();
  });

  it('keeps the history in the mounted state folder, across a replaced container', {
    timeout: 240_000,
  }, async () => {
    await createText(t.cp, NAME, {
      triggers: [{ type: 'cron', schedule: '* * * * * *', tool: 'word_stats', arguments: { text: 'tick' } }],
    });
    const deployed = await t.cp.deploy({ name: NAME, target: 'docker', actor: 'test' });
    expect(deployed).toMatchObject({ target: 'docker', status: 'running' });
    const succeeded = async () =>
      (await t.cp.status(NAME)).triggers?.find((s) => s.trigger === 0)?.counts.succeeded ?? 0;
    await waitUntil('cron runs in status', async () => (await succeeded()) >= 2, 60_000, 500);
    expect(existsSync(join(triggerStateDir(t.cp.layout, NAME), TRIGGER_HISTORY_FILE))).toBe(true);

    await t.cp.stop(NAME, { actor: 'test' });
    const before = await succeeded();
    await t.cp.start(NAME, { actor: 'test' });
    await waitUntil(
      'cron runs of the new container',
      async () => (await succeeded()) >= before + 2,
      60_000,
      500,
    );
    // The earlier runs are still there: the new container appended to the same history.
    const runs = await t.cp.triggerRuns(NAME, { limit: 1000 });
    expect(runs.length).toBeGreaterThanOrEqual(before + 2);
  });
});
