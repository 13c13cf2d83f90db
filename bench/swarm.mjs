#!/usr/bin/env node
/**
 * Swarm-target deployment benchmark (needs a running dockerd; initialises swarm mode when inactive, never leaves
 * it): registry → healthy for 1 and 10 replicas and the time of a rolling update (3 replicas, one at a time),
 * each printed as a ratio against the docker target's registry → healthy measured in the same run (image already
 * built, so both sides time the start of a built revision). Prints figures; asserts nothing about time.
 *   npm run build && node bench/swarm.mjs
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { createControlPlane } = await import(join(ROOT, 'dist/deploy/index.js'));
const { parseSpecOrThrow } = await import(join(ROOT, 'dist/core/spec/index.js'));
const { DockerEngine, importLocalNodeImage } = await import(
  join(ROOT, 'dist/deploy/targets/docker/engine.js')
);
const { SwarmEngine } = await import(join(ROOT, 'dist/deploy/targets/swarm/engine.js'));

const BASE = process.env.MCP_FACTORY_NODE_IMAGE ?? 'mcp-factory-node:bench';
process.env.MCP_FACTORY_NODE_IMAGE = BASE;
process.env.MCP_FACTORY_DOCKER_NETWORK ??= 'host';
const images = new DockerEngine({ baseImage: BASE });
await images.ping();
const hadBase = await images.docker
  .getImage(BASE)
  .inspect()
  .then(() => true)
  .catch(() => false);
if (!hadBase) await importLocalNodeImage(images.docker, BASE);
const swarm = new SwarmEngine(images);

const home = mkdtempSync(join(tmpdir(), 'mcpf-bench-swarm-'));
const cp = createControlPlane({ home, autoStartSupervisor: false, waitTimeoutMs: 600_000 });
const file = join(ROOT, 'examples/text-tools.yaml');
const parsed = parseSpecOrThrow(readFileSync(file, 'utf8'), { file });
const servers = ['bench-swarm-one', 'bench-swarm-ten', 'bench-swarm-roll'];
const create = (name, greeting = 'Hello') =>
  cp.create({
    spec: {
      ...parsed,
      name,
      tools: parsed.tools.map((t) =>
        t.name === 'greet' ? { ...t, static: { text: `${greeting}, {{name}}!` } } : t,
      ),
    },
    specDir: dirname(file),
    runTests: false,
    typecheck: false,
    force: true,
    actor: 'bench',
  });
const timed = async (fn) => {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
};

const rows = [];
try {
  for (const name of servers) await create(name);
  // Baseline: the docker target starting a built revision (first deploy builds the image, not timed).
  await cp.deploy({ name: 'bench-swarm-one', target: 'docker', actor: 'bench' });
  const docker = await timed(() => cp.deploy({ name: 'bench-swarm-one', target: 'docker', actor: 'bench' }));
  await cp.stop('bench-swarm-one', { actor: 'bench' });
  rows.push(['docker: deploy → healthy (image built) [baseline]', docker]);
  // The swarm layer of each revision is built ahead too: the figures time the service, not image builds.
  for (const name of servers) {
    const v = await (await cp.registry()).getVersion(name);
    await swarm.buildImage(await cp.projectDir(name), name, v.revision, v.version);
  }
  rows.push([
    'swarm: deploy 1 replica → healthy',
    await timed(() => cp.deploy({ name: 'bench-swarm-one', target: 'swarm', replicas: 1, actor: 'bench' })),
  ]);
  rows.push([
    'swarm: deploy 10 replicas → all healthy',
    await timed(() => cp.deploy({ name: 'bench-swarm-ten', target: 'swarm', replicas: 10, actor: 'bench' })),
  ]);
  await cp.remove('bench-swarm-ten', { actor: 'bench' });
  await cp.deploy({ name: 'bench-swarm-roll', target: 'swarm', replicas: 3, actor: 'bench' });
  const next = await create('bench-swarm-roll', 'Hi');
  await swarm.buildImage(next.projectDir, 'bench-swarm-roll', next.revision, next.version);
  rows.push([
    'swarm: rolling update, 3 replicas (stop-first, monitor 5 s each)',
    await timed(() => cp.deploy({ name: 'bench-swarm-roll', target: 'swarm', actor: 'bench' })),
  ]);
} finally {
  for (const name of servers) {
    await cp.remove(name, { actor: 'bench' }).catch(() => undefined);
    await swarm.remove(name).catch(() => undefined);
    await images.removeImages(name).catch(() => undefined);
  }
  await cp.close();
  if (!hadBase)
    await images.docker
      .getImage(BASE)
      .remove()
      .catch(() => undefined);
  rmSync(home, { recursive: true, force: true });
}
const baseline = rows[0][1];
console.log('\n## Swarm target: registry → healthy, as a ratio of the docker target (same run)\n');
for (const [label, ms] of rows)
  console.log(`${label.padEnd(68)} ${(ms / 1000).toFixed(2).padStart(7)} s  ×${(ms / baseline).toFixed(2)}`);
console.log(
  `BENCH_JSON ${JSON.stringify(Object.fromEntries(rows.map(([label, ms]) => [label, { ms: Math.round(ms), ratio: +(ms / baseline).toFixed(3) }])))}`,
);
