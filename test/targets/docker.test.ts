/**
 * The docker target against a real Docker engine: build from the generated Dockerfile (base image imported from
 * this machine's node, nothing pulled), run with secrets injected at run time, read-only root, limits and labels.
 * Runs when MCP_FACTORY_TEST_DOCKER=1 (set by .ci/run after starting dockerd); MCP_FACTORY_REQUIRE_SERVICES=1
 * turns a skip into a failure.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createServerProject } from '../../src/build/create.js';
import { parseSpecOrThrow } from '../../src/core/spec/index.js';
import {
  containerName,
  DockerEngine,
  imageTag,
  importLocalNodeImage,
  LABEL,
} from '../../src/deploy/targets/docker/engine.js';
import { connectHttp, textOf } from '../helpers/mcp.js';
import { REQUIRE_SERVICES } from '../helpers/services.js';

const enabled = process.env.MCP_FACTORY_TEST_DOCKER === '1';
if (!enabled)
  process.stderr.write(
    '\n[skip] docker target tests need MCP_FACTORY_TEST_DOCKER=1 and a running dockerd (set by .ci/run)\n',
  );

const BASE = 'mcp-factory-node:test';

/** A port nothing listens on now (the container uses the host network, so a fixed pick could collide). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
const NAME = 'docker-e2e-inventory';

describe.skipIf(!enabled && !REQUIRE_SERVICES)('docker target', () => {
  const work = mkdtempSync(join(tmpdir(), 'mcpf-docker-'));
  const target = new DockerEngine({ baseImage: BASE });
  afterAll(async () => {
    await target.remove(NAME).catch(() => undefined);
    await target.removeImages(NAME).catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
  });

  it('builds, runs with run-time secrets, serves MCP, and cleans up', { timeout: 240_000 }, async () => {
    expect(enabled, 'MCP_FACTORY_TEST_DOCKER=1 must be set when services are required').toBe(true);
    await importLocalNodeImage(target.docker, BASE);
    const file = resolve('examples/inventory.yaml');
    const spec = { ...parseSpecOrThrow(readFileSync(file, 'utf8'), { file }), name: NAME };
    const project = await createServerProject({
      spec,
      specDir: dirname(file),
      outDir: join(work, NAME),
      runTests: false,
    });

    const { tag } = await target.build(project.outDir, NAME, 1, '1.0.0');
    expect(tag).toBe(imageTag(NAME, 1));
    const image = await target.docker.getImage(tag).inspect();
    expect(image.Config.Labels?.[LABEL.server]).toBe(NAME);
    expect(image.Config.Env?.some((e) => e.startsWith('INVENTORY_API_KEY'))).toBe(false);

    const port = await freePort();
    const secret = 'docker-secret-key-123';
    const state = await target.run({
      name: NAME,
      revision: 1,
      version: '1.0.0',
      port,
      env: { INVENTORY_API_KEY: secret },
      network: 'host',
    });
    expect(state.running).toBe(true);

    const info = await target.docker.getContainer(containerName(NAME)).inspect();
    expect(info.HostConfig.ReadonlyRootfs).toBe(true);
    expect(info.HostConfig.CapDrop).toEqual(['ALL']);
    expect(info.HostConfig.Memory).toBe(256 * 1024 * 1024);
    expect(info.HostConfig.RestartPolicy?.Name).toBe('unless-stopped');

    const url = `http://127.0.0.1:${port}/mcp`;
    let client: Awaited<ReturnType<typeof connectHttp>> | undefined;
    // A loaded CI machine can take many seconds to start node in the container: wait by a deadline, not a count.
    const deadline = Date.now() + 90_000;
    while (!client && Date.now() < deadline) {
      client = await connectHttp(url, '2026-07-28', { 'X-API-Key': secret }).catch(async () => {
        await new Promise((r) => setTimeout(r, 200));
        return undefined;
      });
    }
    if (!client) {
      const state = await target.inspect(NAME).catch((e: Error) => e.message);
      const logs = await target.logs(NAME).catch(() => [] as string[]);
      expect.fail(
        `the container did not answer MCP: ${JSON.stringify(state)}\n${logs.slice(-20).join('\n')}`,
      );
    }
    const res = await client!.callTool({ name: 'get_product', arguments: { sku: 'FD-3001' } });
    expect(textOf(res)).toContain('Espresso beans');
    await client!.close();

    expect((await target.logs(NAME)).some((l) => l.includes('"msg":"tool call"'))).toBe(true);
    expect((await target.list()).filter((c) => c.server === NAME)).toHaveLength(1);

    // Re-running replaces the container instead of adding a second one.
    await target.run({
      name: NAME,
      revision: 1,
      version: '1.0.0',
      port,
      env: { INVENTORY_API_KEY: secret },
      network: 'host',
    });
    expect((await target.list()).filter((c) => c.server === NAME)).toHaveLength(1);

    await target.stop(NAME, 2);
    expect((await target.inspect(NAME)).running).toBe(false);
    expect(await target.removeOrphans(new Set())).toContain(NAME);
    expect((await target.list()).filter((c) => c.server === NAME)).toHaveLength(0);
  });
});
