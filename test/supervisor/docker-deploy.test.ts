/**
 * mcp-deploy --target docker through the control plane, against the real Docker engine: image built from the
 * generated Dockerfile, secrets injected at run time (never stored in the image or the registry), health through
 * MCP, stop/start/remove. Gated like test/targets/docker.test.ts (MCP_FACTORY_TEST_DOCKER=1, set by .ci/run).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerEngine, importLocalNodeImage } from '../../src/deploy/targets/docker/engine.js';
import { REQUIRE_SERVICES } from '../helpers/services.js';
import { createText, ensureBuilt, fastEnv, newHome, type TestHome } from './helpers.js';

const enabled = process.env.MCP_FACTORY_TEST_DOCKER === '1';
const NAME = 'docker-text';
const BASE = 'mcp-factory-node:test';
const SECRET = 'docker-deploy-secret-987';
const AUTH = { type: 'api_key' as const, header: 'X-API-Key', envVar: 'TEXT_API_KEY' };

describe.skipIf(!enabled && !REQUIRE_SERVICES)('docker target through the control plane', () => {
  let t: TestHome;
  const engine = new DockerEngine({ baseImage: BASE });

  beforeAll(async () => {
    expect(enabled, 'MCP_FACTORY_TEST_DOCKER=1 must be set when services are required').toBe(true);
    ensureBuilt();
    process.env.MCP_FACTORY_NODE_IMAGE = BASE;
    process.env.MCP_FACTORY_DOCKER_NETWORK = 'host';
    await importLocalNodeImage(engine.docker, BASE);
    t = newHome('docker', fastEnv('21500-21599'));
  }, 120_000);

  afterAll(async () => {
    await engine.remove(NAME).catch(() => undefined);
    await engine.removeImages(NAME).catch(() => undefined);
    await t?.cleanup();
  });

  it('deploys, serves MCP with run-time secrets, stops, starts and removes', {
    timeout: 240_000,
  }, async () => {
    await createText(t.cp, NAME, { auth: AUTH });
    const deployed = await t.cp.deploy({
      name: NAME,
      target: 'docker',
      env: { TEXT_API_KEY: SECRET },
      actor: 'test',
    });
    expect(deployed).toMatchObject({ target: 'docker', status: 'running' });
    expect(deployed.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);

    const call = await t.cp.callTool(NAME, 'slugify', { title: 'Hello Docker' });
    expect(call).toMatchObject({ isError: false, text: 'hello-docker' });

    const status = await t.cp.status(NAME);
    const docker = status.deployments.find((d) => d.target === 'docker');
    expect(docker?.health?.health).toMatch(/healthy|degraded/);

    const image = await engine.docker.getImage(`mcp-factory/${NAME}:r1`).inspect();
    expect(JSON.stringify(image.Config)).not.toContain(SECRET);
    const registry = await t.cp.registry();
    expect(JSON.stringify(await registry.listAudit({ limit: 100 }))).not.toContain(SECRET);
    expect((await registry.listSecretRefs(NAME)).map((r) => r.envVar)).toContain('TEXT_API_KEY');

    await t.cp.stop(NAME, { actor: 'test' });
    expect((await engine.list()).filter((c) => c.server === NAME)).toHaveLength(0);
    await t.cp.start(NAME, { actor: 'test' });
    expect((await t.cp.callTool(NAME, 'slugify', { title: 'Again' })).text).toBe('again');
    expect((await engine.list()).filter((c) => c.server === NAME)).toHaveLength(1);

    await t.cp.remove(NAME, { actor: 'test' });
    expect((await engine.list()).filter((c) => c.server === NAME)).toHaveLength(0);
  });
});
