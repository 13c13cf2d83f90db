/**
 * Shared set-up of the swarm target tests (swarm*.test.ts): the gate (MCP_FACTORY_TEST_DOCKER=1, like the docker
 * tests), a factory home with a control plane whose docker images build on a Node base image imported from this
 * machine (nothing is pulled), text-tools revisions, per-replica MCP calls, and cleanup of exactly what a test
 * created (its service, secrets and images; swarm mode itself stays active).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { ServerSpec } from '../../src/core/spec/model.js';
import { createControlPlane, type LocalControlPlane } from '../../src/deploy/index.js';
import { DockerEngine, importLocalNodeImage } from '../../src/deploy/targets/docker/engine.js';
import { SwarmEngine } from '../../src/deploy/targets/swarm/engine.js';
import { connectHttp, textOf } from '../helpers/mcp.js';
import { REQUIRE_SERVICES } from '../helpers/services.js';
import { TEXT_TOOLS, textToolsSpec } from '../supervisor/helpers.js';

export const dockerEnabled = process.env.MCP_FACTORY_TEST_DOCKER === '1';
export const swarmSkipped = !dockerEnabled && !REQUIRE_SERVICES;
if (!dockerEnabled)
  process.stderr.write(
    '\n[skip] swarm target tests need MCP_FACTORY_TEST_DOCKER=1 and a running dockerd (set by .ci/run)\n',
  );

export const BASE_IMAGE = 'mcp-factory-node:test';
export const API_KEY_ENV = 'TEXT_API_KEY';

export interface SwarmFixture {
  home: string;
  cp: LocalControlPlane;
  engine: SwarmEngine;
  /** A second control plane on the same home and registry, as a restarted factory. */
  restart(): LocalControlPlane;
  cleanup(servers: string[]): Promise<void>;
}

export async function swarmFixture(prefix: string): Promise<SwarmFixture> {
  if (!dockerEnabled) throw new Error('MCP_FACTORY_TEST_DOCKER=1 must be set when services are required');
  process.env.MCP_FACTORY_NODE_IMAGE = BASE_IMAGE;
  const home = mkdtempSync(join(tmpdir(), `mcpf-${prefix}-`));
  const images = new DockerEngine({ baseImage: BASE_IMAGE });
  const exists = await images.docker
    .getImage(BASE_IMAGE)
    .inspect()
    .then(() => true)
    .catch(() => false);
  if (!exists) await importLocalNodeImage(images.docker, BASE_IMAGE);
  const cp = createControlPlane({ home, autoStartSupervisor: false, waitTimeoutMs: 180_000 });
  const engine = new SwarmEngine(images);
  const planes: LocalControlPlane[] = [cp];
  return {
    home,
    cp,
    engine,
    restart() {
      const again = createControlPlane({ home, autoStartSupervisor: false, waitTimeoutMs: 180_000 });
      planes.push(again);
      return again;
    },
    async cleanup(servers) {
      for (const server of servers) {
        await engine.remove(server).catch(() => undefined);
        await images.removeImages(server).catch(() => undefined);
      }
      for (const plane of planes) await plane.close().catch(() => undefined);
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/** Create a text-tools revision, API-key protected, whose `greet` answers `<greeting>, Ada!` (tells revisions apart). */
export function createRevision(cp: LocalControlPlane, name: string, greeting: string) {
  const base = textToolsSpec(name);
  const spec = {
    ...base,
    auth: { type: 'api_key', header: 'X-API-Key', envVar: API_KEY_ENV },
    tools: base.tools.map((t) =>
      t.name === 'greet' ? { ...t, static: { text: `${greeting}, {{name}}!` } } : t,
    ),
  } as ServerSpec;
  return cp.create({
    spec,
    specDir: dirname(TEXT_TOOLS),
    runTests: false,
    typecheck: false,
    force: true,
    actor: 'test',
  });
}

/** Call `greet` on one endpoint with the key; the greeting text, or the error. */
export async function greetAt(endpoint: string, key: string): Promise<string> {
  const client = await connectHttp(endpoint, '2026-07-28', { 'X-API-Key': key });
  try {
    return textOf(await client.callTool({ name: 'greet', arguments: { name: 'Ada' } }));
  } finally {
    await client.close().catch(() => undefined);
  }
}

/** Poll `check` until it returns a value (not undefined) or the deadline passes (then the last reason). */
export async function until<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 120_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not reached in ${timeoutMs} ms (${String(last)})`);
    await new Promise((r) => setTimeout(r, 300));
  }
}
